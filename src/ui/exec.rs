//! `reins exec`: the headless front end. Never waits for a human; JSON Lines or readable progress;
//! the exit code says how the session ended.

use super::session_builder::{self, Built, Resume, SessionOptions};
use super::{setup, ExitError};
use crate::agent::{Event, Session, Status};
use crate::cli::{ExecArgs, GlobalArgs};
use crate::sandbox::approval::{Approval, NeverAsk};
use crate::types::usd;
use std::io::{Read, Write};

/// Runs `reins exec` and returns the process exit code.
pub async fn run(args: ExecArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    let task = read_task(args.prompt.as_deref())?;
    let ws = setup::workspace(&global)?;
    run_task(&task, ws, &args, Vec::new()).await
}

/// Runs `task` headless in `ws` with the flags of `args` (its prompt is not read) and the
/// given extensions besides the checks; `reins run` enters here with a workflow's prompt.
pub async fn run_task(
    task: &str,
    mut ws: setup::Workspace,
    args: &ExecArgs,
    mut extensions: Vec<Box<dyn crate::agent::extension::Extension>>,
) -> Result<i32, ExitError> {
    let (canceller, cancel) = crate::cancel::pair();
    let signalled = super::stop_signals::listen(canceller)
        .map_err(|e| ExitError::failure(format!("cannot listen for signals: {e}")))?;
    let flags = setup::SandboxFlags {
        mode: args.sandbox,
        network: args.network,
    };
    ws.loaded.config.checks.add(&args.check);
    let mcp = super::mcp_cmd::start(&ws, flags)?;
    let (standard, hook_session) = session_builder::extensions(&ws, &cancel, flags, &mcp)?;
    extensions.extend(standard);
    let resume = match (&args.resume, args.continue_last) {
        (Some(id), _) => Resume::Id(id.clone()),
        (None, true) => Resume::Latest,
        (None, false) => Resume::New,
    };
    let opts = SessionOptions {
        model: args.model.clone(),
        route: args.route.clone(),
        max_cost: args.max_cost,
        max_steps: args.max_steps,
        sandbox: flags,
        resume,
        default_approval: Approval::Never,
        approver: Box::new(NeverAsk),
        extensions,
    };
    let stop = cancel.clone();
    let Built {
        mut session,
        warnings,
    } = session_builder::build(&ws, opts, cancel)?;
    hook_session.set(session.id());
    let mut out = Output { json: args.json };
    let mut emit = |e: Event| out.emit(&e);
    session.announce(session.started_event(), &mut emit);
    for message in warnings {
        session.announce(Event::Warning { message }, &mut emit);
    }
    // Waiting for MCP servers to start must not outlast a stop signal; the turn then ends at
    // once as interrupted, with its prompt recorded.
    tokio::select! {
        _ = mcp.attach(&mut session, &mut emit) => {}
        _ = stop.cancelled() => {}
    }
    let status = session.run_turn(task, &mut emit).await;
    session.announce(session.finished_event(status), &mut emit);
    let code = finish(&session, status, args)?;
    Ok(signalled.exit_code(status == Status::Interrupted, code))
}

fn finish(session: &Session, status: Status, args: &ExecArgs) -> Result<i32, ExitError> {
    let last = session.last_message();
    if let Some(path) = &args.output_last_message {
        std::fs::write(path, last)
            .map_err(|e| ExitError::failure(format!("cannot write {}: {e}", path.display())))?;
    }
    if !args.json && !last.is_empty() {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", super::display::for_stdout(last));
    }
    Ok(status.exit_code())
}

pub(super) fn read_task(prompt: Option<&str>) -> Result<String, ExitError> {
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
            eprintln!("{}", super::display::neutralize(&line));
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
        Event::Check {
            command,
            passed,
            summary,
            ..
        } => {
            format!(
                "check `{command}`: {} {}",
                if *passed { "passed" } else { "FAILED" },
                one_line(summary, 120)
            )
        }
        Event::Checkpoint {
            step,
            files_changed,
            ..
        } => format!(
            "  checkpoint before step {step}: {} files changed",
            files_changed.len()
        ),
        Event::McpStatus {
            server,
            state,
            error,
        } => format!(
            "mcp {server}: {state}{}",
            error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ),
        Event::Warning { message } => format!("warning: {message}"),
        Event::BudgetWarning {
            spent_usd,
            projected_usd,
            max_cost_usd,
        } => format!(
            "budget: {} spent, ~{} after the next request, of {}",
            usd::show(*spent_usd),
            usd::show(*projected_usd),
            usd::show(*max_cost_usd)
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
            cost_usd.map_or("cost unknown".to_string(), usd::show),
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
