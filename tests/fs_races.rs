//! The file tools against a process racing them: a background thread swaps a workspace directory
//! for a symlink to a directory outside, in a tight loop, while the tools write, edit, patch and
//! read through that directory thousands of times. Nothing outside may ever be written or read
//! (issue 14 item 2); the same for `undo` (item 4). And without `openat2` the tools fail closed.

use reins::cancel::Cancel;
use reins::tools::{Registry, ToolContext};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

const ROUNDS: usize = 1500;
const OUTSIDE_TEXT: &str = "line\n";
const OUTSIDE_SECRET: &str = "OUTSIDE-SECRET";

/// Swaps `dir` for a symlink to `target` and back until stopped.
struct Swapper {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<u64>>,
}

impl Swapper {
    fn start(dir: PathBuf, target: PathBuf) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let parked = dir.with_extension("parked");
            let mut swaps = 0u64;
            while !flag.load(Ordering::Relaxed) {
                if std::fs::rename(&dir, &parked).is_err() {
                    continue;
                }
                let _ = std::os::unix::fs::symlink(&target, &dir);
                let _ = std::fs::remove_file(&dir);
                if std::fs::rename(&parked, &dir).is_err() {
                    // A tool created the directory anew while the real one was parked.
                    let _ = std::fs::remove_dir_all(&dir);
                    let _ = std::fs::rename(&parked, &dir);
                }
                // Leave the real directory in place a moment, so that calls also get through
                // and reach their writes (otherwise the test could pass by refusing everything).
                std::thread::sleep(std::time::Duration::from_micros(20));
                swaps += 1;
            }
            swaps
        });
        Swapper {
            stop,
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().map(|t| t.join().unwrap()).unwrap_or(0)
    }
}

/// What the directory outside holds, file by file.
fn listing(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), text)
        })
        .collect();
    out.sort();
    out
}

fn openat2_or_skip() -> bool {
    if reins::sandbox::beneath::openat2_available() {
        return true;
    }
    eprintln!("skipped: this kernel has no openat2, and the file tools refuse to run without it");
    false
}

#[test]
fn file_tools_never_write_or_read_through_a_swapped_directory() {
    if !openat2_or_skip() {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("victim.txt"), OUTSIDE_TEXT).unwrap();
    std::fs::write(outside.path().join("secret.txt"), OUTSIDE_SECRET).unwrap();
    let before = listing(outside.path());
    let dir = ws.path().join("d");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("victim.txt"), OUTSIDE_TEXT).unwrap();
    std::fs::write(dir.join("secret.txt"), "inside").unwrap();

    let ctx = ToolContext::new(ws.path(), Cancel::never()).unwrap();
    let tools = Registry::builtin();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let swapper = Swapper::start(dir, outside.path().to_path_buf());
    let mut leaked = Vec::new();
    let mut succeeded = 0usize;
    rt.block_on(async {
        for i in 0..ROUNDS {
            let calls = [
                (
                    "write_file",
                    format!(r#"{{"path": "d/victim.txt", "content": "line\nPWNED-w{i}\n"}}"#),
                ),
                (
                    "edit_file",
                    r#"{"path": "d/victim.txt", "old_string": "line\n", "new_string": "line\nPWNED-e\n"}"#.to_string(),
                ),
                (
                    "apply_patch",
                    format!(
                        r#"{{"patch": "*** Begin Patch\n*** Update File: d/victim.txt\n@@\n line\n+PWNED-p\n*** Add File: d/new{i}.txt\n+PWNED-a\n*** End Patch\n"}}"#
                    ),
                ),
                ("read_file", r#"{"path": "d/secret.txt"}"#.to_string()),
            ];
            for (name, args) in &calls {
                let result = tools.run(name, args, &ctx).await;
                if let Ok(out) = &result {
                    succeeded += 1;
                    if out.text.contains(OUTSIDE_SECRET) {
                        leaked.push(format!("{name}: {out}"));
                    }
                }
            }
        }
    });
    let swaps = swapper.stop();
    eprintln!("{succeeded} calls succeeded against {swaps} swaps");
    assert!(swaps > 100, "the swapper barely ran ({swaps} swaps)");
    assert!(
        succeeded > 0,
        "no call ever succeeded: the test proves nothing"
    );
    assert!(leaked.is_empty(), "read outside: {leaked:?}");
    assert_eq!(
        listing(outside.path()),
        before,
        "a file outside the workspace was written ({succeeded} calls succeeded, {swaps} swaps)"
    );
}

/// Puts `dir` back as a real directory after a swapper stopped at any point of its loop.
fn settle(dir: &Path) {
    let parked = dir.with_extension("parked");
    if parked.exists() {
        let _ = std::fs::remove_file(dir);
        let _ = std::fs::remove_dir_all(dir);
        std::fs::rename(&parked, dir).unwrap();
    }
    if dir.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
        std::fs::remove_file(dir).unwrap();
    }
    std::fs::create_dir_all(dir).unwrap();
}

