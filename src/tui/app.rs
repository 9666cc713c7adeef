//! The app: the session's link, the screen's widgets, the overlay over them, and the routing
//! between them. Rendering is a function of this state (and the clock, for the spinner), which
//! is what makes the snapshot tests and the benchmark possible without a terminal.
//!
//! Each job with state of its own is its own type: [`SessionLink`] (the engine and what waits
//! for it), [`Screen`] (the widgets, the focus, and what events show on them), [`Overlays`]
//! (the modal or full-screen view), [`Approvals`] (what was asked, rules saved), [`QuitGuard`]
//! (Ctrl+C twice). The app routes engine messages (`messages.rs`), keys (`keys.rs`) and the
//! effects of slash commands (`slash.rs`) between them.

pub use super::context::AppContext;

use super::approvals::Approvals;
use super::commands::CommandInfo;
use super::composer::Composer;
use super::fuzzy::FileIndex;
use super::history::PromptHistory;
use super::overlay::Overlays;
use super::quit::QuitGuard;
use super::screen::Screen;
use super::session_link::SessionLink;
use super::slash::{Effect, Slash};
use super::status::approval_name;
use super::theme::Theme;
use super::transcript::Level;
use crate::conversation::Prompt;
use crate::engine::{EngineHandle, Op};
use ratatui::layout::Rect;
use ratatui::Frame;
use std::time::Instant;

pub struct App {
    pub(super) theme: Theme,
    pub(super) ctx: AppContext,
    pub(super) session: SessionLink,
    /// The widgets: transcript, composer, status line, plan.
    pub screen: Screen,
    pub(super) overlay: Overlays,
    pub(super) approvals: Approvals,
    pub(super) quit: QuitGuard,
    pub(super) prompt_history: PromptHistory,
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
            approvals: Approvals::new(ctx.root.clone(), ctx.home.clone()),
            ctx,
            session: SessionLink::new(engine),
            screen: Screen::new(theme, composer),
            overlay: Overlays::default(),
            quit: QuitGuard::default(),
            prompt_history,
        }
    }

    pub fn should_quit(&self) -> bool {
        self.quit.should_quit()
    }

    /// What to print once the terminal is restored: how to come back to this session.
    pub fn resume_hint(&self) -> Option<String> {
        self.session.resume_hint()
    }

    /// Whether frames must keep coming without input (the spinner, a fading notice).
    pub fn animating(&self, now: Instant) -> bool {
        self.session.is_working()
            || self.overlay.waiting()
            || self.screen.composer.completer().waiting_for_files()
            || self
                .screen
                .status
                .flash
                .as_ref()
                .is_some_and(|(_, at)| now.duration_since(*at).as_secs() < 4)
    }

    /// Sends a prompt now, or after the running turn.
    pub fn send_prompt(&mut self, shown: &str, prompt: Prompt) {
        if self.session.is_working() {
            self.session.queue(prompt);
            self.screen
                .status
                .flash("queued: sent when this turn ends", Instant::now());
            return;
        }
        self.screen.transcript.push_user(shown);
        self.screen.transcript.view.scroll_to_bottom();
        self.start_work(Op::Prompt(prompt));
    }

    fn start_work(&mut self, op: Op) {
        self.session.start(op);
        self.screen.status.working_since = Some(Instant::now());
    }

    /// Runs the slash command `/name args` and applies what it asks for.
    pub(super) fn run_command(&mut self, name: &str, args: &str, typed: &str) {
        let slash = Slash {
            ctx: &self.ctx,
            catalogue: self.screen.composer.completer().commands(),
            status: &self.screen.status,
            routes: &self.screen.routes,
            session: &self.session,
        };
        let effect = slash.run(name, args, typed);
        self.apply(effect);
    }

    fn apply(&mut self, effect: Effect) {
        let screen = &mut self.screen;
        match effect {
            Effect::Note(level, text) => screen.note(level, text),
            Effect::Send(op) => self.session.send(op),
            Effect::Start(op) => self.start_work(op),
            Effect::Open(overlay) => self.overlay.open(overlay),
            Effect::Prompt(shown, prompt) => self.send_prompt(&shown, prompt),
            Effect::Model(name) => {
                screen.status.reason.clear();
                self.session.send(Op::Model(name));
            }
            Effect::Approval(mode) => {
                self.session.send(Op::Approval(mode));
                screen.status.approval = mode;
                screen.note(Level::Info, format!("approval: {}", approval_name(mode)));
            }
            Effect::Sandbox(mode) => {
                self.session.send(Op::Sandbox(mode));
                screen.status.sandbox = mode;
                screen.note(Level::Info, format!("sandbox: {mode}"));
            }
            Effect::ToggleReasoning => screen.toggle_reasoning(),
            Effect::Quit => self.quit.now(),
        }
    }

    // ----- drawing -------------------------------------------------------------------------------

    pub fn draw(&mut self, frame: &mut Frame<'_>, now: Instant) {
        let area = frame.area();
        let buf = frame.buffer_mut();
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
        match self.overlay.diff_mut() {
            Some(view) => view.render(main, buf, &self.theme),
            None => self.screen.render(main, buf, self.session.is_working()),
        }
        self.screen.status.render(status, buf, &self.theme, now);
        self.overlay.render(main, buf, &self.theme, now);
    }
}
