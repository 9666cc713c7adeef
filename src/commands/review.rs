//! `reins review`: runs the review's sessions through the engine (read-only tools, read-only
//! sandbox, an answer held to a schema) and prints what `review::` made of their answers.

use super::display;
use crate::agent::{Event, Status};
use crate::cancel::{Cancel, Canceller};
use crate::cli::{GlobalArgs, ReviewArgs};
use crate::engine::{self, Op, Overrides, SharedApprover, UiMsg};
use crate::frontend::session_builder::{Factory, Resume};
use crate::frontend::{setup, ExitError};
use crate::output_schema::{OutputSchema, SchemaExtension, DEFAULT_RETRIES};
use crate::review::diff::Diff;
use crate::review::finding::{self, Answer, Verdict};
use crate::review::report::{Outcome, Report, REPORT_SCHEMA_VERSION};
use crate::review::scope::{self, Scope};
use crate::review::{self as rv, VerifyAnswer};
use crate::sandbox::approval::{Approval, NeverAsk};
use crate::sandbox::SandboxMode;
use crate::types::ToolKind;
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// The exit code when a finding reaches `--fail-on`.
pub const FINDINGS_EXIT: i32 = 7;

/// Runs the review and returns the process exit code.
pub async fn run(args: ReviewArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    let ws = setup::workspace(&global)?;
    let root = scope::repo_root(&ws.root).map_err(|e| ExitError::usage(e.to_string()))?;
    let scope = match (&args.base, &args.commit) {
        (Some(b), _) => Scope::Base(b.clone()),
        (None, Some(c)) => Scope::Commit(c.clone()),
        (None, None) => Scope::Uncommitted,
    };
    let diff =
        Diff::parse(&scope::diff_text(&root, &scope).map_err(|e| ExitError::usage(e.to_string()))?);
    let (canceller, cancel) = crate::cancel::pair();
    let signalled = crate::frontend::stop_signals::listen(canceller.clone())
        .map_err(|e| ExitError::failure(format!("cannot listen for signals: {e}")))?;
    // The diff's paths are relative to the repository root; so must the sessions' workspace
    // be, or `-C subdir` would have the model read `subdir/subdir/...`.
    let mut global = global;
    global.cd = Some(root.clone());
    let runner = Runner {
        global,
        canceller,
        cancel,
        quiet: args.quiet || args.json,
        cost: None,
    };
    let outcome = review(&args, &scope, &diff, &root, runner).await;
    let report = match outcome {
        Ok(r) => r,
        Err(Failure::Exit(e)) => return Err(e),
        Err(Failure::Session(status, what)) => {
            eprintln!("reins: the {what} ended {}", status_word(status));
            return Ok(signalled.exit_code(status == Status::Interrupted, status.exit_code()));
        }
    };
    publish(&args, &report)?;
    Ok(if report.fails(args.fail_on) {
        FINDINGS_EXIT
    } else {
        0
    })
}

enum Failure {
    Exit(ExitError),
    /// A session ended other than `done`; the string says which.
    Session(Status, &'static str),
}

impl From<ExitError> for Failure {
    fn from(e: ExitError) -> Self {
        Failure::Exit(e)
    }
}

async fn review(
    args: &ReviewArgs,
    scope: &Scope,
    diff: &Diff,
    root: &std::path::Path,
    mut runner: Runner,
) -> Result<Report, Failure> {
    let groups = diff.groups(args.part_size.max(1));
    let mut raw = Vec::new();
    let mut verdict = Verdict::Correct;
    let mut summaries = Vec::new();
    for (i, part) in groups.iter().enumerate() {
        let prompt = rv::review_prompt(scope, i + 1, groups.len(), part);
        let schema = rv::answer_schema().map_err(|e| ExitError::failure(e.to_string()))?;
        let value = runner
            .session(
                args.model.clone(),
                args.route.clone(),
                &prompt,
                schema,
                "review",
            )
            .await?;
        let answer: Answer = serde_json::from_value(value)
            .map_err(|e| ExitError::failure(format!("the review answer cannot be read: {e}")))?;
        // A pass that names findings is judged by them; "incorrect" with none named is
        // a doubt the report must not turn into "correct".
        if answer.verdict == Verdict::Incorrect && answer.findings.is_empty() {
            verdict = Verdict::Incorrect;
        }
        if !answer.summary.trim().is_empty() {
            summaries.push(answer.summary);
        }
        raw.extend(answer.findings);
    }
    let (mut findings, mut dropped) = finding::place(raw, diff);
    let dismissed_ids = std::fs::read_to_string(root.join(rv::DISMISSED_FILE))
        .map(|t| finding::dismissed_ids(&t))
        .unwrap_or_default();
    let dismissed = rv::dismiss(&mut findings, &dismissed_ids);
    let verified = !args.no_verify;
    if verified && !findings.is_empty() {
        let prompt = rv::verify_prompt(&findings, diff);
        let schema = rv::verify_schema().map_err(|e| ExitError::failure(e.to_string()))?;
        let model = args.verify_model.clone().or_else(|| args.model.clone());
        let route = args
            .verify_model
            .is_none()
            .then(|| args.route.clone())
            .flatten();
        let value = runner
            .session(model, route, &prompt, schema, "verify pass")
            .await?;
        let answer: VerifyAnswer = serde_json::from_value(value)
            .map_err(|e| ExitError::failure(format!("the verify answer cannot be read: {e}")))?;
        let (kept, rejected) = rv::apply_verdicts(findings, &answer);
        findings = kept;
        dropped.extend(rejected);
    }
    rv::sort(&mut findings);
    Ok(Report {
        schema_version: REPORT_SCHEMA_VERSION,
        scope: scope.describe(),
        verdict: Outcome::of(&findings, &dropped, verdict),
        summary: summaries.join("\n\n"),
        findings,
        dropped,
        dismissed,
        verified,
        files: diff.files.len(),
        parts: groups.len(),
        cost_usd: runner.cost,
    })
}

/// Prints the report (text or JSON), writes the SARIF file, and in GitHub Actions adds one
/// annotation per finding on stderr.
fn publish(args: &ReviewArgs, report: &Report) -> Result<(), ExitError> {
    if let Some(path) = &args.sarif {
        let text = serde_json::to_string_pretty(&crate::review::sarif::log(&report.findings))
            .map_err(|e| ExitError::failure(e.to_string()))?;
        std::fs::write(path, text)
            .map_err(|e| ExitError::failure(format!("cannot write {}: {e}", path.display())))?;
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let text = serde_json::to_string(report).map_err(|e| ExitError::failure(e.to_string()))?;
        let _ = writeln!(stdout, "{text}");
    } else {
        let _ = write!(stdout, "{}", report.human(display::for_stdout));
        if !args.quiet {
            for note in report.dropped_notes(display::neutralize) {
                eprintln!("{note}");
            }
        }
    }
    if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
        for line in report.annotations() {
            eprintln!("{line}");
        }
    }
    Ok(())
}

