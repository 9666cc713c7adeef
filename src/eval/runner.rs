//! One unit of an eval: a fresh copy of the fixture, the real `reins` binary run headless on it
//! (`exec --json`, or `run` for a workflow) with the task's budget and time limit, then the hidden
//! checks run by the harness in the same sandbox the agent had.

use super::fixture;
use super::gitsource::SourceError;
use super::plan::EvalConfig;
use super::report::{CheckRecord, RunResult};
use super::suite::{Job, Source, Task};
use crate::agent::{Event, Status};
use crate::cancel::Cancel;
use crate::sandbox::{SandboxMode, SandboxPolicy};
use crate::tools::ToolContext;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

/// How much of a crashed run's stderr the report keeps.
const STDERR_TAIL: usize = 600;

/// What every run shares.
#[derive(Debug, Clone)]
pub struct RunnerSetup {
    /// The `reins` binary to run (the current executable).
    pub exe: PathBuf,
    /// `-c key=value` overrides passed on to every run.
    pub overrides: Vec<String>,
    /// The environment of the hidden checks (secrets removed, as for the agent's commands).
    pub check_env: Vec<(OsString, OsString)>,
    pub allow_unsandboxed: bool,
}

/// How the agent's process ended.
struct Session {
    status: String,
    steps: u32,
    input_tokens: u64,
    output_tokens: u64,
    cost_usd: Option<f64>,
    wall_ms: u64,
    error: Option<String>,
}

/// Runs `task` with `config` once and judges it.
pub async fn run_unit(
    setup: &RunnerSetup,
    task: &Task,
    config: &EvalConfig,
    repeat: u32,
) -> RunResult {
    let base = RunResult {
        task: task.name.clone(),
        config: config.label.clone(),
        repeat,
        status: "error".into(),
        passed: false,
        steps: 0,
        input_tokens: 0,
        output_tokens: 0,
        cost_usd: None,
        wall_ms: 0,
        checks: Vec::new(),
        error: None,
    };
    let tmp = match tempfile::Builder::new().prefix("reins-eval-").tempdir() {
        Ok(t) => t,
        Err(e) => {
            return RunResult {
                error: Some(format!("cannot create a temp dir: {e}")),
                ..base
            }
        }
    };
    let work = tmp.path().join("work");
    if let Err(error) = prepare(&task.source, &work).await {
        return RunResult {
            error: Some(error.to_string()),
            ..base
        };
    }
    let s = run_session(setup, task, config, &work).await;
    let checks = run_checks(
        &setup.check_env,
        setup.allow_unsandboxed,
        &task.checks,
        &work,
        Duration::from_secs(task.timeout_s),
    )
    .await;
    RunResult {
        status: s.status,
        passed: checks.len() == task.checks.len() && checks.iter().all(|c| c.passed),
        steps: s.steps,
        input_tokens: s.input_tokens,
        output_tokens: s.output_tokens,
        cost_usd: s.cost_usd,
        wall_ms: s.wall_ms,
        checks,
        error: s.error,
        ..base
    }
}

