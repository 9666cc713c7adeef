//! `reins review`: runs the review's sessions through the engine (read-only tools, read-only
//! sandbox, an answer held to a schema) and prints what `review::` made of their answers.

use super::display;
use crate::agent::{Event, Status};
use crate::cancel::{Cancel, Canceller};
use crate::cli::{GlobalArgs, ReviewArgs};
use crate::config::review::ReviewConfig;
use crate::engine::{self, Op, Overrides, SharedApprover, UiMsg};
use crate::frontend::session_builder::{Factory, Resume};
use crate::frontend::{setup, ExitError};
use crate::output_schema::{OutputSchema, SchemaExtension, DEFAULT_RETRIES};
use crate::review::diff::Diff;
use crate::review::finding::{self, Answer, Finding, Verdict};
use crate::review::report::{Outcome, Report, REPORT_SCHEMA_VERSION};
use crate::review::repro;
use crate::review::scope::{self, Scope};
use crate::review::{self as rv, VerifyAnswer};
use crate::sandbox::approval::{Approval, NeverAsk};
use crate::sandbox::SandboxMode;
use crate::types::{Priority, ToolKind};
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// The exit code when a finding reaches `--fail-on`.
pub const FINDINGS_EXIT: i32 = 7;

/// Runs the review and returns the process exit code.
pub async fn run(args: ReviewArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    let ws = setup::workspace(&global)?;
    let settings = Settings::resolve(&args, &ws.loaded.config.review);
    let root = scope::repo_root(&ws.root).map_err(|e| ExitError::usage(e.to_string()))?;
    let scope = match (&args.base, &args.commit) {
        (Some(b), _) => Scope::Base(b.clone()),
        (None, Some(c)) => Scope::Commit(c.clone()),
        (None, None) => Scope::Uncommitted,
    };
    let diff_text = scope::diff_text(&root, &scope).map_err(|e| ExitError::usage(e.to_string()))?;
    let diff = Diff::parse(&diff_text);
    let repro = Repro::from_config(&ws, &settings, &root, &scope, &diff_text);
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
    let outcome = review(&settings, &scope, &diff, &root, repro.as_ref(), runner).await;
    let report = match outcome {
        Ok(r) => r,
        Err(Failure::Exit(e)) => return Err(e),
        Err(Failure::Session(status, what)) => {
            eprintln!("reins: the {what} ended {}", status_word(status));
            return Ok(signalled.exit_code(status == Status::Interrupted, status.exit_code()));
        }
    };
    publish(&args, &report)?;
    Ok(if report.fails(settings.fail_on) {
        FINDINGS_EXIT
    } else {
        0
    })
}

/// What a review runs with: its flags over `[review]`, over the built-in defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The reviewing session's model and router.
    pub model: Option<String>,
    pub route: Option<String>,
    /// The verify pass's model and router; `None` skips the pass.
    pub verify: Option<(Option<String>, Option<String>)>,
    pub fail_on: Option<Priority>,
    pub part_size: usize,
    /// Whether findings' reproducing commands run (where the project has checks).
    pub repro: bool,
    pub repro_timeout: std::time::Duration,
}

impl Settings {
    /// A flag beats `[review]`; a model or router given as a flag brings its pair along, so
    /// `--model X` is not silently routed by `[review] route`. The verify pass takes the
    /// reviewer's model unless its own is set.
    pub fn resolve(args: &ReviewArgs, cfg: &ReviewConfig) -> Settings {
        let (model, route) = if args.model.is_some() || args.route.is_some() {
            (args.model.clone(), args.route.clone())
        } else {
            (cfg.model.clone(), cfg.route.clone())
        };
        let verifier = if args.verify_model.is_some() || args.verify_route.is_some() {
            (args.verify_model.clone(), args.verify_route.clone())
        } else if cfg.verify_model.is_some() || cfg.verify_route.is_some() {
            (cfg.verify_model.clone(), cfg.verify_route.clone())
        } else {
            (model.clone(), route.clone())
        };
        let verify = if args.no_verify {
            false
        } else {
            args.verify || cfg.verify.unwrap_or(true)
        };
        Settings {
            model,
            route,
            verify: verify.then_some(verifier),
            fail_on: args.fail_on.or(cfg.fail_on),
            part_size: args
                .part_size
                .or(cfg.part_size)
                .unwrap_or(rv::DEFAULT_PART_SIZE)
                .max(1),
            repro: !args.no_repro && cfg.repro.unwrap_or(true),
            repro_timeout: cfg.repro_timeout(),
        }
    }
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

/// Where the project has checks (and `[review] repro` is not off): what findings'
/// reproducing commands run in and with.
struct Repro {
    checks: Vec<String>,
    root: std::path::PathBuf,
    scope: Scope,
    diff_text: String,
    how: repro::Confinement,
}

impl Repro {
    fn from_config(
        ws: &setup::Workspace,
        settings: &Settings,
        root: &std::path::Path,
        scope: &Scope,
        diff_text: &str,
    ) -> Option<Repro> {
        let cfg = &ws.loaded.config;
        (settings.repro && !cfg.checks.commands.is_empty()).then(|| Repro {
            checks: cfg.checks.commands.clone(),
            root: root.to_path_buf(),
            scope: scope.clone(),
            diff_text: diff_text.to_string(),
            how: repro::Confinement {
                env: crate::sandbox::scrubbed_env(&ws.key_vars(), &cfg.shell.pass_env),
                allow_unsandboxed: cfg.allow_unsandboxed.unwrap_or(false),
                timeout: settings.repro_timeout,
            },
        })
    }

