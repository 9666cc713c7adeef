//! The widgets on the screen and what is focused: the transcript, the plan checklist, the
//! composer with its completion list, and the status line. Draws them in their places and
//! routes the keys and clicks that belong to them; what the engine's events change on them is
//! in `feed.rs`. The app around it owns the session, the overlays and the commands.

use super::composer::Composer;
use super::plan::PlanView;
use super::routes::RouteLog;
use super::status::Status;
use super::theme::Theme;
use super::transcript::{Level, Transcript};
use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// Rows per mouse-wheel notch.
const WHEEL: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Composer,
    /// Picking tool calls to expand.
    Transcript,
}

pub struct Screen {
    pub(super) theme: Theme,
    pub transcript: Transcript,
    pub composer: Composer,
    pub status: Status,
    /// The model's plan, drawn as a checklist above the composer.
    pub plan: PlanView,
    /// The steps routed so far, for `/route` and `/status`.
    pub routes: RouteLog,
    pub(super) focus: Focus,
    /// Where the transcript was drawn last (for mouse clicks).
    transcript_area: Rect,
}

impl Screen {
    pub fn new(theme: Theme, composer: Composer) -> Self {
        Screen {
            theme,
            transcript: Transcript::new(theme),
            composer,
            status: Status::default(),
            plan: PlanView::default(),
            routes: RouteLog::default(),
            focus: Focus::Composer,
            transcript_area: Rect::default(),
        }
    }

    pub fn note(&mut self, level: Level, text: impl Into<String>) {
        self.transcript.push_note(level, text);
    }

    /// Draws the transcript, the plan, the rule and the composer into `main` (the screen less
    /// the status line); `working` picks the rule's hint.
    pub fn render(&mut self, main: Rect, buf: &mut Buffer, working: bool) {
        let max_composer = main.height.saturating_sub(3).max(1);
        let composer_h = self.composer.height(main.width).min(max_composer);
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
        self.render_rule(rule, buf, working);
        self.composer.render(composer, buf);
        self.render_completion(transcript, buf);
    }

    /// The line between transcript and composer, with the keys that matter right now.
    fn render_rule(&self, area: Rect, buf: &mut Buffer, working: bool) {
        let hint = if working {
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

    /// Tab on the composer: moves the focus to the tool and reasoning cells, if there are any.
    pub fn focus_transcript(&mut self) {
        if self.transcript.cells().iter().any(|c| c.is_foldable()) {
            self.focus = Focus::Transcript;
            self.transcript.select_step(true);
        }
    }

    /// Back to the composer, the picked cell let go.
    pub fn focus_composer(&mut self) {
        self.focus = Focus::Composer;
        self.transcript.clear_selection();
    }

    /// A key while the transcript has the focus; a typed character goes back to the composer
    /// and is returned for it.
    pub fn transcript_key(&mut self, key: KeyEvent) -> Option<KeyEvent> {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.transcript.select_step(true),
            KeyCode::Down | KeyCode::Char('j') => self.transcript.select_step(false),
            KeyCode::Enter | KeyCode::Char(' ') => self.transcript.toggle_selected(),
            KeyCode::End | KeyCode::Char('G') => self.transcript.view.scroll_to_bottom(),
            KeyCode::Tab | KeyCode::Char('i') => self.focus_composer(),
            KeyCode::Char(_) => {
                self.focus_composer();
                return Some(key);
            }
            _ => {}
        }
        None
    }

    /// The wheel scrolls the transcript; a click on it folds the cell under the pointer.
    pub fn on_mouse(&mut self, m: MouseEvent) {
        let area = self.transcript_area;
        match m.kind {
            MouseEventKind::ScrollUp => self.transcript.view.scroll_up(WHEEL),
            MouseEventKind::ScrollDown => self.transcript.view.scroll_down(WHEEL),
            MouseEventKind::Down(_) if m.row >= area.y && m.row < area.y + area.height => {
                self.transcript.click(m.row - area.y)
            }
            _ => {}
        }
    }

    /// Expands or collapses the model's reasoning everywhere in the transcript.
    pub fn toggle_reasoning(&mut self) {
        let word = if self.transcript.toggle_reasoning() {
            "reasoning shown (Ctrl+T or /reasoning hides it)"
        } else {
            "reasoning collapsed (Ctrl+T or /reasoning shows it)"
        };
        self.status.flash(word, std::time::Instant::now());
    }
}
