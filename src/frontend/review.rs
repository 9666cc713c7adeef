//! A code review driven through the engine, for every front end that offers one (`reins review`,
//! `/review` in the TUI): the change read with git, one read-only session per part of the diff
//! held to docs/review.schema.json, the findings held to the diff, reproduced where the project
//! has checks, confirmed by a second session, and gathered into a [`Report`]. The front ends
//! only choose the scope and show the report.

use super::session_builder::{Factory, Resume};
use super::{setup, ExitError};
use crate::agent::{Event, Status};
use crate::cancel::{Cancel, Canceller};
use crate::cli::{GlobalArgs, ReviewArgs};
use crate::config::review::ReviewConfig;
use crate::engine::{self, Op, Overrides, SharedApprover, UiMsg};
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
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

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
        let (model, route) = if args.model.model.is_some() || args.model.route.is_some() {
            (args.model.model.clone(), args.model.route.clone())
        } else {
            (cfg.model.clone(), cfg.route.clone())
        };
        let verifier = if args.verify.verify_model.is_some() || args.verify.verify_route.is_some() {
            (
                args.verify.verify_model.clone(),
                args.verify.verify_route.clone(),
            )
        } else if cfg.verify_model.is_some() || cfg.verify_route.is_some() {
            (cfg.verify_model.clone(), cfg.verify_route.clone())
        } else {
            (model.clone(), route.clone())
        };
        let verify = if args.verify.no_verify {
            false
        } else {
            args.verify.verify || cfg.verify.unwrap_or(true)
        };
        Settings {
            model,
            route,
            verify: verify.then_some(verifier),
            fail_on: args.report.fail_on.or(cfg.fail_on),
            part_size: args
                .part_size
                .or(cfg.part_size)
                .unwrap_or(rv::DEFAULT_PART_SIZE)
                .max(1),
            repro: !args.verify.no_repro && cfg.repro.unwrap_or(true),
            repro_timeout: cfg.repro_timeout(),
        }
    }
}

