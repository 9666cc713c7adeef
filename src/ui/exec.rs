//! `reins exec`: the headless front end. Never waits for a human; JSON Lines or readable progress;
//! the exit code says how the session ended.

use super::{setup, ExitError};
use crate::agent::{Event, Session, SessionSetup, Status};
use crate::cli::{ExecArgs, GlobalArgs};
use crate::provider::retry_policy;
use crate::sandbox::approval::{Approval, NeverAsk};
use crate::store::sessions::{self, LoadedSession};
use crate::store::transcript::{Record, TranscriptWriter};
use crate::tools::Registry;
use std::io::{Read, Write};

/// Runs `reins exec` and returns the process exit code.
pub async fn run(args: ExecArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    let task = read_task(args.prompt.as_deref())?;
    let ws = setup::workspace(&global)?;
    let cfg = &ws.loaded.config;
    let routing = setup::routing(
        &ws,
        args.model.as_deref(),
        args.route.as_deref(),
        args.max_cost,
    )?;
    let resumed = resume(&ws, &args)?;
    let id = resumed
        .as_ref()
        .map_or_else(crate::workspace::new_session_id, |r| r.info.id.clone());
    let transcript = TranscriptWriter::open(ws.home()?, &id)
        .map_err(|e| ExitError::failure(e.to_string()))?
        .with_redactor(ws.redactor());
    let (canceller, cancel) = crate::cancel::pair();
    let flags = setup::SandboxFlags {
        mode: args.sandbox,
        network: args.network,
    };
    let tools = setup::tool_context(&ws, cancel, flags)?;
    let gate = setup::gate(&ws, cfg.approval.unwrap_or(Approval::Never))?;
    let builder = ws.system_builder();
    let mut session = Session::new(SessionSetup {
        id: id.clone(),
        routing,
        registry: Registry::builtin(),
        tools,
        retry: retry_policy(&cfg.retry),
        max_steps: args.max_steps.or(cfg.max_steps).unwrap_or(50),
        system: builder(),
        system_builder: Some(Box::new(builder)),
        transcript: Some(transcript),
        history: resumed
            .as_ref()
            .map(|r| r.history.clone())
            .unwrap_or_default(),
        redactor: ws.redactor(),
        compact_threshold: cfg.compact_threshold.unwrap_or(0.85),
        gate,
        approver: Box::new(NeverAsk),
    });
    if resumed.is_none() {
        let meta = Record::Meta {
            session_id: id,
            workspace: ws.root.display().to_string(),
            started_at: unix_now(),
            prompt: task.clone(),
        };
        session.record(&meta).map_err(ExitError::failure)?;
    }
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            canceller.cancel();
        }
    });
    let mut out = Output { json: args.json };
    let warnings = resumed
        .map(|r| r.warnings)
        .unwrap_or_default()
        .into_iter()
        .chain(ws.instruction_warnings());
    let mut emit = |e: Event| out.emit(&e);
    session.announce(session.started_event(), &mut emit);
    for w in warnings {
        session.announce(
            Event::Error {
                message: w,
                retrying: false,
            },
            &mut emit,
        );
    }
    let status = session.run_turn(&task, &mut emit).await;
    session.announce(session.finished_event(status), &mut emit);
    finish(&session, status, &args)
}

/// The transcript to continue, for `--resume ID` and `--continue`.
fn resume(ws: &setup::Workspace, args: &ExecArgs) -> Result<Option<LoadedSession>, ExitError> {
    let id = match (&args.resume, args.continue_last) {
        (Some(id), _) => id.clone(),
        (None, true) => {
            sessions::latest(ws.home()?, &ws.root).map_err(|e| ExitError::usage(e.to_string()))?
        }
        (None, false) => return Ok(None),
    };
    sessions::load_by_id(ws.home()?, &id)
        .map(Some)
        .map_err(|e| ExitError::usage(e.to_string()))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn finish(session: &Session, status: Status, args: &ExecArgs) -> Result<i32, ExitError> {
    let last = session.last_message();
    if let Some(path) = &args.output_last_message {
        std::fs::write(path, last)
            .map_err(|e| ExitError::failure(format!("cannot write {}: {e}", path.display())))?;
    }
    if !args.json && !last.is_empty() {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{last}");
    }
    Ok(status.exit_code())
}

fn read_task(prompt: Option<&str>) -> Result<String, ExitError> {
    let task = match prompt {
        Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| ExitError::usage(format!("cannot read the prompt from stdin: {e}")))?;
            s
        }
        Some(p) => p.to_string(),
        None => {
            return Err(ExitError::usage(
                "no task given: reins exec \"PROMPT\", or `-` to read it from stdin",
            ))
        }
    };
    if task.trim().is_empty() {
        return Err(ExitError::usage("the task is empty"));
    }
    Ok(task)
}

/// Writes events: JSON Lines on stdout, or a readable trace on stderr.
struct Output {
    json: bool,
}

impl Output {
    fn emit(&mut self, event: &Event) {
        if self.json {
            if event.is_public() {
                if let Ok(line) = serde_json::to_string(event) {
                    let mut stdout = std::io::stdout().lock();
                    let _ = writeln!(stdout, "{line}");
                    let _ = stdout.flush();
                }
            }
            return;
        }
        if let Some(line) = human_line(event) {
            eprintln!("{line}");
        }
    }
}

fn human_line(event: &Event) -> Option<String> {
    Some(match event {
        Event::SessionStarted {
            session_id,
            cwd,
            model,
        } => format!("reins · session {session_id} · {model} · {cwd}"),
        Event::Route { .. } | Event::TextDelta { .. } | Event::Usage { .. } => return None,
        Event::Message { text, .. } => format!("\n{text}\n"),
        Event::ToolCall {
            name, arguments, ..
        } => format!("→ {name} {}", one_line(&arguments.to_string(), 160)),
        Event::ToolResult { ok, output, .. } => {
            format!(
                "  {} {}",
                if *ok { "ok" } else { "error:" },
                one_line(output, 160)
            )
        }
        Event::BudgetWarning { spent_usd, projected_usd, max_cost_usd } => format!(
            "budget: ${spent_usd:.4} spent, ~${projected_usd:.4} after the next request, of ${max_cost_usd:.2}"
        ),
        Event::ApprovalRequest(r) => format!("approval needed for {}: {}", r.tool, r.reason),
        Event::ApprovalDecision { answer, .. } => format!(
            "  approval: {}",
            serde_json::to_string(answer).unwrap_or_default()
        ),
        Event::Compacted {
            tokens_before,
            tokens_after,
        } => {
            format!("compacted the conversation: ~{tokens_before} -> ~{tokens_after} tokens")
        }
        Event::Error { message, retrying } => {
            format!(
                "{} {message}",
                if *retrying { "retrying:" } else { "error:" }
            )
        }
        Event::SessionFinished {
            status,
            steps,
            input_tokens,
            output_tokens,
            cost_usd,
            duration_ms,
            ..
        } => {
            format!(
            "— {} after {steps} steps, {input_tokens} in / {output_tokens} out tokens, {}, {:.1}s",
            serde_json::to_string(status).unwrap_or_default().trim_matches('"'),
            cost_usd.map_or("cost unknown".to_string(), |c| format!("${c:.4}")),
            *duration_ms as f64 / 1000.0
        )
        }
    })
}

fn one_line(s: &str, max: usize) -> String {
    let first: String = s.lines().next().unwrap_or("").chars().take(max).collect();
    if s.lines().nth(1).is_some() || first.len() < s.len() {
        format!("{first}…")
    } else {
        first
    }
}
