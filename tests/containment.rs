//! Containment attacks (Linux): processes that try to outlive their command, signal reins, reach
//! daemons over abstract unix sockets, exhaust the process table, or move a protected path's
//! parent aside. Each attack also runs under `full`, where it must work, which proves the attempt
//! is real; a kernel feature this machine lacks makes the test say it skipped, never pass quietly.
#![cfg(target_os = "linux")]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use reins::sandbox::{SandboxMode, SandboxPolicy};

/// A workspace under a directory no policy makes writable.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let base = tempfile::Builder::new()
        .prefix("contain")
        .tempdir_in(support::outside_temp_dirs())
        .unwrap();
    let ws = base.path().canonicalize().unwrap().join("ws");
    std::fs::create_dir_all(ws.join(".reins")).unwrap();
    (base, ws)
}

fn policy(ws: &Path, mode: SandboxMode) -> SandboxPolicy {
    SandboxPolicy::new(mode, false, ws, vec!["a/b/secret".into()])
}

async fn run(policy: &SandboxPolicy, script: &str) -> Output {
    let mut cmd = tokio::process::Command::new("bash");
    cmd.arg("-c")
        .arg(script)
        .current_dir(&policy.workspace)
        .stdin(Stdio::null())
        .process_group(0);
    policy.confine(&mut cmd).unwrap();
    cmd.output().await.unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether the weakness list names `what`: then the kernel cannot do it and the test skips.
fn lacks(policy: &SandboxPolicy, what: &str) -> bool {
    let missing = policy.weaknesses().iter().any(|w| w.contains(what));
    if missing {
        eprintln!(
            "skipped: this machine lacks {what}: {:?}",
            policy.weaknesses()
        );
    }
    missing
}

/// Processes whose command line contains `marker`.
fn survivors(marker: &str) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|cmdline| String::from_utf8_lossy(cmdline).contains(marker))
        .count()
}

/// Waits up to `limit` for no process to carry `marker`; how many are left.
fn survivors_after(marker: &str, limit: Duration) -> usize {
    let start = Instant::now();
    loop {
        let left = survivors(marker);
        if left == 0 || start.elapsed() > limit {
            return left;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill_marked(marker: &str) {
    let _ = std::process::Command::new("pkill")
        .args(["-9", "-f", marker])
        .status();
}

#[tokio::test]
async fn fifty_setsid_children_die_with_their_command() {
    let (_d, ws) = workspace();
    let p = policy(&ws, SandboxMode::WorkspaceWrite);
    if lacks(&p, "PID namespace") {
        return;
    }
    let marker = format!("reins-contain-{}", std::process::id());
    let script = format!(
        "for i in $(seq 50); do setsid bash -c 'exec -a {marker} sleep 30' </dev/null >/dev/null 2>&1 & done; \
         nohup bash -c 'exec -a {marker} sleep 30' >/dev/null 2>&1 & disown; sleep 0.3; echo started"
    );
    let out = run(&p, &script).await;
    assert!(out.status.success(), "{}", text(&out));
    let left = survivors_after(&marker, Duration::from_secs(1));
    kill_marked(&marker);
    assert_eq!(left, 0, "processes outlived their confined command");

    let full = policy(&ws, SandboxMode::Full);
    run(&full, &script).await;
    let left = survivors_after(&marker, Duration::from_millis(300));
    kill_marked(&marker);
    assert!(
        left > 0,
        "unconfined, the detached children should survive: the test proves nothing"
    );
}

/// Starts an unconfined `sleep` standing in for reins, and returns it.
fn bystander() -> std::process::Child {
    std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn a_confined_child_cannot_signal_processes_outside() {
    let (_d, ws) = workspace();
    let p = policy(&ws, SandboxMode::WorkspaceWrite);
    if lacks(&p, "PID namespace") && lacks(&p, "scope signals") {
        return;
    }
    let mut target = bystander();
    let script = format!("kill -9 {0}; kill -9 {1}", target.id(), std::process::id());
    run(&p, &script).await;
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        target.try_wait().unwrap().is_none(),
        "a confined child killed a process outside its sandbox"
    );
    target.kill().unwrap();
    target.wait().unwrap();

    let mut target = bystander();
    run(
        &policy(&ws, SandboxMode::Full),
        &format!("kill -9 {}", target.id()),
    )
    .await;
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        target.try_wait().unwrap().is_some(),
        "unconfined, the kill should work"
    );
}

fn has_python() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "pass"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: python3 is not available");
    }
    ok
}

