//! Running one hook command: `bash -c` in the workspace, confined like the shell tool's commands
//! (same sandbox policy, same scrubbed environment, own process group), with the event as JSON
//! on stdin and stdout and stderr kept apart, since they mean different things to the caller.
//!
//! `bash` is resolved on `PATH` at every run and refused where the sandbox could have written
//! it; `PYTHONSAFEPATH=1` keeps a Python hook from importing what the model wrote beside it.
//! The working directory stays the workspace, unlike an MCP server's: hooks exist to act on the
//! workspace (formatters, checks), and they run confined, so it gives them nothing a command of
//! the model does not have.

use crate::tools::output_cap::HeadTail;
use crate::tools::shell::confine;
use crate::tools::ToolContext;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// What is kept of each stream.
const OUTPUT_LIMIT: usize = 16 * 1024;
/// How long to wait for a pipe held open by a backgrounded grandchild after the hook ends.
const DRAIN_GRACE: Duration = Duration::from_millis(200);

/// Why a hook did not run to an end; the caller names the hook in its warning.
#[derive(Debug, thiserror::Error)]
pub enum HookRunError {
    /// `bash` is missing, or lies where a sandboxed command could have replaced it.
    #[error(transparent)]
    Shell(#[from] crate::sandbox::program::ProgramError),
    /// The sandbox cannot confine it and running unconfined is not allowed.
    #[error("{0}")]
    Confine(String),
    #[error("cannot start bash: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("interrupted by the user")]
    Interrupted,
}

/// How a hook ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRun {
    /// `None` when a signal ended it or it timed out.
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    /// Set when the hook ran without the sandbox (`allow_unsandboxed`).
    pub unsandboxed: Option<String>,
}

/// Runs `command` with `input` on stdin. `Err` when it could not start or the user interrupted.
pub async fn run(
    command: &str,
    input: &[u8],
    ctx: &ToolContext,
    timeout: Duration,
) -> Result<HookRun, HookRunError> {
    let bash = shell_program(ctx)?;
    let mut cmd = tokio::process::Command::new(&bash);
    cmd.arg("-c")
        .arg(command)
        .current_dir(&ctx.root)
        .env_clear()
        .envs(ctx.child_env.iter().map(|(k, v)| (k, v)))
        .env("PYTHONSAFEPATH", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let unsandboxed = confine(&mut cmd, ctx).map_err(|e| HookRunError::Confine(e.0))?;
    let mut child = cmd.spawn().map_err(HookRunError::Spawn)?;
    let group = crate::process_group::Group::track(child.id());
    if let Some(mut stdin) = child.stdin.take() {
        let input = input.to_vec();
        // A hook that ignores its input may exit before reading it; the broken pipe is fine.
        tokio::spawn(async move {
            let _ = stdin.write_all(&input).await;
        });
    }
    let stdout = Capture::start(child.stdout.take());
    let stderr = Capture::start(child.stderr.take());
    let outcome = tokio::select! {
        status = child.wait() => Ok(status.ok().and_then(|s| s.code())),
        _ = tokio::time::sleep(timeout) => Err(true),
        _ = ctx.cancel.cancelled() => Err(false),
    };
    drop(group);
    let (stdout, stderr) = (stdout.finish().await, stderr.finish().await);
    match outcome {
        Err(false) => Err(HookRunError::Interrupted),
        Err(true) => Ok(HookRun {
            exit_code: None,
            stdout,
            stderr,
            timed_out: true,
            unsandboxed,
        }),
        Ok(exit_code) => Ok(HookRun {
            exit_code,
            stdout,
            stderr,
            timed_out: false,
            unsandboxed,
        }),
    }
}

/// `bash` as found on the hooks' `PATH` now, refused where a sandboxed command could have put
/// or replaced it.
fn shell_program(
    ctx: &ToolContext,
) -> Result<std::path::PathBuf, crate::sandbox::program::ProgramError> {
    let path = ctx
        .child_env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.as_os_str());
    crate::sandbox::program::resolve("bash", path, &ctx.policy)
}

/// One output stream read in the background into a bounded buffer.
struct Capture {
    buf: Arc<Mutex<HeadTail>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Capture {
    fn start(pipe: Option<impl AsyncRead + Unpin + Send + 'static>) -> Capture {
        let buf = Arc::new(Mutex::new(HeadTail::new(OUTPUT_LIMIT)));
        let task = pipe.map(|mut pipe| {
            let buf = buf.clone();
            tokio::spawn(async move {
                let mut chunk = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut b) = buf.lock() {
                        b.push(&chunk[..n]);
                    }
                }
            })
        });
        Capture { buf, task }
    }

    async fn finish(self) -> String {
        if let Some(task) = self.task {
            let _ = tokio::time::timeout(DRAIN_GRACE, task).await;
        }
        self.buf.lock().map(|b| b.render()).unwrap_or_default()
    }
}
