//! The slash commands. A command reads what it needs (the workspace, the session's figures, the
//! command catalogue) and answers with [`Effect`]s: those that change the session are engine
//! operations, those that only read (cost, routes, sessions, memory) or work on the files
//! (`/init`, `/memory add`) answer with a note. The app applies the effects, so a command never
//! reaches into the widgets, and the rule that some commands wait for the turn to end is here.

use super::commands::CommandInfo;
use super::context::AppContext;
use super::overlay::Overlay;
use super::picker::{self, Picker};
use super::routes::RouteLog;
use super::session_link::SessionLink;
use super::status::{approval_name, compact_count, Status};
use super::transcript::Level;
use crate::conversation::Prompt;
use crate::engine::Op;
use crate::review::scope::Scope;
use crate::sandbox::approval::Approval;
use crate::sandbox::SandboxMode;
use crate::store::memory;
use std::fmt::Write;

const KEYS: &str = "keys: Enter send · Shift+Enter/Ctrl+J newline · ↑↓ history · Ctrl+A/E start/end · Ctrl+U/K delete to start/end · Ctrl+W delete word · @path attach a file · PgUp/PgDn or wheel scroll · Tab pick tool calls and reasoning (Enter expands) · Ctrl+T show/hide reasoning · Esc/Ctrl+C interrupt · Ctrl+C twice quit";

/// What a command asks the app to do.
pub enum Effect {
    Note(Level, String),
    /// An engine operation that does not start a turn.
    Send(Op),
    /// An operation that runs a turn (a compaction, a workflow).
    Start(Op),
    Open(Overlay),
    /// A prompt, shown in the transcript as typed.
    Prompt(String, Prompt),
    /// Switch the model (the router's reason about the old one goes).
    Model(String),
    Approval(Approval),
    Sandbox(SandboxMode),
    ToggleReasoning,
    Quit,
}

/// One command's view of the app: what commands read, borrowed for the time it runs.
pub struct Slash<'a> {
    pub ctx: &'a AppContext,
    pub catalogue: &'a [CommandInfo],
    pub status: &'a Status,
    pub routes: &'a RouteLog,
    pub session: &'a SessionLink,
}

