//! Escape attempts against the sandbox (Linux). Each attempt runs twice: under `workspace-write`
//! it must fail with nothing changed; under `full` the very same command must succeed, which
//! proves the attempt is real and the test able to fail. Legitimate work must keep working.
//!
//! Fixtures live under the crate's `target/tmp` (or under `$HOME` when the checkout itself is in
//! a temp dir), which no policy makes writable (unlike `/tmp`), so "outside the workspace" really
//! is outside every writable root.
#![cfg(target_os = "linux")]

mod support;

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use reins::sandbox::paths::{self, PathError};
use reins::sandbox::{scrubbed_env, SandboxError, SandboxMode, SandboxPolicy};

/// A workspace (a git repository with a project config) next to an "outside" directory.
struct Fx {
    _base: tempfile::TempDir,
    root: PathBuf,
    ws: PathBuf,
    outside: PathBuf,
    /// Unique per fixture, to name files created outside the fixture (in `/etc`, `$HOME`).
    token: String,
}

const ORIGINAL: &str = "original";

fn base_dir() -> PathBuf {
    std::env::var_os("REINS_SANDBOX_TEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(support::outside_temp_dirs)
}

fn fixture() -> Fx {
    let base = tempfile::Builder::new()
        .prefix("sbx")
        .tempdir_in(base_dir())
        .unwrap();
    let root = base.path().canonicalize().unwrap();
    let ws = root.join("ws");
    let outside = root.join("outside");
    std::fs::create_dir_all(ws.join("src")).unwrap();
    std::fs::create_dir_all(ws.join(".reins")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(ws.join("README.md"), "hello\n").unwrap();
    std::fs::write(ws.join(".reins/config.toml"), "model = \"x\"\n").unwrap();
    std::fs::write(outside.join("file.txt"), ORIGINAL).unwrap();
    std::fs::write(outside.join("id_rsa"), "PRIVATE KEY").unwrap();
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(&ws)
        .status()
        .unwrap();
    assert!(git.success());
    std::fs::create_dir_all(ws.join(".git/hooks")).unwrap();
    let token = root.file_name().unwrap().to_string_lossy().into_owned();
    Fx {
        _base: base,
        root,
        ws,
        outside,
        token,
    }
}

fn policy(fx: &Fx, mode: SandboxMode, network: bool) -> SandboxPolicy {
    SandboxPolicy::new(mode, network, &fx.ws, Vec::new())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn home() -> PathBuf {
    PathBuf::from(std::env::var("HOME").unwrap())
}

fn has_python() -> bool {
    std::process::Command::new("python3")
        .arg("-c")
        .arg("pass")
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `bash -c script` in `cwd` under `policy`.
async fn run(policy: &SandboxPolicy, cwd: &Path, script: &str) -> Output {
    let mut cmd = tokio::process::Command::new("bash");
    cmd.arg("-c")
        .arg(script)
        .current_dir(cwd)
        .stdin(Stdio::null());
    policy.confine(&mut cmd).unwrap();
    cmd.output().await.unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

type FxFn<T> = Box<dyn Fn(&Fx) -> T>;

/// One escape attempt: a script and a probe telling whether it had its effect.
struct Escape {
    script: FxFn<String>,
    happened: FxFn<bool>,
    cleanup: FxFn<()>,
    cwd: FxFn<PathBuf>,
    mode: SandboxMode,
    /// Whether the attempt can only succeed, unconfined, as root (system directories).
    root_only: bool,
}

fn escape(
    script: impl Fn(&Fx) -> String + 'static,
    happened: impl Fn(&Fx) -> bool + 'static,
) -> Escape {
    Escape {
        script: Box::new(script),
        happened: Box::new(happened),
        cleanup: Box::new(|_| {}),
        cwd: Box::new(|fx| fx.ws.clone()),
        mode: SandboxMode::WorkspaceWrite,
        root_only: false,
    }
}

impl Escape {
    fn cleanup(mut self, f: impl Fn(&Fx) + 'static) -> Self {
        self.cleanup = Box::new(f);
        self
    }

    fn cwd(mut self, f: impl Fn(&Fx) -> PathBuf + 'static) -> Self {
        self.cwd = Box::new(f);
        self
    }

    fn mode(mut self, mode: SandboxMode) -> Self {
        self.mode = mode;
        self
    }

    fn root_only(mut self) -> Self {
        self.root_only = true;
        self
    }

    /// Blocked when confined, effective when not.
    async fn check(self) {
        let fx = fixture();
        let script = (self.script)(&fx);
        let out = run(&policy(&fx, self.mode, false), &(self.cwd)(&fx), &script).await;
        let happened = (self.happened)(&fx);
        (self.cleanup)(&fx);
        assert!(
            !happened,
            "escaped the sandbox: {script}\nstdout: {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        );

        if self.root_only && !is_root() {
            return;
        }
        let fx = fixture();
        let script = (self.script)(&fx);
        let out = run(
            &policy(&fx, SandboxMode::Full, true),
            &(self.cwd)(&fx),
            &script,
        )
        .await;
        let happened = (self.happened)(&fx);
        (self.cleanup)(&fx);
        assert!(
            happened,
            "the attempt does not work even unconfined, so it proves nothing: {script}\n\
             stderr: {}",
            text(&out.stderr)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Writes outside the workspace

#[tokio::test]
async fn write_to_the_workspace_parent() {
    escape(
        |fx| format!("echo x > {}/escaped", fx.root.display()),
        |fx| fx.root.join("escaped").exists(),
    )
    .check()
    .await;
}

#[tokio::test]
async fn overwrite_a_file_outside() {
    escape(
        |fx| format!("echo pwned > {}/file.txt", fx.outside.display()),
        |fx| read(&fx.outside.join("file.txt")) != ORIGINAL,
    )
    .check()
    .await;
}

#[tokio::test]
async fn truncate_a_file_outside() {
    escape(
        |fx| format!("truncate -s 0 {}/file.txt", fx.outside.display()),
        |fx| read(&fx.outside.join("file.txt")).is_empty(),
    )
    .check()
    .await;
}

#[tokio::test]
async fn delete_and_rename_outside() {
    escape(
        |fx| {
            format!(
                "rm -f {0}/file.txt || mv {0}/file.txt {0}/moved",
                fx.outside.display()
            )
        },
        |fx| !fx.outside.join("file.txt").exists(),
    )
    .check()
    .await;
}

#[tokio::test]
async fn move_an_outside_file_into_the_workspace() {
    escape(
        |fx| {
            format!(
                "mv {}/file.txt {}/stolen",
                fx.outside.display(),
                fx.ws.display()
            )
        },
        |fx| !fx.outside.join("file.txt").exists(),
    )
    .check()
    .await;
}

#[tokio::test]
async fn create_dirs_fifos_and_symlinks_outside() {
    escape(
        |fx| {
            let o = fx.outside.display();
            format!("mkdir {o}/d; mkfifo {o}/fifo; ln -s /etc/passwd {o}/link; true")
        },
        |fx| {
            ["d", "fifo", "link"]
                .iter()
                .any(|n| fx.outside.join(n).symlink_metadata().is_ok())
        },
    )
    .check()
    .await;
}

#[tokio::test]
async fn write_to_home() {
    escape(
        |fx| format!("echo x > \"$HOME/.reins-escape-{}\"", fx.token),
        |fx| home().join(format!(".reins-escape-{}", fx.token)).exists(),
    )
    .cleanup(|fx| {
        let _ = std::fs::remove_file(home().join(format!(".reins-escape-{}", fx.token)));
    })
    .check()
    .await;
}

#[tokio::test]
async fn write_to_etc() {
    escape(
        |fx| format!("echo x > /etc/reins-escape-{}", fx.token),
        |fx| Path::new(&format!("/etc/reins-escape-{}", fx.token)).exists(),
    )
    .cleanup(|fx| {
        let _ = std::fs::remove_file(format!("/etc/reins-escape-{}", fx.token));
    })
    .root_only()
    .check()
    .await;
}

#[tokio::test]
async fn dotdot_traversal_from_the_workspace() {
    escape(
        |fx| format!("echo x > {}/../escaped-dotdot", fx.ws.display()),
        |fx| fx.root.join("escaped-dotdot").exists(),
    )
    .check()
    .await;
}

#[tokio::test]
async fn relative_dotdot_from_a_subdirectory() {
    escape(
        |_| "echo pwned > ../../outside/file.txt".to_string(),
        |fx| read(&fx.outside.join("file.txt")) != ORIGINAL,
    )
    .cwd(|fx| fx.ws.join("src"))
    .check()
    .await;
}

#[tokio::test]
async fn cd_to_root_and_touch() {
    escape(
        |fx| format!("cd / && touch reins-escape-{}", fx.token),
        |fx| Path::new(&format!("/reins-escape-{}", fx.token)).exists(),
    )
    .cleanup(|fx| {
        let _ = std::fs::remove_file(format!("/reins-escape-{}", fx.token));
    })
    .root_only()
    .check()
    .await;
}

#[tokio::test]
async fn write_through_a_symlink_pointing_out() {
    escape(
        |fx| {
            let (ws, o) = (fx.ws.display(), fx.outside.display());
            format!("ln -s {o} {ws}/out && echo pwned > {ws}/out/file.txt")
        },
        |fx| read(&fx.outside.join("file.txt")) != ORIGINAL,
    )
    .check()
    .await;
}

#[tokio::test]
async fn hard_link_an_outside_file_and_write_it() {
    escape(
        |fx| {
            let (ws, o) = (fx.ws.display(), fx.outside.display());
            format!("ln {o}/file.txt {ws}/hl && echo pwned >> {ws}/hl")
        },
        |fx| read(&fx.outside.join("file.txt")).contains("pwned"),
    )
    .check()
    .await;
}

#[tokio::test]
async fn python_writing_outside() {
    if !has_python() {
        eprintln!("skipped: python3 not found");
        return;
    }
    escape(
        |fx| {
            let target = fx.outside.join("py.txt");
            format!(
                "python3 -c \"open('{}', 'w').write('x')\"",
                target.display()
            )
        },
        |fx| fx.outside.join("py.txt").exists(),
    )
    .check()
    .await;
}

#[tokio::test]
async fn make_a_raw_disk_device_in_the_workspace() {
    escape(
        |fx| format!("mknod {}/disk b 7 0", fx.ws.display()),
        |fx| fx.ws.join("disk").symlink_metadata().is_ok(),
    )
    .root_only()
    .check()
    .await;
}

/// Bit `cap` of the `CapBnd` line of a child's `/proc/self/status`.
async fn child_has_capability(mode: SandboxMode, cap: u32) -> bool {
    let fx = fixture();
    let out = run(
        &policy(&fx, mode, false),
        &fx.ws,
        "grep CapBnd /proc/self/status",
    )
    .await;
    let line = text(&out.stdout);
    let hex = line.split_whitespace().nth(1).unwrap_or("0");
    u64::from_str_radix(hex, 16).unwrap() & (1 << cap) != 0
}

#[tokio::test]
async fn root_children_lose_kernel_level_capabilities() {
    if !is_root() {
        return;
    }
    for cap in [16, 21, 27] {
        // CAP_SYS_MODULE, CAP_SYS_ADMIN, CAP_MKNOD
        assert!(!child_has_capability(SandboxMode::WorkspaceWrite, cap).await);
        assert!(child_has_capability(SandboxMode::Full, cap).await);
    }
    assert!(child_has_capability(SandboxMode::WorkspaceWrite, 1).await); // CAP_DAC_OVERRIDE
}

// ---------------------------------------------------------------------------------------------
// Protected paths inside the workspace

#[tokio::test]
async fn write_a_git_hook() {
    escape(
        |fx| {
            let hook = fx.ws.join(".git/hooks/pre-commit");
            format!(
                "printf '#!/bin/sh\\necho pwned\\n' > {0} && chmod +x {0}",
                hook.display()
            )
        },
        |fx| fx.ws.join(".git/hooks/pre-commit").exists(),
    )
    .check()
    .await;
}

#[tokio::test]
async fn modify_git_config() {
    escape(
        |fx| format!("git -C {} config core.hooksPath /tmp/evil", fx.ws.display()),
        |fx| read(&fx.ws.join(".git/config")).contains("hooksPath"),
    )
    .check()
    .await;
}

#[tokio::test]
async fn write_a_git_hook_relative_to_a_cwd_inside_git() {
    escape(
        |_| "echo pwned > hooks/pre-commit; echo pwned >> config".to_string(),
        |fx| {
            fx.ws.join(".git/hooks/pre-commit").exists()
                || read(&fx.ws.join(".git/config")).contains("pwned")
        },
    )
    .cwd(|fx| fx.ws.join(".git"))
    .check()
    .await;
}

#[tokio::test]
async fn replace_the_git_directory() {
    escape(
        |fx| {
            let ws = fx.ws.display();
            format!("mv {ws}/.git {ws}/.git-old && mkdir -p {ws}/.git/hooks")
        },
        |fx| fx.ws.join(".git-old").exists(),
    )
    .check()
    .await;
}

#[tokio::test]
async fn unmount_the_protection() {
    escape(
        |fx| {
            let ws = fx.ws.display();
            format!("umount {ws}/.git 2>/dev/null; echo x > {ws}/.git/hooks/pre-push")
        },
        |fx| fx.ws.join(".git/hooks/pre-push").exists(),
    )
    .check()
    .await;
}

#[tokio::test]
async fn reach_git_through_another_process_root() {
    escape(
        |fx| {
            format!(
                "echo x > /proc/$PPID/root{}/.git/hooks/post-checkout",
                fx.ws.display()
            )
        },
        |fx| fx.ws.join(".git/hooks/post-checkout").exists(),
    )
    .check()
    .await;
}

#[tokio::test]
async fn modify_the_project_config() {
    escape(
        |fx| {
            format!(
                "echo 'sandbox = \"full\"' >> {}/.reins/config.toml",
                fx.ws.display()
            )
        },
        |fx| read(&fx.ws.join(".reins/config.toml")).contains("full"),
    )
    .check()
    .await;
}

#[tokio::test]
async fn replace_the_project_config_by_rename() {
    escape(
        |fx| {
            let dir = fx.ws.join(".reins");
            let d = dir.display();
            format!("echo evil > {d}/new.toml && mv -f {d}/new.toml {d}/config.toml")
        },
        |fx| read(&fx.ws.join(".reins/config.toml")).contains("evil"),
    )
    .check()
    .await;
}

#[tokio::test]
async fn read_only_mode_blocks_workspace_writes() {
    escape(
        |fx| format!("echo x > {}/new.txt", fx.ws.display()),
        |fx| fx.ws.join("new.txt").exists(),
    )
    .mode(SandboxMode::ReadOnly)
    .check()
    .await;
}

#[tokio::test]
async fn read_only_mode_blocks_temp_writes() {
    escape(
        |fx| format!("echo x > /tmp/reins-ro-{}", fx.token),
        |fx| Path::new(&format!("/tmp/reins-ro-{}", fx.token)).exists(),
    )
    .cleanup(|fx| {
        let _ = std::fs::remove_file(format!("/tmp/reins-ro-{}", fx.token));
    })
    .mode(SandboxMode::ReadOnly)
    .check()
    .await;
}

// ---------------------------------------------------------------------------------------------
// Network

/// Runs `script` (with `{port}` replaced) under `mode` and says whether the test's TCP listener
/// on 127.0.0.1 saw a connection.
async fn tcp_reached(mode: SandboxMode, script: &str) -> bool {
    let fx = fixture();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = script.replace("{port}", &port.to_string());
    run(&policy(&fx, mode, false), &fx.ws, &script).await;
    listener.accept().is_ok()
}

/// The same for a UDP socket on 127.0.0.1.
async fn udp_reached(mode: SandboxMode, script: &str) -> bool {
    let fx = fixture();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    let script = script.replace("{port}", &port.to_string());
    run(&policy(&fx, mode, false), &fx.ws, &script).await;
    let mut buf = [0u8; 16];
    socket.recv(&mut buf).is_ok()
}

#[tokio::test]
async fn tcp_to_a_loopback_listener() {
    let script = "echo hi > /dev/tcp/127.0.0.1/{port}";
    assert!(!tcp_reached(SandboxMode::WorkspaceWrite, script).await);
    assert!(!tcp_reached(SandboxMode::ReadOnly, script).await);
    assert!(tcp_reached(SandboxMode::Full, script).await);
}

#[tokio::test]
async fn python_tcp_to_a_loopback_listener() {
    if !has_python() {
        return;
    }
    let script = "python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}))\"";
    assert!(!tcp_reached(SandboxMode::WorkspaceWrite, script).await);
    assert!(tcp_reached(SandboxMode::Full, script).await);
}

#[tokio::test]
async fn udp_sendto_a_loopback_socket() {
    let script = "echo hi > /dev/udp/127.0.0.1/{port}";
    assert!(!udp_reached(SandboxMode::WorkspaceWrite, script).await);
    assert!(udp_reached(SandboxMode::Full, script).await);
    if has_python() {
        let py = "python3 -c \"import socket; \
                  socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', {port}))\"";
        assert!(!udp_reached(SandboxMode::WorkspaceWrite, py).await);
        assert!(udp_reached(SandboxMode::Full, py).await);
    }
}

#[tokio::test]
async fn network_flag_lets_loopback_through() {
    let fx = fixture();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = format!("echo hi > /dev/tcp/127.0.0.1/{port}");
    let out = run(
        &policy(&fx, SandboxMode::WorkspaceWrite, true),
        &fx.ws,
        &script,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(listener.accept().is_ok());
}

#[tokio::test]
async fn terminal_injection_is_refused() {
    if !has_python() {
        return;
    }
    let script = "python3 -c \"import fcntl, termios; fcntl.ioctl(1, termios.TIOCSTI, b'x')\"";
    let fx = fixture();
    let confined = run(
        &policy(&fx, SandboxMode::WorkspaceWrite, true),
        &fx.ws,
        script,
    )
    .await;
    assert!(
        text(&confined.stderr).contains("Operation not permitted"),
        "{}",
        text(&confined.stderr)
    );
    let full = run(&policy(&fx, SandboxMode::Full, true), &fx.ws, script).await;
    assert!(!text(&full.stderr).contains("Operation not permitted"));
}

// ---------------------------------------------------------------------------------------------
// Environment

#[tokio::test]
async fn provider_keys_do_not_reach_children() {
    // Set once for the whole test binary; no other test reads these variables.
    std::env::set_var("OPENAI_API_KEY", "sk-test-secret");
    std::env::set_var("REINS_PROVIDER_CRED", "cred-secret");
    let fx = fixture();
    let script = "echo \"${OPENAI_API_KEY:-absent} ${REINS_PROVIDER_CRED:-absent}\"";
    let p = policy(&fx, SandboxMode::WorkspaceWrite, false);
    let mut cmd = tokio::process::Command::new("bash");
    cmd.arg("-c").arg(script).env_clear();
    cmd.envs(scrubbed_env(&["REINS_PROVIDER_CRED".to_string()], &[]));
    p.confine(&mut cmd).unwrap();
    let out = cmd.output().await.unwrap();
    assert_eq!(text(&out.stdout).trim(), "absent absent");

    let full = run(&policy(&fx, SandboxMode::Full, true), &fx.ws, script).await;
    assert_eq!(text(&full.stdout).trim(), "sk-test-secret cred-secret");
}

// ---------------------------------------------------------------------------------------------
// File tools: `paths::resolve` + `check_write` / `check_read`

#[test]
fn file_tools_refuse_writing_through_a_symlink_pointing_out() {
    let fx = fixture();
    std::os::unix::fs::symlink(&fx.outside, fx.ws.join("out")).unwrap();
    assert!(matches!(
        paths::resolve(&fx.ws, "out/file.txt"),
        Err(PathError::Outside(_))
    ));
    std::os::unix::fs::symlink(fx.outside.join("new.txt"), fx.ws.join("dangling")).unwrap();
    assert!(matches!(
        paths::resolve(&fx.ws, "dangling"),
        Err(PathError::Outside(_))
    ));
}

#[test]
fn file_tools_refuse_reading_a_secret_through_a_symlink() {
    let fx = fixture();
    std::os::unix::fs::symlink(fx.outside.join("id_rsa"), fx.ws.join("key")).unwrap();
    assert!(matches!(
        paths::resolve(&fx.ws, "key"),
        Err(PathError::Outside(_))
    ));
    std::fs::write(fx.ws.join("id_rsa"), "PRIVATE KEY").unwrap();
    std::os::unix::fs::symlink("id_rsa", fx.ws.join("innocent.txt")).unwrap();
    let p = policy(&fx, SandboxMode::WorkspaceWrite, false);
    let resolved = paths::resolve(&fx.ws, "innocent.txt").unwrap();
    let err = p.check_read(&resolved).unwrap_err();
    assert!(matches!(err, SandboxError::ReadDenied { .. }));
    assert!(err.to_string().contains("read(./id_rsa)"), "{err}");
}

#[test]
fn file_tools_refuse_secrets_unless_allowed() {
    let fx = fixture();
    std::fs::write(fx.ws.join(".env"), "TOKEN=x").unwrap();
    let mut p = policy(&fx, SandboxMode::WorkspaceWrite, false);
    let env = paths::resolve(&fx.ws, ".env").unwrap();
    assert!(p.check_read(&env).is_err());
    assert!(p.check_read(&fx.ws.join("README.md")).is_ok());
    p.set_read_rules(vec![".env".to_string()], Vec::new());
    assert!(p.check_read(&env).is_ok());
}

#[test]
fn file_tools_refuse_protected_and_outside_writes() {
    let fx = fixture();
    let p = policy(&fx, SandboxMode::WorkspaceWrite, false);
    for rel in [".git/hooks/pre-commit", ".git/config", ".reins/config.toml"] {
        let path = paths::resolve(&fx.ws, rel).unwrap();
        assert!(p.check_write(&path).is_err(), "{rel}");
    }
    assert!(p.check_write(&fx.outside.join("file.txt")).is_err());
    assert!(p.check_write(Path::new("/etc/passwd")).is_err());
    assert!(matches!(
        paths::resolve(&fx.ws, "../outside/file.txt"),
        Err(PathError::Outside(_))
    ));
    let ok = paths::resolve(&fx.ws, "src/new.rs").unwrap();
    assert!(p.check_write(&ok).is_ok());
}

#[test]
fn file_tools_refuse_writing_a_hard_link() {
    let fx = fixture();
    std::fs::hard_link(fx.outside.join("file.txt"), fx.ws.join("hl")).unwrap();
    let p = policy(&fx, SandboxMode::WorkspaceWrite, false);
    let path = paths::resolve(&fx.ws, "hl").unwrap();
    assert!(p.check_write(&path).is_err());
}

// ---------------------------------------------------------------------------------------------
// Legitimate work under the sandbox

/// Runs `script` under `workspace-write` and asserts it succeeds.
async fn works(fx: &Fx, script: &str) -> String {
    let out = run(
        &policy(fx, SandboxMode::WorkspaceWrite, false),
        &fx.ws,
        script,
    )
    .await;
    assert!(
        out.status.success(),
        "legitimate command failed: {script}\nstderr: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[tokio::test]
async fn workspace_writes_work() {
    let fx = fixture();
    works(
        &fx,
        "touch newfile && mkdir -p target/debug && echo x > target/debug/out",
    )
    .await;
    assert!(fx.ws.join("newfile").exists());
    works(
        &fx,
        "echo more >> README.md && mv newfile src/moved && rm src/moved",
    )
    .await;
    works(
        &fx,
        "echo notes > .reins/notes.md && cat .git/HEAD > /dev/null",
    )
    .await;
    assert!(fx.ws.join(".reins/notes.md").exists());
}

#[tokio::test]
async fn temp_dir_devices_and_pipes_work() {
    let fx = fixture();
    let out = works(
        &fx,
        &format!(
            "f=$(mktemp) && echo hi > \"$f\" && cat \"$f\" && rm \"$f\" && \
             echo x > /tmp/reins-ok-{0} && rm /tmp/reins-ok-{0} && \
             echo quiet > /dev/null && echo err > /dev/stderr && ls | wc -l > /dev/null",
            fx.token
        ),
    )
    .await;
    assert_eq!(out.trim(), "hi");
}

#[tokio::test]
async fn python_and_unix_sockets_work() {
    if !has_python() {
        return;
    }
    let fx = fixture();
    let out = works(
        &fx,
        "python3 -c \"import socket; a, b = socket.socketpair(); a.send(b'ok'); print(b.recv(2).decode())\"",
    )
    .await;
    assert_eq!(out.trim(), "ok");
}

#[tokio::test]
async fn git_status_works() {
    let fx = fixture();
    let out = works(
        &fx,
        "git status --short && git log --oneline -1 2>/dev/null; true",
    )
    .await;
    assert!(out.contains("README.md"), "{out}");
}

#[tokio::test]
async fn read_only_mode_reads_everything() {
    let fx = fixture();
    let p = policy(&fx, SandboxMode::ReadOnly, false);
    let out = run(
        &p,
        &fx.ws,
        "cat README.md ../outside/file.txt && echo > /dev/null",
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("hello\n{ORIGINAL}"));
}

#[tokio::test]
async fn run_command_reports_the_exit_code() {
    let fx = fixture();
    let p = policy(&fx, SandboxMode::WorkspaceWrite, false);
    let argv = |s: &str| vec!["bash".to_string(), "-c".to_string(), s.to_string()];
    let env = scrubbed_env(&[], &[]);
    let run = |argv: &[String]| reins::sandbox::run_command(&p, argv, &env);
    assert_eq!(run(&argv("exit 7")).unwrap(), 7);
    let blocked = format!("echo x > {}/f", fx.outside.display());
    assert_ne!(run(&argv(&blocked)).unwrap(), 0);
    assert!(run(&[]).is_err());
}
