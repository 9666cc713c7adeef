//! The app: the widgets, what is focused, and the routing of engine messages and keys to them.
//! Rendering is a function of this state (and the clock, for the spinner), which is what makes
//! the snapshot tests and the benchmark possible without a terminal. Engine messages are routed in
//! `messages.rs`, keys in `keys.rs`, slash commands in `slash.rs`.

use super::approval::ApprovalModal;
use super::commands::CommandInfo;
use super::composer::Composer;
use super::diff_view::DiffView;
use super::fuzzy::FileIndex;
use super::history::PromptHistory;
use super::picker::Picker;
use super::plan::PlanView;
use super::status::Status;
use super::theme::Theme;
use super::transcript::{Level, Transcript};
use crate::conversation::Prompt;
use crate::engine::{EngineHandle, Op};
use crate::sandbox::approval::Answer;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Instant;
use tokio::sync::oneshot;

/// What the app knows about its surroundings.
#[derive(Debug, Clone, Default)]
pub struct AppContext {
    pub root: PathBuf,
    pub home: Option<PathBuf>,
    /// The configured `[models.*]` keys, for `/model`.
    pub models: Vec<String>,
    pub memory_cap: usize,
    /// How models are picked per step, for `/status`: `--route NAME`, the configured router, or
    /// empty for one model throughout.
    pub router: String,
}

/// A full-screen or modal view over the transcript.
pub enum Overlay {
    Approval {
        modal: Box<ApprovalModal>,
        reply: Option<oneshot::Sender<Answer>>,
    },
    Diff(DiffView),
    Picker(Picker),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Composer,
    /// Picking tool calls to expand.
    Transcript,
}

pub struct App {
    pub(super) theme: Theme,
    pub(super) ctx: AppContext,
    pub(super) engine: EngineHandle,
    pub transcript: Transcript,
    pub composer: Composer,
    pub status: Status,
    /// The model's plan, drawn as a checklist above the composer.
    pub plan: PlanView,
    pub(super) overlay: Option<Overlay>,
    pub(super) focus: Focus,
    pub(super) working: bool,
    /// Prompts typed while a turn runs, sent one per turn after it.
    pub(super) queued: VecDeque<Prompt>,
    pub(super) quit_armed: Option<Instant>,
    pub(super) quit: bool,
    pub(super) session_id: String,
    /// `(step, model, reason)` of every route event, for `/route`.
    pub(super) routes: Vec<(u32, String, String)>,
    /// Where the transcript was drawn last (for mouse clicks).
    pub(super) transcript_area: Rect,
    /// A prompt from the command line, sent once the session has opened.
    pub(super) first_prompt: Option<Prompt>,
    /// A session was (re)opened and its welcome line waits for the session's settings.
    pub(super) welcome: Option<Welcome>,
    /// Whether the open session holds a conversation worth resuming (for the hint on quit).
    pub(super) has_conversation: bool,
    prompt_history: PromptHistory,
    /// How many times each request (tool and arguments) was asked in this session.
    pub(super) asked: HashMap<String, usize>,
    /// The MCP servers the UI started, for `/status`.
    pub(super) mcp: Option<std::sync::Arc<crate::mcp::McpHub>>,
    /// What `@path` may attach: the session's read policy.
    policy: Option<crate::sandbox::SandboxPolicy>,
    /// Runs `/review` in sessions of its own.
    pub(super) review: Option<crate::frontend::review::Launcher>,
}

/// What kind of opening the welcome line greets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Welcome {
    New,
    Resumed,
}

impl App {
    pub fn new(
        ctx: AppContext,
        engine: EngineHandle,
        theme: Theme,
        commands: Vec<CommandInfo>,
        files: FileIndex,
    ) -> Self {
        let mut prompt_history = PromptHistory::open(ctx.home.as_deref(), &ctx.root);
        let mut composer = Composer::new(theme, commands, files);
        composer.set_history(prompt_history.load());
        App {
            theme,
            ctx,
            engine,
            transcript: Transcript::new(theme),
            composer,
            status: Status::default(),
            plan: PlanView::default(),
            overlay: None,
            focus: Focus::Composer,
            working: false,
            queued: VecDeque::new(),
            quit_armed: None,
            quit: false,
            session_id: String::new(),
            routes: Vec::new(),
            transcript_area: Rect::default(),
            first_prompt: None,
            welcome: None,
            has_conversation: false,
            prompt_history,
            asked: HashMap::new(),
            mcp: None,
            policy: None,
            review: None,
        }
    }

    /// The MCP servers to report in `/status`.
    pub fn with_mcp(mut self, hub: std::sync::Arc<crate::mcp::McpHub>) -> Self {
        self.mcp = Some(hub);
        self
    }

    /// What runs `/review` (without it the command says it is not available).
    pub fn with_review(mut self, launcher: crate::frontend::review::Launcher) -> Self {
        self.review = Some(launcher);
        self
    }