impl Slash<'_> {
    /// Runs `/name args`, typed as `typed`.
    pub fn run(&self, name: &str, args: &str, typed: &str) -> Effect {
        let info = |text: String| Effect::Note(Level::Info, text);
        match name {
            "help" => info(self.help()),
            "model" => self.model(args),
            "route" => info(self.routes.table()),
            "cost" => info(self.cost()),
            "status" => info(self.status_report()),
            "init" => self.init(args),
            "diff" => self.when_idle("/diff", || Effect::Send(Op::Diff { reload: false })),
            "review" => self.review(args),
            "undo" => self.when_idle("/undo", || Effect::Send(Op::Undo)),
            "compact" => self.when_idle("/compact", || Effect::Start(Op::Compact)),
            "memory" => self.memory(args),
            "clear" => self.when_idle("/clear", || Effect::Send(Op::New)),
            "resume" if !args.is_empty() => {
                self.when_idle("/resume", || Effect::Send(Op::Resume(args.to_string())))
            }
            "resume" => self.when_idle("/resume", || {
                Effect::Open(Overlay::Picker(Picker::sessions(&self.ctx.sessions())))
            }),
            "sessions" => info(picker::listing(&self.ctx.sessions())),
            "reasoning" => Effect::ToggleReasoning,
            "approval" => self.approval(args),
            "sandbox" => self.sandbox(args),
            "quit" | "exit" => Effect::Quit,
            _ => self.custom(name, args, typed),
        }
    }

    /// `effect`, or a warning when a turn runs: what must not run during a turn waits.
    fn when_idle(&self, what: &str, effect: impl FnOnce() -> Effect) -> Effect {
        match self.session.idle(what) {
            Ok(()) => effect(),
            Err(busy) => Effect::Note(Level::Warning, busy.to_string()),
        }
    }

    fn help(&self) -> String {
        let mut out = String::from("commands:\n");
        for c in self.catalogue {
            let _ = writeln!(out, "  /{:<10} {:<12} {}", c.name, c.args, c.help);
        }
        out.push_str(KEYS);
        out
    }

    /// `/model NAME` switches; `/model` alone opens the picker of the configured models.
    fn model(&self, args: &str) -> Effect {
        if !args.is_empty() {
            return Effect::Model(args.to_string());
        }
        let models = &self.ctx.models;
        if models.is_empty() {
            let text = format!(
                "model: {}\nno [models.*] configured; /model PROVIDER/MODEL-ID switches",
                self.status.model
            );
            return Effect::Note(Level::Info, text);
        }
        let current = models
            .iter()
            .find(|m| **m == self.status.model)
            .cloned()
            .unwrap_or_default();
        Effect::Open(Overlay::Picker(Picker::models(models, &current)))
    }

    fn cost(&self) -> String {
        let s = self.status;
        if s.usage.is_empty() {
            return "no model requests yet".to_string();
        }
        let mut out = String::new();
        for (model, u) in &s.usage {
            let cost = u
                .cost
                .map_or("unpriced".to_string(), |c| format!("${c:.4}"));
            let _ = writeln!(
                out,
                "{model}: {} requests, {} in ({} cached) / {} out, {cost}",
                u.requests,
                compact_count(u.input_tokens),
                compact_count(u.cached_input_tokens),
                compact_count(u.output_tokens)
            );
        }
        let total = s
            .total_cost()
            .map_or("unknown".to_string(), |c| format!("${c:.4}"));
        let _ = write!(
            out,
            "total: {} tokens, {total}",
            compact_count(s.total_tokens())
        );
        out
    }

    /// `/init [overwrite]`: a starter AGENTS.md from the repository's manifests.
    fn init(&self, args: &str) -> Effect {
        let overwrite = match args {
            "" => false,
            "overwrite" => true,
            other => {
                return Effect::Note(
                    Level::Error,
                    format!("/init takes no argument but `overwrite`, not `{other}`"),
                )
            }
        };
        let root = &self.ctx.root;
        let path = root.join("AGENTS.md");
        match super::init::init(root, overwrite) {
            Ok(super::init::InitOutcome::Written { commands }) => Effect::Note(
                Level::Info,
                format!(
                    "wrote {} with {commands} build and test commands found in the repository; review it (the model reads it from the next session)",
                    path.display()
                ),
            ),
            Ok(super::init::InitOutcome::Exists) => Effect::Note(
                Level::Warning,
                format!(
                    "{} already exists and was left as it is; `/init overwrite` replaces it with a fresh starter",
                    path.display()
                ),
            ),
            Err(e) => Effect::Note(Level::Error, e.to_string()),
        }
    }

    /// `/status`: what runs the session and what it has used, in one place.
    fn status_report(&self) -> String {
        let s = self.status;
        let route = match (self.ctx.router.as_str(), self.routes.last()) {
            ("", _) => "one model for every step".to_string(),
            (router, Some((step, model, reason))) => {
                format!("{router}; step {step} went to {model}: {reason}")
            }
            (router, None) => format!("{router}; no step routed yet"),
        };
        let context = match (s.context_pct(), s.window) {
            (Some(p), Some(w)) => format!(
                "{p}% ({} of {} tokens)",
                compact_count(s.context_tokens),
                compact_count(w)
            ),
            _ => "not known until the first request".to_string(),
        };
        let cost = match s.total_cost() {
            Some(c) => format!("${c:.4}"),
            None if s.usage.is_empty() => "$0 (no model requests yet)".to_string(),
            None => "unknown (unpriced model)".to_string(),
        };
        let id = self.session.id();
        let mut out = format!(
            "session:  {}\nmodel:    {}\nroute:    {route}\nsandbox:  {}\napproval: {}\ncontext:  {context}\ncost:     {cost}, {} tokens",
            if id.is_empty() { "-" } else { id },
            s.model,
            s.sandbox,
            approval_name(s.approval),
            compact_count(s.total_tokens()),
        );
        let servers = self.ctx.mcp.as_ref().map(|h| h.views()).unwrap_or_default();
        if servers.is_empty() {
            out.push_str("\nmcp:      no servers configured");
        }
        for v in servers {
            let _ = write!(
                out,
                "\nmcp:      {} {} ({} tools){}",
                v.name,
                v.state.as_str(),
                v.tools.len(),
                v.error.map(|e| format!(": {e}")).unwrap_or_default()
            );
        }
        out
    }

    /// `/review`: without arguments the scope picker, else the scope named. The review runs in
    /// read-only sessions of its own (the engine's, as `reins review` runs them), beside this
    /// one; its report arrives as a note.
    fn review(&self, args: &str) -> Effect {
        let Some(launcher) = &self.ctx.review else {
            return Effect::Note(Level::Warning, "/review is not available here".into());
        };
        let words: Vec<&str> = args.split_whitespace().collect();
        let scope = match words.as_slice() {
            [] => {
                let base = crate::review::scope::default_branch(&self.ctx.root);
                return Effect::Open(Overlay::Picker(Picker::review_scopes(base.as_deref())));
            }
            ["uncommitted"] => Scope::Uncommitted,
            ["base", branch] => Scope::Base(branch.to_string()),
            ["commit", sha] => Scope::Commit(sha.to_string()),
            _ => {
                return Effect::Note(
                    Level::Warning,
                    "usage: /review [uncommitted | base BRANCH | commit SHA]".into(),
                )
            }
        };
        let what = scope.describe();
        if launcher.start(scope) {
            Effect::Note(
                Level::Info,
                format!("reviewing {what} in read-only sessions of their own; the report follows"),
            )
        } else {
            Effect::Note(
                Level::Warning,
                "a review is running already; its report will follow".into(),
            )
        }
    }

    /// `/memory` lists what the model remembers; `/memory add TEXT` adds a fact to the
    /// project's memory.
    fn memory(&self, args: &str) -> Effect {
        let ctx = self.ctx;
        let project = memory::project_path(&ctx.root);
        if let Some(fact) = args.strip_prefix("add") {
            let added = crate::sandbox::beneath::Beneath::open(&ctx.root)
                .map_err(|e| e.to_string())
                .and_then(|dir| {
                    let rel = std::path::Path::new(memory::PROJECT_FILE);
                    memory::remember(&dir, rel, fact.trim(), ctx.memory_cap)
                        .map_err(|e| e.to_string())
                });
            let text = match added {
                Ok(memory::Remembered::Added) => format!(
                    "remembered in {} (the model sees it from the next session, or after /compact)",
                    project.display()
                ),
                Ok(memory::Remembered::AlreadyKnown) => "already in memory".to_string(),
                Err(e) => return Effect::Note(Level::Error, e),
            };
            return Effect::Note(Level::Info, text);
        }
        let mut out = String::new();
        let user = ctx.home.as_deref().map(memory::user_path);
        for path in user.iter().chain(std::iter::once(&project)) {
            let body = std::fs::read_to_string(path).unwrap_or_default();
            let body = if body.trim().is_empty() {
                "(empty)".to_string()
            } else {
                body.trim_end().to_string()
            };
            let _ = writeln!(out, "{}:\n{body}\n", path.display());
        }
        out.push_str("/memory add TEXT adds a fact to the project's memory");
        Effect::Note(Level::Info, out)
    }

    fn approval(&self, args: &str) -> Effect {
        if args.is_empty() {
            let text = format!(
                "approval: {}\n  never       run every call the rules and the sandbox allow, never ask\n  on-request  ask before commands (shell lines, MCP tools) no rule allows\n  untrusted   also ask before every file write\n/approval MODE switches",
                approval_name(self.status.approval)
            );
            return Effect::Note(Level::Info, text);
        }
        match args.parse::<Approval>() {
            Ok(mode) => Effect::Approval(mode),
            Err(e) => Effect::Note(Level::Error, e.to_string()),
        }
    }

    fn sandbox(&self, args: &str) -> Effect {
        if args.is_empty() {
            let text = format!(
                "sandbox: {}\n  read-only        commands and tools may read, not write\n  workspace-write  writes inside the workspace only\n  full             no confinement\n/sandbox MODE switches",
                self.status.sandbox
            );
            return Effect::Note(Level::Info, text);
        }
        match args.parse::<SandboxMode>() {
            Ok(mode) => Effect::Sandbox(mode),
            Err(e) => Effect::Note(Level::Error, e.to_string()),
        }
    }

    /// A custom command runs as a prompt, a workflow in a session of its own; anything else is
    /// unknown.
    fn custom(&self, name: &str, args: &str, typed: &str) -> Effect {
        let found = self.catalogue.iter().find(|c| c.name == name);
        if found.is_some_and(|c| c.workflow) {
            let op = Op::Workflow {
                name: name.to_string(),
                args: args.to_string(),
            };
            return self.when_idle(&format!("/{name}"), || Effect::Start(op));
        }
        match found.and_then(|c| c.body.clone()) {
            Some(body) => {
                let prompt = super::commands::expand(&body, args);
                Effect::Prompt(typed.to_string(), prompt.into())
            }
            None => Effect::Note(
                Level::Error,
                format!("unknown command /{name} — /help lists them"),
            ),
        }
    }
}
