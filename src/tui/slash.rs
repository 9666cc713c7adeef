//! The slash commands. Those that change the session go to the engine as operations; those that
//! only read (cost, routes, sessions, memory) or work on the files (diff, undo) run here.

use super::app::{App, Overlay};
use super::diff_view::DiffView;
use super::picker::{self, Picker};
use super::status::{approval_name, compact_count};
use super::transcript::Level;
use crate::engine::Op;
use crate::review::scope::Scope;
use crate::sandbox::approval::Approval;
use crate::sandbox::SandboxMode;
use crate::store::memory;
use std::fmt::Write;

const KEYS: &str = "keys: Enter send · Shift+Enter/Ctrl+J newline · ↑↓ history · Ctrl+A/E start/end · Ctrl+U/K delete to start/end · Ctrl+W delete word · @path attach a file · PgUp/PgDn or wheel scroll · Tab pick tool calls and reasoning (Enter expands) · Ctrl+T show/hide reasoning · Esc/Ctrl+C interrupt · Ctrl+C twice quit";

impl App {
    pub(super) fn run_command(&mut self, name: &str, args: &str, typed: &str) {
        match name {
            "help" => self.help(),
            "model" => self.model(args),
            "route" => self.route(),
            "cost" => self.cost(),
            "status" => self.show_status(),
            "init" => self.init(args),
            "diff" => self.open_diff(),
            "review" => self.review(args),
            "undo" => self.undo(),
            "compact" => self.compact(),
            "memory" => self.memory(args),
            "clear" => self.clear_session(),
            "resume" if !args.is_empty() => self.resume(args),
            "resume" => self.open_picker(),
            "sessions" => {
                let list = self.sessions();
                self.note(Level::Info, picker::listing(&list));
            }
            "reasoning" => self.toggle_reasoning(),
            "approval" => self.set_approval(args),
            "sandbox" => self.set_sandbox(args),
            "quit" | "exit" => self.quit = true,
            _ => self.custom(name, args, typed),
        }
    }

    /// Expands or collapses the model's reasoning everywhere in the transcript.
    pub(super) fn toggle_reasoning(&mut self) {
        let word = if self.transcript.toggle_reasoning() {
            "reasoning shown (Ctrl+T or /reasoning hides it)"
        } else {
            "reasoning collapsed (Ctrl+T or /reasoning shows it)"
        };
        self.status.flash(word, std::time::Instant::now());
    }

    /// Refuses what must not run during a turn.
    fn idle(&mut self, what: &str) -> bool {
        if self.working {
            self.note(
                Level::Warning,
                format!("{what} waits for the turn to end (Esc interrupts it)"),
            );
        }
        !self.working
    }

    fn help(&mut self) {
        let mut out = String::from("commands:\n");
        for c in self.composer.completer().commands() {
            let _ = writeln!(out, "  /{:<10} {:<12} {}", c.name, c.args, c.help);
        }
        out.push_str(KEYS);
        self.note(Level::Info, out);
    }

    /// `/model NAME` switches; `/model` alone opens the picker of the configured models.
    fn model(&mut self, args: &str) {
        if !args.is_empty() {
            return self.switch_model(args);
        }
        if self.ctx.models.is_empty() {
            let text = format!(
                "model: {}\nno [models.*] configured; /model PROVIDER/MODEL-ID switches",
                self.status.model
            );
            return self.note(Level::Info, text);
        }
        let current = self
            .ctx
            .models
            .iter()
            .find(|m| **m == self.status.model)
            .cloned()
            .unwrap_or_default();
        self.overlay = Some(Overlay::Picker(Picker::models(&self.ctx.models, &current)));
    }

    pub(super) fn switch_model(&mut self, name: &str) {
        // The router's reason was about the old model.
        self.status.reason.clear();
        self.engine.send(Op::Model(name.to_string()));
    }

    fn route(&mut self) {
        if self.routes.is_empty() {
            return self.note(Level::Info, "no model requests yet");
        }
        let mut out = String::from("step  model                 reason\n");
        for (step, model, reason) in &self.routes {
            let _ = writeln!(out, "{step:>4}  {model:<20}  {reason}");
        }
        self.note(Level::Info, out.trim_end().to_string());
    }

