//! `shell`: `bash -c` in the workspace, in its own process group so a timeout or an interrupt kills
//! everything it started, with stdout and stderr merged into one pipe in the order written.

use super::output_cap::HeadTail;
use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolOutput, ToolResult};
use crate::types::{Effects, Exit, Runs, Subject, ToolKind};
use schemars::JsonSchema;
use serde::Deserialize;
use std::io::Read;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const OUTPUT_LIMIT: usize = 32 * 1024;
/// How long to wait for a pipe held open by a backgrounded grandchild after the command exits.
const DRAIN_GRACE: Duration = Duration::from_millis(200);

pub struct Shell;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    command: String,
    /// Milliseconds before the command is killed (default: the configured timeout).
    #[schemars(range(min = 100, max = 600_000))]
    timeout_ms: Option<u64>,
    /// Directory to run in, relative to the workspace (default: its root).
    workdir: Option<String>,
}

impl Tool for Shell {
    fn name(&self) -> &str {
        "shell"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/shell.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<Args>()
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects {
            edits: true,
            runs: Runs::ModelWritten,
            ..Effects::of(ToolKind::Execute)
        }
    }
    fn subjects(&self, args: &serde_json::Value) -> Vec<Subject> {
        args.get("command")
            .and_then(|c| c.as_str())
            .map(|c| Subject::Command(c.to_string()))
            .into_iter()
            .collect()
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: Args = parse_args(self.name(), args)?;
            let dir = ctx.resolve(a.workdir.as_deref().unwrap_or("."))?;
            if !dir.is_dir() {
                return Err(ToolError(format!(
                    "workdir `{}` is not a directory",
                    a.workdir.unwrap_or_default()
                )));
            }
            // The schema bounds `timeout_ms` (at most ten minutes), so a model-chosen timeout
            // cannot hold a session and its budget for hours; a longer configured one still
            // applies when the model leaves it out.
            let timeout = a
                .timeout_ms
                .map_or(ctx.settings.shell_timeout, Duration::from_millis);
            let mut out = run_command(&a.command, &dir, ctx, timeout).await?;
            if ctx.git_absent_at_start {
                if let Some(note) = crate::workspace::planted::set_aside_if_dangerous(&ctx.root) {
                    out.output = format!("{}\n{note}", out.output);
                }
            }
            Ok(ToolOutput {
                text: out.render(),
                exit: Some(out.exit()),
                changed: Vec::new(),
                plan: None,
                images: Vec::new(),
            })
        })
    }
}

/// How a command ended.
pub struct CommandOutput {
    pub exit_code: Option<i32>,
    pub output: String,
    pub timed_out: Option<Duration>,
}

impl CommandOutput {
    pub fn exit(&self) -> Exit {
        match (self.timed_out, self.exit_code) {
            (Some(_), _) => Exit::TimedOut,
            (None, Some(c)) => Exit::Code(c),
            (None, None) => Exit::Killed,
        }
    }

    fn render(&self) -> String {
        let status = match (self.timed_out, self.exit_code) {
            (Some(t), _) => format!(
                "timed out after {} ms; the command and its children were killed",
                t.as_millis()
            ),
            (None, Some(c)) => format!("exit code: {c}"),
            (None, None) => "killed by a signal".to_string(),
        };
        if self.output.is_empty() {
            format!("{status}\n(no output)")
        } else {
            format!("{status}\n{}", self.output)
        }
    }
}

/// The bash commands run with: its full path, found once per session on the commands' `PATH`,
/// so that a command does not try every `PATH` entry before it (a failed `exec` each). A bash
/// the sandbox could write is not fixed this way: looked up by name, as before, each time.
pub(crate) fn bash(ctx: &ToolContext) -> &std::ffi::OsStr {
    let found = ctx.bash.get_or_init(|| {
        let path = ctx
            .child_env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.as_os_str());
        crate::sandbox::program::resolve("bash", path, &ctx.policy).ok()
    });
    found.as_deref().map_or("bash".as_ref(), |p| p.as_os_str())
}