#[test]
fn undo_never_deletes_or_writes_through_a_swapped_directory() {
    if !openat2_or_skip() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("keep.txt"), "outside\n").unwrap();
    std::fs::write(outside.path().join("new.txt"), "outside\n").unwrap();
    let before = listing(outside.path());
    let dir = ws.path().join("d");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("keep.txt"), "v1\n").unwrap();
    let mut store = reins::store::CheckpointStore::open(home.path(), ws.path()).unwrap();
    let first = store.checkpoint("s", 1, "before the step").unwrap();
    let (mut restored, mut refused) = (0, 0);
    for _ in 0..150 {
        settle(&dir);
        std::fs::write(dir.join("keep.txt"), "v2\n").unwrap();
        std::fs::write(dir.join("new.txt"), "made by the step\n").unwrap();
        let swapper = Swapper::start(dir.clone(), outside.path().to_path_buf());
        match store.restore("s", &first) {
            Ok(_) => restored += 1,
            Err(_) => refused += 1,
        }
        swapper.stop();
        assert_eq!(
            listing(outside.path()),
            before,
            "undo touched a file outside the workspace (after {restored} restores)"
        );
    }
    eprintln!("{restored} restores done, {refused} refused");
    assert!(restored > 0, "no restore ever ran: the test proves nothing");
}

/// Makes `openat2` fail with `ENOSYS` in the child, as on a kernel older than 5.6 (x86_64 and
/// the architectures sharing the generic syscall table number it 437).
fn without_openat2(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    const SYS_OPENAT2: u32 = 437;
    let filter = [
        // Load the syscall number, return ENOSYS for openat2, allow everything else.
        libc::sock_filter {
            code: 0x20,
            jt: 0,
            jf: 0,
            k: 0,
        },
        libc::sock_filter {
            code: 0x15,
            jt: 0,
            jf: 1,
            k: SYS_OPENAT2,
        },
        libc::sock_filter {
            code: 0x06,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
        },
        libc::sock_filter {
            code: 0x06,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ALLOW,
        },
    ];
    // SAFETY: only async-signal-safe system calls run between fork and exec; `filter` outlives
    // the spawn (the hook runs before `spawn` returns).
    unsafe {
        cmd.pre_exec(move || {
            let prog = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr() as *mut libc::sock_filter,
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &prog) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[test]
fn without_openat2_file_tools_fail_closed_with_a_clear_error() {
    if !cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        eprintln!("skipped: the openat2 syscall number is only known here for x86_64 and aarch64");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("a.txt"), "hello\n").unwrap();
    for (tool, args) in [
        ("read_file", r#"{"path": "a.txt"}"#),
        ("write_file", r#"{"path": "b.txt", "content": "x"}"#),
    ] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_reins"));
        cmd.env("REINS_HOME", home.path())
            .args(["tool", "run", "-C"])
            .arg(ws.path())
            .args([tool, args]);
        without_openat2(&mut cmd);
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(
            out.status.code(),
            Some(0),
            "{tool} ran without openat2: {err}"
        );
        assert!(err.contains("lacks openat2"), "{tool}: {err}");
    }
    assert!(!ws.path().join("b.txt").exists());
}