    fn cost(&mut self) {
        if self.status.usage.is_empty() {
            return self.note(Level::Info, "no model requests yet");
        }
        let mut out = String::new();
        for (model, u) in &self.status.usage {
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
        let total = self
            .status
            .total_cost()
            .map_or("unknown".to_string(), |c| format!("${c:.4}"));
        let _ = write!(
            out,
            "total: {} tokens, {total}",
            compact_count(self.status.total_tokens())
        );
        self.note(Level::Info, out);
    }

    /// `/init [overwrite]`: a starter AGENTS.md from the repository's manifests.
    fn init(&mut self, args: &str) {
        let overwrite = match args {
            "" => false,
            "overwrite" => true,
            other => {
                return self.note(
                    Level::Error,
                    format!("/init takes no argument but `overwrite`, not `{other}`"),
                )
            }
        };
        let path = self.ctx.root.join("AGENTS.md");
        match super::init::init(&self.ctx.root, overwrite) {
            Ok(super::init::InitOutcome::Written { commands }) => self.note(
                Level::Info,
                format!(
                    "wrote {} with {commands} build and test commands found in the repository; review it (the model reads it from the next session)",
                    path.display()
                ),
            ),
            Ok(super::init::InitOutcome::Exists) => self.note(
                Level::Warning,
                format!(
                    "{} already exists and was left as it is; `/init overwrite` replaces it with a fresh starter",
                    path.display()
                ),
            ),
            Err(e) => self.note(Level::Error, e.to_string()),
        }
    }

    /// `/status`: what runs the session and what it has used, in one place.
    fn show_status(&mut self) {
        let s = &self.status;
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
        let mut out = format!(
            "session:  {}\nmodel:    {}\nroute:    {route}\nsandbox:  {}\napproval: {}\ncontext:  {context}\ncost:     {cost}, {} tokens",
            if self.session_id.is_empty() { "-" } else { &self.session_id },
            s.model,
            s.sandbox,
            approval_name(s.approval),
            compact_count(s.total_tokens()),
        );
        let servers = self.mcp.as_ref().map(|h| h.views()).unwrap_or_default();
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
        self.note(Level::Info, out);
    }

    /// `/review`: without arguments the scope picker, else the scope named. The review runs in
    /// read-only sessions of its own (the engine's, as `reins review` runs them), beside this
    /// one; its report arrives as a note.
    pub(super) fn review(&mut self, args: &str) {
        let Some(launcher) = self.review.clone() else {
            return self.note(Level::Warning, "/review is not available here");
        };
        let words: Vec<&str> = args.split_whitespace().collect();
        let scope = match words.as_slice() {
            [] => {
                let base = crate::review::scope::default_branch(&self.ctx.root);
                self.overlay = Some(Overlay::Picker(Picker::review_scopes(base.as_deref())));
                return;
            }
            ["uncommitted"] => Scope::Uncommitted,
            ["base", branch] => Scope::Base(branch.to_string()),
            ["commit", sha] => Scope::Commit(sha.to_string()),
            _ => {
                return self.note(
                    Level::Warning,
                    "usage: /review [uncommitted | base BRANCH | commit SHA]",
                )
            }
        };
        let what = scope.describe();
        if launcher.start(scope) {
            self.note(
                Level::Info,
                format!("reviewing {what} in read-only sessions of their own; the report follows"),
            );
        } else {
            self.note(
                Level::Warning,
                "a review is running already; its report will follow",
            );
        }
    }

    /// Asks the engine for the session's diff: it reads the checkpoint store between turns,
    /// off this thread, and answers with [`UiMsg::Diff`](crate::engine::UiMsg::Diff).
    fn open_diff(&mut self) {
        if self.idle("/diff") {
            self.engine.send(Op::Diff { reload: false });
        }
    }

    /// After a hunk was reverted: the diff as it is now.
    pub(super) fn reload_diff(&mut self) {
        self.engine.send(Op::Diff { reload: true });
    }

    /// The engine's answer to [`Op::Diff`].
    pub(super) fn show_diff(
        &mut self,
        text: Result<String, crate::engine::ChangesError>,
        reload: bool,
    ) {
        if reload {
            if let Some(Overlay::Diff(view)) = self.overlay.as_mut() {
                match text {
                    Ok(text) => view.reload(&text),
                    Err(e) => view.set_message(e.to_string()),
                }
            }
            return;
        }
        match text {
            Ok(text) if text.starts_with("no changes") => {
                self.note(Level::Info, text.trim_end().to_string())
            }
            Ok(text) => {
                let view = DiffView::new(&text, self.ctx.root.clone());
                self.overlay = Some(Overlay::Diff(view));
            }
            Err(e) => self.note(Level::Warning, e.to_string()),
        }
    }

    fn undo(&mut self) {
        if self.idle("/undo") {
            self.engine.send(Op::Undo);
        }
    }

    fn compact(&mut self) {
        if self.idle("/compact") {
            self.start_work(Op::Compact);
        }
    }

    fn memory(&mut self, args: &str) {
        let project = memory::project_path(&self.ctx.root);
        if let Some(fact) = args.strip_prefix("add") {
            let added = crate::sandbox::beneath::Beneath::open(&self.ctx.root)
                .map_err(|e| e.to_string())
                .and_then(|dir| {
                    let rel = std::path::Path::new(memory::PROJECT_FILE);
                    memory::remember(&dir, rel, fact.trim(), self.ctx.memory_cap)
                        .map_err(|e| e.to_string())
                });
            let text = match added {
                Ok(memory::Remembered::Added) => format!(
                    "remembered in {} (the model sees it from the next session, or after /compact)",
                    project.display()
                ),
                Ok(memory::Remembered::AlreadyKnown) => "already in memory".to_string(),
                Err(e) => return self.note(Level::Error, e),
            };
            return self.note(Level::Info, text);
        }
        let mut out = String::new();
        let user = self.ctx.home.as_deref().map(memory::user_path);
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
        self.note(Level::Info, out);
    }

    fn clear_session(&mut self) {
        if self.idle("/clear") {
            self.engine.send(Op::New);
        }
    }

    pub(super) fn resume(&mut self, id: &str) {
        if self.idle("/resume") {
            self.engine.send(Op::Resume(id.to_string()));
        }
    }

    fn sessions(&self) -> Vec<crate::store::sessions::SessionInfo> {
        match &self.ctx.home {
            Some(home) => crate::store::sessions::list(home, Some(&self.ctx.root)),
            None => Vec::new(),
        }
    }

    fn open_picker(&mut self) {
        if self.idle("/resume") {
            self.overlay = Some(Overlay::Picker(Picker::sessions(&self.sessions())));
        }
    }

    fn set_approval(&mut self, args: &str) {
        if args.is_empty() {
            let text = format!(
                "approval: {}\n  never       run every call the rules and the sandbox allow, never ask\n  on-request  ask before commands (shell lines, MCP tools) no rule allows\n  untrusted   also ask before every file write\n/approval MODE switches",
                approval_name(self.status.approval)
            );
            return self.note(Level::Info, text);
        }
        match args.parse::<Approval>() {
            Ok(mode) => {
                self.engine.send(Op::Approval(mode));
                self.status.approval = mode;
                self.note(Level::Info, format!("approval: {}", approval_name(mode)));
            }
            Err(e) => self.note(Level::Error, e),
        }
    }

    fn set_sandbox(&mut self, args: &str) {
        if args.is_empty() {
            let text = format!(
                "sandbox: {}\n  read-only        commands and tools may read, not write\n  workspace-write  writes inside the workspace only\n  full             no confinement\n/sandbox MODE switches",
                self.status.sandbox
            );
            return self.note(Level::Info, text);
        }
        match args.parse::<SandboxMode>() {
            Ok(mode) => {
                self.engine.send(Op::Sandbox(mode));
                self.status.sandbox = mode;
                self.note(Level::Info, format!("sandbox: {mode}"));
            }
            Err(e) => self.note(Level::Error, e.to_string()),
        }
    }

    /// A custom command runs as a prompt, a workflow in a session of its own; anything else is
    /// unknown.
    fn custom(&mut self, name: &str, args: &str, typed: &str) {
        let found = self
            .composer
            .completer()
            .commands()
            .iter()
            .find(|c| c.name == name);
        if found.is_some_and(|c| c.workflow) {
            if self.idle(&format!("/{name}")) {
                self.start_work(Op::Workflow {
                    name: name.to_string(),
                    args: args.to_string(),
                });
            }
            return;
        }
        match found.and_then(|c| c.body.clone()) {
            Some(body) => {
                let prompt = super::commands::expand(&body, args);
                self.send_prompt(typed, prompt.into());
            }
            None => self.note(
                Level::Error,
                format!("unknown command /{name} — /help lists them"),
            ),
        }
    }
}