/// Runs the review's sessions, one after another, with one stop signal for all.
struct Runner {
    global: GlobalArgs,
    canceller: Canceller,
    cancel: Cancel,
    quiet: bool,
    /// What the sessions cost together; `None` while no model with prices was used.
    cost: Option<f64>,
}

impl Runner {
    /// One read-only session for `prompt`; its answer, accepted by `schema`.
    async fn session(
        &mut self,
        model: Option<String>,
        route: Option<String>,
        prompt: &str,
        schema: OutputSchema,
        what: &'static str,
    ) -> Result<Value, Failure> {
        let mut ws = setup::workspace(&self.global)?;
        // The review judges; it runs no checks and reaches no MCP server.
        ws.loaded.config.checks.commands.clear();
        ws.loaded.config.mcp_servers.clear();
        let flags = setup::SandboxFlags {
            mode: Some(SandboxMode::ReadOnly),
            network: false,
        };
        let mcp = crate::frontend::mcp::start(&ws, flags)?;
        let ext = SchemaExtension::new(Arc::new(schema), DEFAULT_RETRIES);
        let accepted = ext.accepted();
        let factory = Factory {
            ws,
            model,
            route,
            max_cost: None,
            max_steps: None,
            sandbox: flags,
            default_approval: Approval::Never,
            approver: SharedApprover(Arc::new(NeverAsk)),
            cancel: self.cancel.clone(),
            mcp,
            first_only: Mutex::new(vec![Box::new(ext)]),
        };
        let mut built = factory.build_session(Resume::New, Overrides::default())?;
        built.session.retain_tools(|t| {
            matches!(
                t.effects(&serde_json::json!({})).kind,
                ToolKind::Read | ToolKind::Search
            )
        });
        let (tx, mut rx) = mpsc::unbounded_channel();
        let engine = engine::spawn(built, Box::new(factory), self.canceller.clone(), tx);
        engine.send(Op::Prompt(prompt.to_string()));
        engine.send(Op::Shutdown);
        let mut progress = (!self.quiet).then(|| super::progress::Progress::new(false));
        let mut status = None;
        while let Some(msg) = rx.recv().await {
            match msg {
                UiMsg::Event(e) => {
                    if let Event::SessionFinished {
                        cost_usd: Some(c), ..
                    } = &e
                    {
                        self.cost = Some(self.cost.unwrap_or(0.0) + c);
                    }
                    if let Some(p) = progress.as_mut() {
                        p.emit(&e);
                    } else if let Event::Error { message, .. } = &e {
                        eprintln!("reins: {}", display::neutralize(message));
                    }
                }
                UiMsg::TurnDone { status: s, .. } => status = Some(s),
                UiMsg::Failed(m) | UiMsg::Note(m) => {
                    eprintln!("reins: {}", display::neutralize(&m))
                }
                UiMsg::Closed => break,
                UiMsg::Approval { .. }
                | UiMsg::State(_)
                | UiMsg::History(_)
                | UiMsg::Totals(_)
                | UiMsg::Diff { .. } => {}
            }
        }
        match status {
            Some(Status::Done) => {}
            Some(s) => return Err(Failure::Session(s, what)),
            None => {
                return Err(Failure::Exit(ExitError::failure(format!(
                    "the {what} stopped before its turn ended"
                ))))
            }
        }
        let value = accepted.lock().ok().and_then(|mut v| v.take());
        value.ok_or_else(|| Failure::Exit(ExitError::failure(format!("the {what} gave no answer"))))
    }
}

fn status_word(status: Status) -> String {
    serde_json::to_string(&status)
        .unwrap_or_default()
        .trim_matches('"')
        .to_string()
}
