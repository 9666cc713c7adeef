//! `reins exec`: the headless front end. Never waits for a human; JSON Lines or readable progress;
//! the exit code says how the session ended.

use super::session_builder::{self, Built, Resume, SessionOptions};
use super::{setup, ExitError};
use crate::agent::{Event, Session, Status};
use crate::cli::{ExecArgs, GlobalArgs};
use crate::sandbox::approval::{Approval, NeverAsk};
use std::io::{IsTerminal, Read, Write};

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
    let mut out = match args.json {
        true => Output::Json,
        false => Output::Human(super::progress::Progress::new(args.verbose)),
    };
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
    // Only a finished answer is an answer: after a stop the last message was narration, and the
    // trace on stderr has already shown it.
    if !args.json && status == Status::Done && !last.is_empty() {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", super::display::for_stdout(last));
    }
    Ok(status.exit_code())
}

pub(super) fn read_task(prompt: Option<&str>) -> Result<String, ExitError> {
    let task = match prompt {
        Some("-") => {
            if std::io::stdin().is_terminal() {
                eprintln!(
                    "reins: reading the task from stdin; end it with Ctrl-D on a line of its own"
                );
            }
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
enum Output {
    Json,
    Human(super::progress::Progress),
}

impl Output {
    fn emit(&mut self, event: &Event) {
        match self {
            Output::Json => {
                if event.is_public() {
                    if let Ok(line) = serde_json::to_string(event) {
                        let mut stdout = std::io::stdout().lock();
                        let _ = writeln!(stdout, "{line}");
                        let _ = stdout.flush();
                    }
                }
            }
            Output::Human(progress) => progress.emit(event),
        }
    }
}