/// Why a run's fresh copy could not be made; recorded as the run's error.
#[derive(Debug, thiserror::Error)]
pub(super) enum PrepareError {
    #[error("cannot copy the fixture {}: {source}", dir.display())]
    Copy {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("exporting the revision stopped: {0}")]
    Stopped(#[source] tokio::task::JoinError),
    #[error("no repository at {}: {}", repo.display(), source.message())]
    NoRepo {
        repo: PathBuf,
        #[source]
        source: git2::Error,
    },
    #[error("cannot export {rev} of {}: {source}", repo.display())]
    Export {
        rev: String,
        repo: PathBuf,
        #[source]
        source: SourceError,
    },
    #[error("cannot read {}: {source}", path.display())]
    ReadPatch {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot apply the test patch on {rev}: {source}")]
    Patch {
        rev: String,
        #[source]
        source: SourceError,
    },
}

/// The run's fresh copy at `work`: the fixture copied, or the revision exported with its test
/// patch applied; committed either way. The temp dir holding it is removed with the run.
async fn prepare(source: &Source, work: &Path) -> Result<(), PrepareError> {
    match source {
        Source::Fixture(dir) => {
            fixture::copy_tree(dir, work).map_err(|source| PrepareError::Copy {
                dir: dir.clone(),
                source,
            })?;
            fixture::commit_all(work).await;
            Ok(())
        }
        Source::Git {
            repo,
            rev,
            test_patch,
        } => {
            let (repo, rev, patch, work) = (
                repo.clone(),
                rev.clone(),
                test_patch.clone(),
                work.to_path_buf(),
            );
            tokio::task::spawn_blocking(move || {
                export_revision(&repo, &rev, patch.as_deref(), &work)
            })
            .await
            .map_err(PrepareError::Stopped)?
        }
    }
}

/// Exports `rev` of the repository found at `repo` into `work` and applies `patch` on top.
pub(super) fn export_revision(
    repo: &Path,
    rev: &str,
    patch: Option<&Path>,
    work: &Path,
) -> Result<(), PrepareError> {
    let r = git2::Repository::discover(repo).map_err(|source| PrepareError::NoRepo {
        repo: repo.to_path_buf(),
        source,
    })?;
    super::gitsource::export(&r, rev, work).map_err(|source| PrepareError::Export {
        rev: rev.to_string(),
        repo: repo.to_path_buf(),
        source,
    })?;
    let patch = patch
        .map(|p| {
            std::fs::read(p).map_err(|source| PrepareError::ReadPatch {
                path: p.to_path_buf(),
                source,
            })
        })
        .transpose()?;
    super::gitsource::commit_with_patch(work, patch.as_deref()).map_err(|source| {
        PrepareError::Patch {
            rev: rev.to_string(),
            source,
        }
    })
}

/// The command line of the agent's run.
fn command_args(
    setup: &RunnerSetup,
    task: &Task,
    config: &EvalConfig,
    work: &Path,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = match &task.job {
        Job::Prompt(_) => vec!["exec".into()],
        Job::Workflow { name, vars } => {
            let mut a: Vec<OsString> = vec!["run".into(), name.into()];
            for (k, v) in vars {
                a.push("--var".into());
                a.push(format!("{k}={v}").into());
            }
            a
        }
    };
    args.extend(["--json".into(), "-C".into(), work.as_os_str().to_owned()]);
    args.extend(["--max-steps".into(), task.max_steps.to_string().into()]);
    if let Some(c) = task.max_cost {
        args.extend(["--max-cost".into(), c.to_string().into()]);
    }
    args.extend(config.flags(&task.name).into_iter().map(OsString::from));
    for o in &setup.overrides {
        args.extend(["-c".into(), o.into()]);
    }
    if let Job::Prompt(p) = &task.job {
        args.extend(["--".into(), p.into()]);
    }
    args
}

async fn run_session(
    setup: &RunnerSetup,
    task: &Task,
    config: &EvalConfig,
    work: &Path,
) -> Session {
    let started = Instant::now();
    let mut cmd = tokio::process::Command::new(&setup.exe);
    cmd.args(command_args(setup, task, config, work))
        // Each run builds in its own copy: a shared CARGO_TARGET_DIR would hand one run's build
        // to another (and race under --jobs).
        .env_remove("CARGO_TARGET_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return failed(
                "error",
                format!("cannot start {}: {e}", setup.exe.display()),
                started,
            )
        }
    };
    let stdout = read_all(child.stdout.take());
    let stderr = read_all(child.stderr.take());
    let pid = child.id();
    let limit = Duration::from_secs(task.timeout_s);
    let waited = tokio::time::timeout(limit, child.wait()).await;
    if waited.is_err() {
        stop(pid, &mut child).await;
    }
    let (out, err) = (
        stdout.await.unwrap_or_default(),
        stderr.await.unwrap_or_default(),
    );
    let mut s = parse_events(&out, started);
    if waited.is_err() {
        s.status = "timeout".into();
        s.error = Some(format!(
            "stopped at the task's timeout of {} s",
            task.timeout_s
        ));
    } else if s.status == "crashed" {
        s.error = Some(tail(&err, STDERR_TAIL));
    }
    s
}

