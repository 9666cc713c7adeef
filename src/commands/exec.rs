//! `reins exec`: the headless front end. Never waits for a human; JSON Lines or readable progress;
//! the exit code says how the session ended.

use crate::agent::{Event, Status};
use crate::cli::{ExecArgs, GlobalArgs};
use crate::engine::{self, Op, Overrides, SharedApprover, UiMsg};
use crate::frontend::session_builder::Factory;
use crate::frontend::{setup, ExitError};
use crate::sandbox::approval::{Approval, NeverAsk};
use std::io::{IsTerminal, Read, Write};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Runs `reins exec` and returns the process exit code.
pub async fn run(args: ExecArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    let task = read_task(args.prompt.as_deref())?;
    let global = setup::in_worktree(global, args.place.worktree.as_deref())?;
    let ws = setup::workspace(&global)?;
    run_task(&task, ws, &args, Vec::new()).await
}

/// Runs `task` headless in `ws` with the flags of `args` (its prompt is not read) and the
/// given extensions besides the checks; `reins run` enters here with a workflow's prompt. The
/// session runs in the engine like every other front end's: one prompt, then shutdown.
pub async fn run_task(
    task: &str,
    mut ws: setup::Workspace,
    args: &ExecArgs,
    mut extensions: Vec<Box<dyn crate::agent::extension::Extension>>,
) -> Result<i32, ExitError> {
    let accepted = match &args.output.output_schema {
        Some(path) => {
            let schema = crate::output_schema::OutputSchema::load(path)
                .map_err(|e| ExitError::usage(e.to_string()))?;
            let ext = crate::output_schema::SchemaExtension::new(
                Arc::new(schema),
                crate::output_schema::DEFAULT_RETRIES,
            );
            let slot = ext.accepted();
            extensions.push(Box::new(ext));
            Some(slot)
        }
        None => None,
    };
    let images = crate::frontend::user_image::read_all(&args.place.image)
        .map_err(|e| ExitError::usage(e.to_string()))?;
    let (canceller, cancel) = crate::cancel::pair();
    let signalled = crate::frontend::stop_signals::listen(canceller.clone())
        .map_err(|e| ExitError::failure(format!("cannot listen for signals: {e}")))?;
    let flags = setup::SandboxFlags::from(args.sandbox);
    ws.loaded.config.checks.add(&args.check);
    let mcp = crate::frontend::mcp::start(&ws, flags)?;
    let telemetry = crate::telemetry::Telemetry::new(&ws.loaded.config.telemetry);
    let factory = Factory {
        telemetry: telemetry.clone(),
        ws,
        model: args.model.model.clone(),
        route: args.model.route.clone(),
        max_cost: args.budget.max_cost,
        max_steps: args.budget.max_steps,
        sandbox: flags,
        default_approval: Approval::Never,
        approver: SharedApprover(Arc::new(NeverAsk)),
        cancel,
        mcp,
        first_only: Mutex::new(extensions),
        files: None,
    };
    let mut built = factory.build_session(setup::resume_of(&args.resume), Overrides::default())?;
    built.session.set_stop_on_denial(args.output.deny_exit);
    let (ui_tx, mut ui_rx) = mpsc::unbounded_channel();
    let engine = engine::spawn(built, Box::new(factory), canceller, ui_tx);
    engine.send(Op::Prompt(crate::conversation::Prompt {
        text: task.to_string(),
        images,
    }));
    engine.send(Op::Shutdown);
    let mut out = match args.output.json {
        true => Output::Json,
        false if args.output.quiet => Output::Quiet,
        false => Output::Human(super::progress::Progress::new(args.output.verbose)),
    };
    let mut ended = None;
    while let Some(msg) = ui_rx.recv().await {
        match msg {
            UiMsg::Event(e) => out.emit(&e),
            UiMsg::TurnDone {
                status,
                last_message,
            } => ended = Some((status, last_message)),
            UiMsg::Failed(message) => out.emit(&Event::Error {
                message,
                retrying: false,
            }),
            UiMsg::Note(message) => out.emit(&Event::Warning { message }),
            UiMsg::Closed => break,
            // Headless: nothing asks (the approver refuses), and there is no status line.
            // exec never asks for a diff.
            UiMsg::Approval { .. }
            | UiMsg::State(_)
            | UiMsg::History(_)
            | UiMsg::Totals(_)
            | UiMsg::Diff { .. } => {}
        }
    }
    // Spans and metrics still queued go out now (bounded by the export timeout).
    if let Some(warning) = telemetry.shutdown() {
        eprintln!("reins: {warning}");
    }
    let Some((status, last)) = ended else {
        return Err(ExitError::failure(
            "the session stopped before its turn ended",
        ));
    };
    // With a schema, the answer is the accepted JSON value, without the fence it may have had.
    let answer = accepted
        .and_then(|slot| slot.lock().ok().and_then(|mut v| v.take()))
        .map_or(last, |value| value.to_string());
    let code = finish(&answer, status, args)?;
    Ok(signalled.exit_code(status == Status::Interrupted, code))
}

fn finish(last: &str, status: Status, args: &ExecArgs) -> Result<i32, ExitError> {
    if let Some(path) = &args.output.output_last_message {
        std::fs::write(path, last)
            .map_err(|e| ExitError::failure(format!("cannot write {}: {e}", path.display())))?;
    }
    // Only a finished answer is an answer: after a stop the last message was narration, and the
    // trace on stderr has already shown it.
    if !args.output.json && status == Status::Done && !last.is_empty() {
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
    /// `--quiet`: only what ended the run badly (errors that are not retried).
    Quiet,
}

impl Output {
    fn emit(&mut self, event: &Event) {
        match self {
            Output::Json => {
                if event.is_public() {
                    if let Ok(line) = event.to_json_line() {
                        let mut stdout = std::io::stdout().lock();
                        let _ = writeln!(stdout, "{line}");
                        let _ = stdout.flush();
                    }
                }
            }
            Output::Human(progress) => progress.emit(event),
            Output::Quiet => {
                if let Event::Error {
                    message,
                    retrying: false,
                } = event
                {
                    eprintln!("reins: {}", super::display::neutralize(message));
                }
            }
        }
    }
}