#[tokio::test]
async fn abstract_unix_sockets_outside_are_unreachable() {
    use std::os::linux::net::SocketAddrExt;
    let (_d, ws) = workspace();
    let p = policy(&ws, SandboxMode::WorkspaceWrite);
    if !has_python() || lacks(&p, "abstract unix sockets") {
        return;
    }
    let name = format!("reins-daemon-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let _daemon = std::os::unix::net::UnixListener::bind_addr(&addr).unwrap();
    let script = format!(
        "python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); s.connect('\\0{name}'); print('connected')\""
    );
    let out = run(&p, &script).await;
    assert!(!text(&out).contains("connected"), "{}", text(&out));
    let out = run(&policy(&ws, SandboxMode::Full), &script).await;
    assert!(
        text(&out).contains("connected"),
        "unconfined: {}",
        text(&out)
    );
}

/// Starts up to 6,000 threads that sleep 3 s, then prints `started N`: N < 6000 when a cap held.
const THREAD_BOMB: &str = "python3 -c \"\nimport threading, time\nn = 0\ntry:\n    for _ in range(6000):\n        threading.Thread(target=time.sleep, args=(3,), daemon=True).start(); n += 1\nexcept RuntimeError:\n    pass\nprint('started', n)\n\"";

/// Tries to move itself to the root of the `pids` hierarchy (v1) or of cgroup v2, then prints
/// where it is.
const LEAVE_THE_CGROUP: &str =
    "for f in /sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/pids/tasks \
     /sys/fs/cgroup/cgroup.procs; do echo 0 > $f; done; cat /proc/self/cgroup";

/// The count a [`THREAD_BOMB`] printed, 0 if none.
fn threads_started(output: &str) -> usize {
    output
        .split_whitespace()
        .skip_while(|w| *w != "started")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// `reins sandbox -C ws -- command...` in a fresh `$REINS_HOME`: its own process, so its own
/// session cgroup.
fn reins_sandbox(ws: &Path, command: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_reins"))
        .env("REINS_HOME", home.path())
        .args(["sandbox", "-C"])
        .arg(ws)
        .arg("--")
        .args(command)
        .output()
        .unwrap()
}

/// Every process below `root` (not itself), with its state letter from `/proc/<pid>/stat`.
fn descendants(root: u32) -> Vec<(u32, char)> {
    let mut parent_state = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let ppid: u32 = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        parent_state.push((pid, ppid, state));
    }
    let mut found = vec![root];
    let mut out = Vec::new();
    while let Some(parent) = found.pop() {
        for &(pid, ppid, state) in &parent_state {
            if ppid == parent {
                found.push(pid);
                out.push((pid, state));
            }
        }
    }
    out
}

/// The processes that wait for a confined command (the spawned child, init) sleep
/// interruptibly: one in uninterruptible sleep (a vfork parent waits so) would count in the
/// load average for the whole life of the command, an MCP server's for the whole session.
#[test]
fn the_processes_waiting_for_a_command_do_not_sleep_uninterruptibly() {
    let (_d, ws) = workspace();
    let home = tempfile::tempdir().unwrap();
    let mut reins = std::process::Command::new(env!("CARGO_BIN_EXE_reins"))
        .env("REINS_HOME", home.path())
        .args(["sandbox", "-C"])
        .arg(&ws)
        .args(["--", "sleep", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let below = descendants(reins.id());
    let _ = reins.kill();
    let _ = reins.wait();
    assert!(below.len() >= 2, "no waiting processes found: {below:?}");
    assert!(
        below.iter().all(|(_, state)| *state != 'D'),
        "uninterruptible: {below:?}"
    );
}

#[tokio::test]
async fn a_thread_bomb_stops_at_the_process_cap() {
    let (_d, ws) = workspace();
    let p = policy(&ws, SandboxMode::WorkspaceWrite);
    if !has_python() || lacks(&p, "cgroup") {
        return;
    }
    // Through the binary: its own process, so its own session cgroup. Run in this test process,
    // the bomb would fill the cgroup every other test here shares, and their spawns would fail.
    let out = reins_sandbox(&ws, &["bash", "-c", THREAD_BOMB]);
    let started = threads_started(&String::from_utf8_lossy(&out.stdout));
    assert!(
        (1..6000).contains(&started),
        "the cap did not stop the bomb: {}",
        text(&out)
    );
}

/// `reins sandbox` spawns without the spawner thread, so its command moves itself into the session
/// cgroup (v1: `0` written to `tasks`, the child's one thread); it must land there.
#[test]
fn a_command_spawned_outside_the_spawner_moves_itself_into_the_session_cgroup() {
    let (_d, ws) = workspace();
    if lacks(&policy(&ws, SandboxMode::WorkspaceWrite), "cgroup") {
        return;
    }
    let shown = text(&reins_sandbox(&ws, &["cat", "/proc/self/cgroup"]));
    assert!(
        shown
            .lines()
            .any(|l| l.contains(":pids:/") && l.contains("/reins-")
                || l.starts_with("0::/") && l.contains("/reins-")),
        "the command ran outside the session cgroup: {shown}"
    );
}

#[tokio::test]
async fn renaming_a_protected_paths_parent_does_not_unprotect_it() {
    let (_d, ws) = workspace();
    std::fs::create_dir_all(ws.join("a/b/secret")).unwrap();
    std::fs::write(ws.join("a/b/secret/x"), "original").unwrap();
    let p = policy(&ws, SandboxMode::WorkspaceWrite);
    let script = "mv a a2; mkdir -p a/b/secret && echo pwned > a/b/secret/x; \
                  mv .reins .r2; mkdir -p .reins && echo 'sandbox = \"full\"' > .reins/config.toml";
    let out = run(&p, script).await;
    assert_eq!(
        std::fs::read_to_string(ws.join("a/b/secret/x")).unwrap(),
        "original",
        "{}",
        text(&out)
    );
    assert!(!ws.join(".reins/config.toml").exists(), "{}", text(&out));

    run(&policy(&ws, SandboxMode::Full), script).await;
    assert_eq!(
        std::fs::read_to_string(ws.join("a/b/secret/x"))
            .unwrap()
            .trim(),
        "pwned",
        "unconfined, the rename should work"
    );
}

#[tokio::test]
async fn a_workspace_in_a_temp_dir_cannot_be_moved_from_under_its_git() {
    let base = tempfile::tempdir().unwrap();
    let ws = base.path().canonicalize().unwrap().join("ws");
    std::fs::create_dir_all(ws.join(".git/hooks")).unwrap();
    let p = SandboxPolicy::new(SandboxMode::WorkspaceWrite, false, &ws, Vec::new());
    if lacks(&p, "mount namespace") {
        return;
    }
    let parent = base.path().canonicalize().unwrap();
    let moved = parent.with_extension("moved");
    let script = format!(
        "mv {0} {1}; mkdir -p {2}/.git/hooks && echo pwned > {2}/.git/hooks/pre-commit",
        parent.display(),
        moved.display(),
        ws.display()
    );
    let out = run(&p, &script).await;
    let hook = ws.join(".git/hooks/pre-commit");
    let escaped = hook.exists() || moved.exists();
    if moved.exists() {
        std::fs::rename(&moved, &parent).unwrap();
    }
    assert!(!escaped, "{}", text(&out));
}

#[tokio::test]
async fn reins_home_in_a_temp_dir_stays_read_only() {
    let (_d, ws) = workspace();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "sandbox = \"workspace-write\"\n",
    )
    .unwrap();
    let mut p = policy(&ws, SandboxMode::WorkspaceWrite);
    p.protect_reins_home(home.path());
    let script = format!(
        "sed -i 's/workspace-write/full/' {0}/config.toml; echo x > {0}/memory.md; \
         mkdir -p {0}/workflows",
        home.path().display()
    );
    let out = run(&p, &script).await;
    let config = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
    assert!(
        config.contains("workspace-write"),
        "{config}\n{}",
        text(&out)
    );
    assert!(!home.path().join("memory.md").exists());
    assert!(!home.path().join("workflows").exists());
}

#[tokio::test]
async fn a_command_still_reports_its_exit_code_and_signal() {
    let (_d, ws) = workspace();
    let p = policy(&ws, SandboxMode::WorkspaceWrite);
    let out = run(&p, "echo out; echo err >&2; exit 7").await;
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "err\n");
    let out = run(&p, "kill -TERM $$").await;
    use std::os::unix::process::ExitStatusExt;
    assert!(
        out.status.signal().is_some() || out.status.code() == Some(143),
        "{:?}",
        out.status
    );
}

/// Runs `reins sandbox --mode MODE -- bash -c SCRIPT` in a pseudo-terminal; what reached it.
/// `{TTY}` in the script is the terminal's path (`/dev/pts/N`).
fn through_a_terminal(ws: &Path, mode: &str, script: &str) -> String {
    use portable_pty::{native_pty_system, CommandBuilder, PtySize};
    use std::io::Read;
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let tty = pair.master.tty_name().expect("the terminal's name");
    let script = script.replace("{TTY}", &tty.display().to_string());
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_reins"));
    cmd.args(["sandbox", "--mode", mode, "-C"]);
    cmd.arg(ws);
    cmd.args(["--", "bash", "-c", &script]);
    cmd.cwd(ws);
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let bytes = seen.lock().unwrap().clone();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn commands_cannot_write_escape_sequences_to_the_users_terminal() {
    let (_d, ws) = workspace();
    let p = policy(&ws, SandboxMode::WorkspaceWrite);
    if lacks(&p, "PID namespace") {
        return;
    }
    // Standard output and error go nowhere, as for the agent's commands; only /dev/tty is left.
    let script = "exec >/dev/null 2>&1; printf '\\033]52;c;cHduZWQ=\\007TTY-REACHED' > /dev/tty";
    let confined = through_a_terminal(&ws, "workspace-write", script);
    assert!(!confined.contains("TTY-REACHED"), "{confined:?}");
    let unconfined = through_a_terminal(&ws, "full", script);
    assert!(
        unconfined.contains("TTY-REACHED"),
        "unconfined, /dev/tty should be reachable: {unconfined:?}"
    );
}

/// The user's terminal by its name (`/dev/pts/N`, owned by the user, so Landlock's `/dev/pts`
/// rule and the file mode both let it be opened): nothing written there arrives, and nothing
/// typed there can be read or its settings changed.
#[test]
fn commands_cannot_open_the_users_terminal_by_its_name() {
    let (_d, ws) = workspace();
    let p = policy(&ws, SandboxMode::WorkspaceWrite);
    if lacks(&p, "mount namespace") {
        return;
    }
    let script =
        "exec </dev/null >/dev/null 2>&1; printf '\\033]52;c;cHduZWQ=\\007PTS-REACHED' > {TTY}";
    let confined = through_a_terminal(&ws, "workspace-write", script);
    assert!(!confined.contains("PTS-REACHED"), "{confined:?}");
    let confined = through_a_terminal(&ws, "read-only", script);
    assert!(!confined.contains("PTS-REACHED"), "read-only: {confined:?}");
    let unconfined = through_a_terminal(&ws, "full", script);
    assert!(
        unconfined.contains("PTS-REACHED"),
        "unconfined, the terminal should be reachable by name: {unconfined:?}"
    );
}

/// A command runs `python3 -c SCRIPT` under `reins sandbox --mode MODE`; what it printed.
fn python_in(ws: &Path, mode: &str, script: &str) -> String {
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reins"))
        .env("REINS_HOME", home.path())
        .args(["sandbox", "--mode", mode, "-C"])
        .arg(ws)
        .args(["--", "python3", "-c", script])
        .output()
        .unwrap();
    text(&out)
}

/// A file handle names a file by inode, past paths, mounts and Landlock: as root, with the
/// workspace's writable mount as the handle's mount, it opened any file of the same file system
/// for writing (here one outside, beside the workspace).
#[test]
fn file_handles_cannot_open_files_outside() {
    if !has_python() {
        return;
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: only root holds CAP_DAC_READ_SEARCH, which open_by_handle_at needs");
        return;
    }
    let (base, ws) = workspace();
    let outside = base.path().canonicalize().unwrap().join("outside.txt");
    std::fs::write(&outside, "orig\n").unwrap();
    let script = format!(
        "import ctypes, os, struct\n\
         libc = ctypes.CDLL(None, use_errno=True)\n\
         buf = ctypes.create_string_buffer(136)\n\
         struct.pack_into('Ii', buf, 0, 128, 0)\n\
         mnt = ctypes.c_int()\n\
         if libc.name_to_handle_at(-100, {target:?}.encode(), buf, ctypes.byref(mnt), 0) != 0:\n    \
             print('no handle', os.strerror(ctypes.get_errno())); raise SystemExit\n\
         m = os.open('.', os.O_RDONLY | os.O_DIRECTORY)\n\
         fd = libc.open_by_handle_at(m, buf, os.O_WRONLY | os.O_APPEND)\n\
         if fd < 0:\n    print('refused', os.strerror(ctypes.get_errno())); raise SystemExit\n\
         os.write(fd, b'ESCAPED\\n'); print('wrote')",
        target = outside.display().to_string()
    );
    let said = python_in(&ws, "workspace-write", &script);
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "orig\n",
        "{said}"
    );
    let said = python_in(&ws, "full", &script);
    assert!(
        said.contains("wrote"),
        "unconfined, the handle opens: {said}"
    );
}

/// System V IPC is shared machine-wide unless the command has an IPC namespace of its own: a
/// command could write into another program's message queue.
#[test]
fn another_programs_message_queue_is_out_of_reach() {
    if !has_python() {
        return;
    }
    let (_base, ws) = workspace();
    let key = 0x5e00_0000 | (std::process::id() as libc::key_t & 0xffff);
    // SAFETY: plain system call with integer arguments.
    let queue = unsafe { libc::msgget(key, libc::IPC_CREAT | 0o600) };
    assert!(queue >= 0, "{}", std::io::Error::last_os_error());
    let script = format!(
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n\
         print('queue', libc.msgget({key}, 0))"
    );
    let confined = python_in(&ws, "workspace-write", &script);
    let unconfined = python_in(&ws, "full", &script);
    // SAFETY: removes the queue made above.
    unsafe { libc::msgctl(queue, libc::IPC_RMID, std::ptr::null_mut()) };
    assert!(confined.contains("queue -1"), "{confined}");
    assert!(
        unconfined.contains(&format!("queue {queue}")),
        "unconfined, the queue is shared: {unconfined}"
    );
}

/// The kernel keyrings are shared with the user's other processes and outlive the session.
#[test]
fn kernel_keyrings_are_refused() {
    if !has_python() {
        return;
    }
    let (_base, ws) = workspace();
    // The process keyring (-2): what the unconfined run adds goes away with it.
    let script = format!(
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n\
         r = libc.syscall({nr}, b'user', b'reins-test', b'secret', 6, -2)\n\
         print('add_key', 'ok' if r > 0 else os.strerror(ctypes.get_errno()))",
        nr = libc::SYS_add_key
    );
    let confined = python_in(&ws, "workspace-write", &script);
    assert!(!confined.contains("add_key ok"), "{confined}");
    assert!(confined.contains("add_key"), "the script ran: {confined}");
    let unconfined = python_in(&ws, "full", &script);
    if !unconfined.contains("add_key ok") {
        eprintln!("note: keyrings are unavailable here even unconfined: {unconfined}");
    }
}

#[tokio::test]
async fn metadata_outside_the_workspace_cannot_change() {
    use std::os::unix::fs::PermissionsExt;
    let (d, ws) = workspace();
    if lacks(&policy(&ws, SandboxMode::WorkspaceWrite), "mount namespace") {
        return;
    }
    let outside = d.path().join("outside.txt");
    std::fs::write(&outside, "x").unwrap();
    std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = std::fs::metadata(&outside).unwrap().modified().unwrap();
    let script = format!(
        "chmod 777 {0}; touch -d 2001-01-01 {0}; python3 -c \"import os; os.setxattr('{0}', 'user.x', b'1')\" 2>/dev/null; \
         echo ok > inside && chmod +x inside",
        outside.display()
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let out = run(&policy(&ws, SandboxMode::WorkspaceWrite), &script).await;
    assert_eq!(mode(&outside), 0o644, "{}", text(&out));
    assert_eq!(
        std::fs::metadata(&outside).unwrap().modified().unwrap(),
        before
    );
    assert_eq!(
        mode(&ws.join("inside")),
        0o755,
        "work inside must go on: {}",
        text(&out)
    );

    run(&policy(&ws, SandboxMode::Full), &script).await;
    assert_eq!(mode(&outside), 0o777, "unconfined, chmod should work");
}

// ---------------------------------------------------------------------------------------------
// Through the binary, as a session runs them

use serde_json::json;
use support::reins::{home_for, reins, Wire};
use support::{MockServer, Reply};

/// The text of every tool result sent back in `request`.
fn tool_results(request: &serde_json::Value) -> Vec<String> {
    request["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_session_whose_commands_detach_fifty_children_ends_with_none_left() {
    let (_d, ws) = workspace();
    if lacks(&policy(&ws, SandboxMode::WorkspaceWrite), "PID namespace") {
        return;
    }
    let marker = format!("reins-session-{}", std::process::id());
    let command = format!(
        "for i in $(seq 50); do setsid bash -c 'exec -a {marker} sleep 60' </dev/null >/dev/null 2>&1 & done; echo started"
    );
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({ "command": command })),
        Reply::text("done"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let out = reins(home.path())
        .args(["exec", "-C"])
        .arg(&ws)
        .arg("start some servers")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let left = survivors_after(&marker, Duration::from_secs(1));
    kill_marked(&marker);
    let results = tool_results(&server.requests()[1].body);
    assert!(results[0].contains("started"), "{results:?}");
    assert_eq!(left, 0, "detached children outlived the session");
}

#[test]
fn credentials_under_any_name_stay_out_of_commands() {
    let (_d, ws) = workspace();
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({ "command": "env" })),
        Reply::text("done"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let out = reins(home.path())
        .env("DATABASE_URL", "postgres://u:hunter2@db/x")
        .env("STRIPE_APIKEY", "sk_live_abc")
        .env("GOOGLE_APPLICATION_CREDENTIALS", "/secret.json")
        .env("SSH_AUTH_SOCK", "/tmp/ssh-agent.sock")
        .env("LC_ALL", "C.UTF-8")
        .args(["exec", "-C"])
        .arg(&ws)
        .arg("print the environment")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let env = &tool_results(&server.requests()[1].body)[0];
    for leaked in ["hunter2", "sk_live_abc", "/secret.json", "ssh-agent.sock"] {
        assert!(!env.contains(leaked), "{leaked} reached the command: {env}");
    }
    assert!(
        env.contains("LC_ALL=C.UTF-8") && env.contains("PATH="),
        "{env}"
    );
}

#[tokio::test]
async fn reins_home_as_the_workspace_root_stays_read_only() {
    let (_d, ws) = workspace();
    let mut p = policy(&ws, SandboxMode::WorkspaceWrite);
    p.protect_reins_home(&ws);
    let script = "echo 'sandbox = \"full\"' > config.toml; echo x >> trusted-workspaces; \
                  mkdir -p workflows && echo x > workflows/w.toml; echo ok > notes.md";
    let out = run(&p, script).await;
    let config = std::fs::read_to_string(ws.join("config.toml")).unwrap_or_default();
    assert!(!config.contains("full"), "{}", text(&out));
    assert!(!ws.join("workflows/w.toml").exists(), "{}", text(&out));
    assert!(
        ws.join("notes.md").exists(),
        "other work goes on: {}",
        text(&out)
    );
}

#[test]
fn reins_sandbox_runs_like_the_shell_tool_in_the_workspace_with_its_environment() {
    let (_d, ws) = workspace();
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reins"))
        .env("REINS_HOME", home.path())
        .env("DATABASE_URL", "postgres://u:hunter2@db/x")
        .env("FOO_APIKEY", "k-123")
        .current_dir(home.path())
        .args(["sandbox", "-C"])
        .arg(&ws)
        .args(["--", "bash", "-c", "pwd; env"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().next(),
        Some(ws.to_str().unwrap()),
        "{stdout}"
    );
    assert!(
        !stdout.contains("hunter2") && !stdout.contains("k-123"),
        "{stdout}"
    );
    assert!(stdout.contains("PATH="), "{stdout}");
}

#[test]
fn a_repository_planted_to_run_programs_is_set_aside_after_the_command() {
    let (_d, ws) = workspace();
    let mark = ws.join("fsmonitor-ran");
    let plant = format!(
        "git init -q . && git config core.fsmonitor 'touch {}' && echo planted",
        mark.display()
    );
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({ "command": plant })),
        Reply::tool(
            "shell",
            json!({ "command": "git init -q sub && echo plain" }),
        ),
        Reply::text("done"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let out = reins(home.path())
        .args(["exec", "-C"])
        .arg(&ws)
        .arg("set up git")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let results = tool_results(&server.requests()[2].body);
    assert!(results[0].contains("sets `core.fsmonitor`"), "{results:?}");
    assert!(
        !ws.join(".git").exists(),
        "the planted repository is still in place"
    );
    assert!(ws.join(".git-set-aside").is_dir());
    // The user's own git in that folder now finds no repository to run the monitor from.
    let _ = std::process::Command::new("git")
        .args(["status"])
        .current_dir(&ws)
        .output();
    assert!(!mark.exists(), "the planted fsmonitor ran");
    assert!(
        ws.join("sub/.git").is_dir(),
        "a plain repository in a subfolder stays"
    );
}

/// A daemon listening on `path` that greets every client.
fn daemon(path: &Path) -> std::os::unix::net::UnixListener {
    let listener = std::os::unix::net::UnixListener::bind(path).unwrap();
    let serving = listener.try_clone().unwrap();
    std::thread::spawn(move || {
        use std::io::Write;
        for mut client in serving.incoming().flatten() {
            let _ = client.write_all(b"hello");
        }
    });
    listener
}

#[test]
fn daemons_sockets_where_the_environment_points_are_out_of_reach() {
    if !has_python() {
        return;
    }
    let (base, ws) = workspace();
    let runtime = base.path().join("runtime");
    std::fs::create_dir_all(runtime.join("docker")).unwrap();
    let docker = runtime.join("docker/docker.sock");
    let agent = base.path().join("agent.sock");
    let _daemons = (daemon(&docker), daemon(&agent));
    let home = tempfile::tempdir().unwrap();
    for socket in [&docker, &agent] {
        let script = format!(
            "import socket\ns = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect({:?})\n    \
             print(s.recv(5).decode())\nexcept OSError as e:\n    print('refused', e)",
            socket.display().to_string()
        );
        for (mode, reached) in [("workspace-write", false), ("full", true)] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_reins"))
                .env("REINS_HOME", home.path())
                .env("XDG_RUNTIME_DIR", &runtime)
                .env("SSH_AUTH_SOCK", &agent)
                .args(["sandbox", "--mode", mode, "-C"])
                .arg(&ws)
                .args(["--", "python3", "-c", &script])
                .output()
                .unwrap();
            let said = text(&out);
            assert_eq!(
                said.contains("hello"),
                reached,
                "{mode}, {}: {said}",
                socket.display()
            );
        }
    }
}

/// A user daemon listening anywhere (here a folder beside the workspace that no environment
/// variable names and that is none of the usual places) is out of reach too: every bound path
/// socket the kernel lists is hidden, not only those in `/run` and the agents' variables.
#[test]
fn a_daemons_socket_in_any_folder_is_out_of_reach() {
    if !has_python() {
        return;
    }
    let (base, ws) = workspace();
    let elsewhere = base
        .path()
        .canonicalize()
        .unwrap()
        .join("home/.local/share/app");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let socket = elsewhere.join("control.sock");
    let _daemon = daemon(&socket);
    let home = tempfile::tempdir().unwrap();
    let script = format!(
        "import socket\ns = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect({:?})\n    \
         print(s.recv(5).decode())\nexcept OSError as e:\n    print('refused', e)",
        socket.display().to_string()
    );
    for (mode, reached) in [("workspace-write", false), ("full", true)] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_reins"))
            .env("REINS_HOME", home.path())
            .args(["sandbox", "--mode", mode, "-C"])
            .arg(&ws)
            .args(["--", "python3", "-c", &script])
            .output()
            .unwrap();
        let said = text(&out);
        assert_eq!(said.contains("hello"), reached, "{mode}: {said}");
    }
}

/// The shell tool's commands are forked by a thread inside the session's cgroup (cgroup v1), so
/// they start capped without moving themselves; each command, and a thread bomb in the second,
/// must still be held by the cap, whichever thread forked it, and the last one cannot move
/// itself out of it.
#[test]
fn the_shell_tools_commands_run_inside_the_session_cgroup() {
    let (_d, ws) = workspace();
    if !has_python() || lacks(&policy(&ws, SandboxMode::WorkspaceWrite), "cgroup") {
        return;
    }
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({ "command": "cat /proc/self/cgroup" })),
        Reply::tool("shell", json!({ "command": THREAD_BOMB })),
        Reply::tool("shell", json!({ "command": LEAVE_THE_CGROUP })),
        Reply::text("done"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let out = reins(home.path())
        .args(["exec", "-C"])
        .arg(&ws)
        .arg("look around")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let requests = server.requests();
    let first = &tool_results(&requests[1].body)[0];
    let bomb_out = &tool_results(&requests[2].body)[1];
    let last = &tool_results(&requests[3].body)[2];
    assert!(
        last.contains("Read-only file system") || last.contains("Permission denied"),
        "the move out of the cgroup was not refused by the kernel: {last}"
    );
    for shown in [first, last] {
        assert!(
            shown.lines().any(|l| l.contains("/reins-")),
            "the command ran outside the session cgroup: {shown}"
        );
    }
    let started = threads_started(bomb_out);
    assert!(
        (1..6000).contains(&started),
        "the cap did not stop the bomb: {bomb_out}"
    );
}