fn read_all<R: tokio::io::AsyncRead + Unpin + Send + 'static>(
    pipe: Option<R>,
) -> tokio::task::JoinHandle<String> {
    tokio::spawn(async move {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            // A read error keeps what was read so far, which is all there is to show.
            let _ = p.read_to_end(&mut buf).await;
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// How long an interrupted run gets to kill its command and write its last events.
const INTERRUPT_GRACE: Duration = Duration::from_secs(5);

/// Ends a run that ran out of time the way Ctrl-C would (the agent kills the command it is
/// running, which lives in a process group of its own, and writes `session.finished`), then kills
/// what is left of the run's process group.
async fn stop(pid: Option<u32>, child: &mut tokio::process::Child) {
    let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()).filter(|p| *p > 0) else {
        return;
    };
    // SAFETY: kill(2) on the pid of the child this harness spawned and has not reaped yet.
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    if tokio::time::timeout(INTERRUPT_GRACE, child.wait())
        .await
        .is_err()
    {
        // SAFETY: a negative pid signals the process group created for this run.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        // Reaps the killed run; its exit status says nothing the run's result needs.
        let _ = child.wait().await;
    }
}

/// The totals from the `session.finished` event; `crashed` when the run never wrote one.
fn parse_events(stdout: &str, started: Instant) -> Session {
    let finished = stdout
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Event>(l).ok())
        .find_map(|e| match e {
            Event::SessionFinished {
                status,
                steps,
                input_tokens,
                output_tokens,
                cost_usd,
                ..
            } => Some((status, steps, input_tokens, output_tokens, cost_usd)),
            _ => None,
        });
    let wall_ms = started.elapsed().as_millis() as u64;
    match finished {
        Some((status, steps, input_tokens, output_tokens, cost_usd)) => Session {
            status: status_name(status),
            steps,
            input_tokens,
            output_tokens,
            cost_usd,
            wall_ms,
            error: None,
        },
        None => Session {
            wall_ms,
            ..failed("crashed", String::new(), started)
        },
    }
}

/// The status as the `--json` stream spells it (`max_steps`), which reports keep.
fn status_name(status: Status) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn failed(status: &str, error: String, started: Instant) -> Session {
    Session {
        status: status.into(),
        steps: 0,
        input_tokens: 0,
        output_tokens: 0,
        cost_usd: None,
        wall_ms: started.elapsed().as_millis() as u64,
        error: Some(error),
    }
}

fn tail(s: &str, max: usize) -> String {
    let s = s.trim_end();
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s[start..].to_string()
}

/// Checks in a run's copy (or a mined candidate's), confined like the agent's commands
/// (workspace-write, no network), each with the time limit `timeout`.
pub(super) async fn run_checks(
    check_env: &[(OsString, OsString)],
    allow_unsandboxed: bool,
    checks: &[String],
    work: &Path,
    timeout: Duration,
) -> Vec<CheckRecord> {
    let ctx = match ToolContext::new(work, Cancel::never()) {
        Ok(mut ctx) => {
            ctx.child_env = check_env.to_vec();
            ctx.policy = SandboxPolicy::new(SandboxMode::WorkspaceWrite, false, work, Vec::new());
            ctx.allow_unsandboxed = allow_unsandboxed;
            ctx
        }
        Err(e) => {
            return vec![CheckRecord {
                command: checks.join(" && "),
                passed: false,
                exit_code: None,
                summary: format!("cannot open the run's copy: {e}"),
            }]
        }
    };
    crate::checks::run_all(checks, &ctx, timeout, &mut |_| {})
        .await
        .into_iter()
        .map(|o| CheckRecord {
            command: o.command,
            passed: o.passed,
            exit_code: o.exit_code,
            summary: o.summary,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_event_gives_the_totals() {
        let out = "{\"type\":\"session.started\"}\nnot json\n{\"type\":\"session.finished\",\"status\":\"max_steps\",\"steps\":3,\"input_tokens\":10,\"output_tokens\":2,\"cost_usd\":null,\"duration_ms\":9,\"models\":{}}\n";
        let s = parse_events(out, Instant::now());
        assert_eq!(
            (s.status.as_str(), s.steps, s.input_tokens, s.cost_usd),
            ("max_steps", 3, 10, None)
        );
        assert_eq!(parse_events("", Instant::now()).status, "crashed");
    }
}
