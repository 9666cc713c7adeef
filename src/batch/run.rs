//! One task of a batch, run as its own `reins exec`/`reins run` process (as `reins eval` runs
//! its units), its `--json` stream read back typed for the report.

use super::file::BatchTask;
use super::report::TaskResult;
use crate::agent::{Event, Status};
use std::path::Path;

/// Runs `task` (the `index`-th of a batch file in `base`) with the `reins` binary `exe` and the
/// global arguments `global` (`-c KEY=VALUE`…); its progress on stderr goes to ours, so a CI log
/// shows it.
pub async fn run_task(
    exe: &Path,
    global: &[String],
    base: &Path,
    index: usize,
    task: &BatchTask,
) -> TaskResult {
    let started = std::time::Instant::now();
    let mut result = TaskResult {
        index,
        name: task.name.clone(),
        command: task.command().to_string(),
        exit_code: None,
        status: None,
        session_id: None,
        steps: 0,
        cost_usd: None,
        duration_ms: 0,
        error: None,
    };
    let output = tokio::process::Command::new(exe)
        .args(global)
        .args(task.args(base))
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .await;
    match output {
        Ok(out) => {
            result.exit_code = out.status.code();
            read_events(&String::from_utf8_lossy(&out.stdout), &mut result);
        }
        Err(e) => result.error = Some(format!("cannot start {}: {e}", exe.display())),
    }
    result.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    result
}

/// The session id, how the session ended and its last error, from its event stream.
fn read_events(stdout: &str, result: &mut TaskResult) {
    for line in stdout.lines() {
        let Ok(event) = serde_json::from_str::<Event>(line) else {
            continue;
        };
        match event {
            Event::SessionStarted { session_id, .. } => result.session_id = Some(session_id),
            Event::Error {
                message,
                retrying: false,
            } => result.error = Some(message),
            Event::SessionFinished {
                status,
                steps,
                cost_usd,
                ..
            } => {
                result.status = Some(status_name(status));
                result.steps = steps;
                result.cost_usd = cost_usd;
            }
            _ => {}
        }
    }
}

fn status_name(status: Status) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