    /// The read policy `@path` attachments are read under (the session's, with its deny rules).
    pub fn with_policy(mut self, policy: crate::sandbox::SandboxPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The policy to read attachments under; without the session's, the secret patterns alone.
    pub(super) fn policy(&self) -> crate::sandbox::SandboxPolicy {
        self.policy
            .clone()
            .unwrap_or_else(|| crate::workspace_file::secrets_only(&self.ctx.root))
    }

    /// Sends `prompt` as soon as the session has opened (`reins "PROMPT" --image FILE`).
    pub fn submit_when_open(&mut self, prompt: Prompt) {
        self.first_prompt = Some(prompt);
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// What to print once the terminal is restored: how to come back to this session.
    pub fn resume_hint(&self) -> Option<String> {
        (self.has_conversation && !self.session_id.is_empty())
            .then(|| format!("to resume this session: reins --resume {}", self.session_id))
    }

    pub fn is_working(&self) -> bool {
        self.working
    }

    /// Stops the running turn (its model request and any command it runs).
    pub fn interrupt(&self) {
        self.engine.interrupt();
    }

    /// Whether frames must keep coming without input (the spinner, a fading notice).
    pub fn animating(&self, now: Instant) -> bool {
        self.working
            || matches!(&self.overlay, Some(Overlay::Approval { modal, .. }) if modal.waiting())
            || self.composer.completer().waiting_for_files()
            || self
                .status
                .flash
                .as_ref()
                .is_some_and(|(_, at)| now.duration_since(*at).as_secs() < 4)
    }

    /// Keeps what the user sent for Up/Down in later launches; a failure to write is said once
    /// per attempt and costs nothing else.
    pub(super) fn remember_prompt(&mut self, text: &str) {
        if let Err(e) = self.prompt_history.append(text, self.composer.history()) {
            self.note(Level::Warning, format!("prompt history not saved: {e}"));
        }
    }

    pub fn note(&mut self, level: Level, text: impl Into<String>) {
        self.transcript.push_note(level, text);
    }

    /// Sends a prompt now, or after the running turn.
    pub fn send_prompt(&mut self, shown: &str, prompt: Prompt) {
        if self.working {
            self.queued.push_back(prompt);
            self.status
                .flash("queued: sent when this turn ends", Instant::now());
            return;
        }
        self.transcript.push_user(shown);
        self.transcript.view.scroll_to_bottom();
        self.start_work(Op::Prompt(prompt));
    }

    pub(super) fn start_work(&mut self, op: Op) {
        if matches!(op, Op::Prompt(_)) {
            self.has_conversation = true;
        }
        self.working = true;
        self.status.working_since = Some(Instant::now());
        self.engine.send(op);
    }

    // ----- drawing -------------------------------------------------------------------------------

    pub fn draw(&mut self, frame: &mut Frame<'_>, now: Instant) {
        let area = frame.area();
        self.render(area, frame.buffer_mut(), now);
    }

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, now: Instant) {
        if area.height < 3 || area.width < 10 {
            return;
        }
        let status = Rect {
            y: area.y + area.height - 1,
            height: 1,
            ..area
        };
        let main = Rect {
            height: area.height - 1,
            ..area
        };
        if let Some(Overlay::Diff(view)) = self.overlay.as_mut() {
            view.render(main, buf, &self.theme);
            self.status.render(status, buf, &self.theme, now);
            return;
        }
        let max_composer = main.height.saturating_sub(3).max(1);
        let composer_h = self.composer.height(area.width).min(max_composer);
        // The checklist never takes the transcript's last rows away entirely.
        let plan_h = self
            .plan
            .height()
            .min((main.height - composer_h - 1).saturating_sub(3));
        let transcript = Rect {
            height: main.height - composer_h - 1 - plan_h,
            ..main
        };
        let plan = Rect {
            y: transcript.y + transcript.height,
            height: plan_h,
            ..main
        };
        let rule = Rect {
            y: plan.y + plan.height,
            height: 1,
            ..main
        };
        let composer = Rect {
            y: rule.y + 1,
            height: composer_h,
            ..main
        };
        self.transcript_area = transcript;
        self.transcript.render(transcript, buf);
        self.plan.render(plan, buf, &self.theme);
        self.render_rule(rule, buf);
        self.composer.render(composer, buf);
        self.render_completion(transcript, buf);
        self.status.render(status, buf, &self.theme, now);
        match self.overlay.as_mut() {
            Some(Overlay::Approval { modal, .. }) => modal.render(main, buf, &self.theme, now),
            Some(Overlay::Picker(p)) => p.render(main, buf, &self.theme),
            _ => {}
        }
    }

    /// The line between transcript and composer, with the keys that matter right now.
    fn render_rule(&self, area: Rect, buf: &mut Buffer) {
        let hint = if self.working {
            " Esc interrupt "
        } else if self.focus == Focus::Transcript {
            " ↑↓ pick · Enter expand · Esc back "
        } else if !self.transcript.view.is_following() {
            " scrolled · PgDn to follow "
        } else if self.transcript.cells().iter().any(|c| c.is_tool()) {
            " Tab: tool calls "
        } else {
            ""
        };
        let w = usize::from(area.width);
        let hint_w = super::wrap::str_width(hint);
        let fill = "─".repeat(w.saturating_sub(hint_w + 2));
        let line = Line::from(vec![
            Span::styled(fill, self.theme.border),
            Span::styled(hint.to_string(), self.theme.dim),
            Span::styled("──", self.theme.border),
        ]);
        buf.set_line(area.x, area.y, &line, area.width);
    }

    /// The `/` or `@` list, drawn over the bottom of the transcript.
    fn render_completion(&self, transcript: Rect, buf: &mut Buffer) {
        let Some(c) = self.composer.completer().completion() else {
            return;
        };
        let h = c.height().min(transcript.height);
        let w = transcript.width.min(72);
        let area = Rect {
            x: transcript.x,
            y: transcript.y + transcript.height - h,
            width: w,
            height: h,
        };
        c.render(area, buf, &self.theme);
    }
}