    /// Runs the findings' commands; without a project's checks, a command the model gave
    /// anyway is not run and the finding goes on without it.
    async fn check(
        repro: Option<&Repro>,
        mut findings: Vec<Finding>,
    ) -> (Vec<Finding>, Vec<finding::Dropped>) {
        let Some(r) = repro else {
            for f in &mut findings {
                f.reproduce = None;
            }
            return (findings, Vec::new());
        };
        let copy = || repro::scratch_copy(&r.root, &r.scope, &r.diff_text);
        repro::check_all(findings, &copy, &r.how).await
    }
}

async fn review(
    settings: &Settings,
    scope: &Scope,
    diff: &Diff,
    root: &std::path::Path,
    repro: Option<&Repro>,
    mut runner: Runner,
) -> Result<Report, Failure> {
    let groups = diff.groups(settings.part_size);
    let mut raw = Vec::new();
    let mut verdict = Verdict::Correct;
    let mut summaries = Vec::new();
    for (i, part) in groups.iter().enumerate() {
        let prompt = rv::review_prompt(
            scope,
            i + 1,
            groups.len(),
            part,
            repro.map(|r| (r.checks.as_slice(), r.how.timeout)),
        );
        let schema = rv::answer_schema().map_err(|e| ExitError::failure(e.to_string()))?;
        let value = runner
            .session(
                settings.model.clone(),
                settings.route.clone(),
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
    let (reproduced, not_reproduced) = Repro::check(repro, findings).await;
    findings = reproduced;
    dropped.extend(not_reproduced);
    let verified = settings.verify.is_some();
    if let Some((model, route)) = settings.verify.clone().filter(|_| !findings.is_empty()) {
        let prompt = rv::verify_prompt(&findings, diff);
        let schema = rv::verify_schema().map_err(|e| ExitError::failure(e.to_string()))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_review_section_and_bring_their_pair() {
        let cfg = ReviewConfig {
            model: Some("cheap".into()),
            route: Some("r".into()),
            verify_model: Some("strong".into()),
            fail_on: Some(Priority::P2),
            part_size: Some(1000),
            verify: Some(false),
            ..ReviewConfig::default()
        };
        let s = Settings::resolve(&ReviewArgs::default(), &cfg);
        assert_eq!(
            (s.model.as_deref(), s.route.as_deref()),
            (Some("cheap"), Some("r"))
        );
        assert_eq!(s.verify, None);
        assert_eq!((s.fail_on, s.part_size), (Some(Priority::P2), 1000));
        let args = ReviewArgs {
            model: Some("flag".into()),
            verify: true,
            fail_on: Some(Priority::P0),
            ..ReviewArgs::default()
        };
        let s = Settings::resolve(&args, &cfg);
        assert_eq!((s.model.as_deref(), s.route), (Some("flag"), None));
        assert_eq!(s.verify, Some((Some("strong".into()), None)));
        assert_eq!(s.fail_on, Some(Priority::P0));
        // Without a verify model anywhere, the verify pass follows the reviewer.
        let s = Settings::resolve(&args, &ReviewConfig::default());
        assert_eq!(s.verify, Some((Some("flag".into()), None)));
        assert_eq!(s.part_size, rv::DEFAULT_PART_SIZE);
        assert!(s.repro);
    }
}