/// Why a review produced no report.
pub enum Failure {
    Exit(ExitError),
    /// A session ended other than `done`; the string says which.
    Session(Status, &'static str),
}

impl From<ExitError> for Failure {
    fn from(e: ExitError) -> Self {
        Failure::Exit(e)
    }
}

impl Failure {
    /// One line for a person.
    pub fn describe(&self) -> String {
        match self {
            Failure::Exit(e) => e.message.clone(),
            Failure::Session(status, what) => format!("the {what} ended {}", status_word(*status)),
        }
    }
}

/// The change to review, read once, and where its sessions run.
pub struct Prepared {
    pub scope: Scope,
    /// The repository's top: the diff's paths are relative to it, so the sessions run there.
    pub root: PathBuf,
    pub diff: Diff,
    repro: Option<Repro>,
    /// The workspace options with `cd` set to `root`.
    global: GlobalArgs,
}

impl Prepared {
    /// Reads the change of `scope` in the repository holding `global`'s workspace.
    pub fn new(
        global: &GlobalArgs,
        settings: &Settings,
        scope: Scope,
    ) -> Result<Prepared, ExitError> {
        let ws = setup::workspace(global)?;
        let root = scope::repo_root(&ws.root).map_err(|e| ExitError::usage(e.to_string()))?;
        let diff_text =
            scope::diff_text(&root, &scope).map_err(|e| ExitError::usage(e.to_string()))?;
        let repro = Repro::from_config(&ws, settings, &root, &scope, &diff_text);
        // The diff's paths are relative to the repository root; so must the sessions' workspace
        // be, or `-C subdir` would have the model read `subdir/subdir/...`.
        let mut global = global.clone();
        global.cd = Some(root.clone());
        Ok(Prepared {
            diff: Diff::parse(&diff_text),
            scope,
            root,
            repro,
            global,
        })
    }
}

/// What the review's sessions show while they run: their events and notes.
pub enum Seen<'a> {
    Event(&'a Event),
    Note(&'a str),
}

/// Receives what the sessions show (the CLI's trace on stderr; nothing in the TUI).
pub type Observer = Box<dyn FnMut(Seen<'_>) + Send>;

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

/// Runs the review of `change` and gathers its report.
pub async fn review(
    settings: &Settings,
    change: &Prepared,
    mut runner: Runner,
) -> Result<Report, Failure> {
    let (scope, diff, root, repro) = (
        &change.scope,
        &change.diff,
        change.root.as_path(),
        change.repro.as_ref(),
    );
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

/// Runs the review's sessions, one after another, with one stop signal for all.
pub struct Runner {
    global: GlobalArgs,
    canceller: Canceller,
    cancel: Cancel,
    observe: Observer,
    /// What the sessions cost together; `None` while no model with prices was used.
    cost: Option<f64>,
}

impl Runner {
    /// Sessions in `change`'s repository, stopped by `canceller`.
    pub fn new(
        change: &Prepared,
        canceller: Canceller,
        cancel: Cancel,
        observe: Observer,
    ) -> Runner {
        Runner {
            global: change.global.clone(),
            canceller,
            cancel,
            observe,
            cost: None,
        }
    }

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
        let mcp = super::mcp::start(&ws, flags)?;
        let ext = SchemaExtension::new(Arc::new(schema), DEFAULT_RETRIES);
        let accepted = ext.accepted();
        let telemetry = crate::telemetry::Telemetry::new(&ws.loaded.config.telemetry);
        let factory = Factory {
            telemetry: telemetry.clone(),
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
            files: None,
        };
        let mut built = factory.build_session(Resume::New, Overrides::default())?;
        built.session.tools_mut().retain(|t| {
            matches!(
                t.effects(&serde_json::json!({})).kind,
                ToolKind::Read | ToolKind::Search
            )
        });
        let (tx, mut rx) = mpsc::unbounded_channel();
        let engine = engine::spawn(built, Box::new(factory), self.canceller.clone(), tx);
        engine.send(Op::Prompt(prompt.into()));
        engine.send(Op::Shutdown);
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
                    (self.observe)(Seen::Event(&e));
                }
                UiMsg::TurnDone { status: s, .. } => status = Some(s),
                UiMsg::Failed(m) | UiMsg::Note(m) => (self.observe)(Seen::Note(&m)),
                UiMsg::Closed => break,
                UiMsg::Approval { .. }
                | UiMsg::State(_)
                | UiMsg::History(_)
                | UiMsg::Totals(_)
                | UiMsg::Diff { .. } => {}
            }
        }
        if let Some(warning) = telemetry.shutdown() {
            (self.observe)(Seen::Note(&warning));
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

/// `/review` in the TUI: runs a review in the background and posts its report to the UI's
/// channel as a note (or the failure), one review at a time.
#[derive(Clone)]
pub struct Launcher {
    global: GlobalArgs,
    tx: mpsc::UnboundedSender<UiMsg>,
    busy: Arc<AtomicBool>,
}

impl Launcher {
    pub fn new(global: GlobalArgs, tx: mpsc::UnboundedSender<UiMsg>) -> Launcher {
        Launcher {
            global,
            tx,
            busy: Arc::default(),
        }
    }

    /// Whether a review is running.
    pub fn busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst)
    }

    /// Starts the review of `scope` with `[review]`'s settings, on the current tokio runtime;
    /// `false` when one is already running.
    pub fn start(&self, scope: Scope) -> bool {
        if self.busy.swap(true, Ordering::SeqCst) {
            return false;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let msg = match me.run(scope).await {
                Ok(report) => UiMsg::Note(report.human(|s: &str| s.to_string())),
                Err(e) => UiMsg::Failed(format!("review: {}", e.describe())),
            };
            me.busy.store(false, Ordering::SeqCst);
            // The TUI quit while the review ran: its report has no one to go to.
            let _ = me.tx.send(msg);
        });
        true
    }

    async fn run(&self, scope: Scope) -> Result<Report, Failure> {
        let ws = setup::workspace(&self.global)?;
        let settings = Settings::resolve(&ReviewArgs::default(), &ws.loaded.config.review);
        let change = Prepared::new(&self.global, &settings, scope)?;
        let (canceller, cancel) = crate::cancel::pair();
        let runner = Runner::new(&change, canceller, cancel, Box::new(|_| {}));
        review(&settings, &change, runner).await
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
        let mut args = ReviewArgs::default();
        args.model.model = Some("flag".into());
        args.verify.verify = true;
        args.report.fail_on = Some(Priority::P0);
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
