//! The carved fallback ruleset, forced (the integration tests exercise the mount namespace
//! path, which is what this machine provides).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::child::Prepared;
use crate::sandbox::layout::WriteLayout;
use crate::sandbox::{SandboxMode, SandboxPolicy};

/// A workspace with `.git` and `.reins/config.toml`, under the crate's `target/` (not under a
/// writable temp dir), and the policy for it.
fn fixture() -> (tempfile::TempDir, SandboxPolicy) {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&target).unwrap();
    let dir = tempfile::Builder::new()
        .prefix("carve")
        .tempdir_in(target)
        .unwrap();
    let ws = dir.path().join("ws");
    for sub in ["src", ".git/hooks", ".reins"] {
        std::fs::create_dir_all(ws.join(sub)).unwrap();
    }
    std::fs::write(ws.join(".git/config"), "[core]\n").unwrap();
    std::fs::write(ws.join(".reins/config.toml"), "").unwrap();
    std::fs::write(ws.join(".reins/notes.md"), "").unwrap();
    let policy = SandboxPolicy::new(SandboxMode::WorkspaceWrite, false, &ws, Vec::new());
    (dir, policy)
}

/// Runs `script` in the workspace under the carved ruleset; whether it succeeded.
fn carved(policy: &SandboxPolicy, script: &str) -> bool {
    let prepared = Prepared::carved_only(&WriteLayout::of(policy), false).unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(script).current_dir(&policy.workspace);
    // SAFETY: `apply` only makes system calls on prepared data.
    unsafe {
        cmd.pre_exec(move || prepared.apply());
    }
    cmd.status().unwrap().success()
}

fn ws(policy: &SandboxPolicy, rel: &str) -> PathBuf {
    policy.workspace.join(rel)
}

#[test]
fn carving_keeps_protected_paths_read_only() {
    let (_d, p) = fixture();
    assert!(!carved(&p, "echo x > .git/hooks/pre-commit"));
    assert!(!carved(&p, "echo x >> .git/config"));
    assert!(!carved(&p, "echo x >> .reins/config.toml"));
    assert!(!carved(&p, "mv .git .git-old"));
    assert!(!carved(&p, "echo x > ../escaped"));
    assert!(!ws(&p, ".git/hooks/pre-commit").exists());
    assert!(!ws(&p, ".git-old").exists());
}

#[test]
fn carving_keeps_existing_entries_writable() {
    let (_d, p) = fixture();
    assert!(carved(
        &p,
        "echo x > src/new.rs && mkdir -p src/a/b && rm src/new.rs"
    ));
    assert!(carved(&p, "echo x >> .reins/notes.md"));
    // The session's private temp dir stays writable by its real path (without a mount namespace
    // nothing covers the shared temp dirs, which stay read-only).
    let tmp = crate::sandbox::private_tmp::stand_in(Path::new("/tmp")).unwrap();
    assert!(carved(
        &p,
        &format!(
            "echo x > {0}/reins-carve-$$ && rm {0}/reins-carve-$$",
            tmp.display()
        )
    ));
    if !p.workspace.starts_with("/tmp") {
        assert!(!carved(&p, "echo x > /tmp/reins-carve-$$"));
    }
}

#[test]
fn carving_cannot_create_entries_at_the_workspace_root() {
    // The documented price of the fallback: directories on the way to a protected path have no
    // write right of their own.
    let (_d, p) = fixture();
    assert!(!carved(&p, "touch newfile"));
    assert!(!carved(&p, "touch .reins/new.md"));
}

/// The waiting processes are started by borrowing memory on x86_64, so the fork path would go
/// untested there: both must run the command in its own PID namespace (it is pid 2, init 1)
/// and give back its exit code.
#[test]
fn a_command_ends_the_same_whether_its_waiting_processes_borrow_or_fork() {
    use std::sync::atomic::Ordering;
    let (_d, p) = fixture();
    let contained = super::probe::namespaces().pid;
    for forced in [false, true] {
        super::borrow::FORCE_FORK.store(forced, Ordering::SeqCst);
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg("echo pid=$$; exit 7")
            .current_dir(&p.workspace);
        super::confine(&p, &mut cmd).unwrap();
        let out = cmd.output().unwrap();
        super::borrow::FORCE_FORK.store(false, Ordering::SeqCst);
        assert_eq!(out.status.code(), Some(7), "forked: {forced}: {out:?}");
        if contained {
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "pid=2");
        }
    }
}