/// Runs `command` and collects its merged output; an interrupt kills the process group and is an error.
pub async fn run_command(
    command: &str,
    dir: &std::path::Path,
    ctx: &ToolContext,
    timeout: Duration,
) -> Result<CommandOutput, ToolError> {
    let (reader, writer) =
        std::io::pipe().map_err(|e| ToolError(format!("cannot create a pipe: {e}")))?;
    let writer2 = writer
        .try_clone()
        .map_err(|e| ToolError(format!("cannot create a pipe: {e}")))?;
    let mut cmd = tokio::process::Command::new(bash(ctx));
    cmd.arg("-c")
        .arg(command)
        .current_dir(dir)
        .env_clear()
        .envs(ctx.child_env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::from(writer2))
        .process_group(0)
        .kill_on_drop(true);
    let note = confine(&mut cmd, ctx)?;
    let mut child = ctx
        .policy
        .spawn(cmd)
        .map_err(|e| ToolError(format!("cannot start bash: {e}")))?;
    let group = crate::process_group::Group::track(child.id());
    let captured = Arc::new(Mutex::new(HeadTail::new(OUTPUT_LIMIT)));
    let drain = spawn_drain(reader, captured.clone());

    let outcome = tokio::select! {
        status = child.wait() => Ok(status.ok().and_then(|s| s.code())),
        _ = tokio::time::sleep(timeout) => Err(true),
        _ = ctx.cancel.cancelled() => Err(false),
    };
    drop(group);
    let _ = tokio::time::timeout(DRAIN_GRACE, drain).await;
    let output = captured.lock().map(|c| c.render()).unwrap_or_default();
    let output = match note {
        Some(n) => format!("{n}\n{output}"),
        None => output,
    };
    match outcome {
        Ok(code) => Ok(CommandOutput {
            exit_code: code,
            output,
            timed_out: None,
        }),
        Err(true) => Ok(CommandOutput {
            exit_code: None,
            output,
            timed_out: Some(timeout),
        }),
        Err(false) => Err(ToolError(format!(
            "interrupted by the user; the command was killed\n{output}"
        ))),
    }
}

/// Confines the child to the sandbox policy; when the kernel cannot, refuses unless the user
/// opted into running unconfined, in which case the output says so.
pub(crate) fn confine(
    cmd: &mut tokio::process::Command,
    ctx: &ToolContext,
) -> Result<Option<String>, ToolError> {
    match ctx.policy.confine(cmd) {
        Ok(()) => Ok(None),
        Err(e) if ctx.allow_unsandboxed => {
            Ok(Some(format!("[warning: ran without the sandbox: {e}]")))
        }
        Err(e) => Err(ToolError(e.to_string())),
    }
}

fn spawn_drain(
    mut reader: std::io::PipeReader,
    sink: Arc<Mutex<HeadTail>>,
) -> tokio::task::JoinHandle<()> {
    tokio::task::spawn_blocking(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut s) = sink.lock() {
                s.push(&buf[..n]);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(path: &str) -> (tempfile::TempDir, ToolContext) {
        let d = tempfile::tempdir().unwrap();
        let mut ctx = ToolContext::new(d.path(), crate::cancel::Cancel::never()).unwrap();
        ctx.child_env = vec![("PATH".into(), path.into())];
        (d, ctx)
    }

    #[test]
    fn bash_is_found_once_by_its_full_path() {
        let (_d, ctx) = context("/nonexistent:/usr/local/bin:/usr/bin:/bin");
        let found = std::path::Path::new(bash(&ctx)).to_path_buf();
        assert!(found.is_absolute(), "{found:?}");
        assert!(found.ends_with("bash"), "{found:?}");
        assert_eq!(ctx.bash.get(), Some(&Some(found)));
    }

    /// Which places the sandbox can write depends on the mode, so a mode switch finds bash again.
    #[test]
    fn a_sandbox_switch_finds_bash_again() {
        let (_d, mut ctx) = context("/usr/bin:/bin");
        bash(&ctx);
        assert!(ctx.bash.get().is_some());
        ctx.set_sandbox_mode(crate::types::SandboxMode::Full);
        assert!(ctx.bash.get().is_none());
    }

    #[test]
    fn a_bash_not_on_the_path_is_looked_up_by_name() {
        let (_d, ctx) = context("/nonexistent");
        assert_eq!(bash(&ctx), "bash");
    }
}
