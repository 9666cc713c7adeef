//! The prompt composer: multi-line input (Enter sends; Shift+Enter, Alt+Enter or Ctrl+J insert a
//! newline), prompt history on Up/Down at the first/last line, pastes inserted whole (a long one
//! as a `[pasted N lines]` placeholder, expanded when the prompt is sent), and the `/` and `@`
//! completion list.
//!
//! The composer owns the text area and routes keys; each job with state of its own is its own
//! type: [`Recall`] (Up/Down through earlier prompts), [`Completer`] (the completion list), and
//! [`Attachments`] (collapsed pastes and image chips).

mod attachments;
mod completer;
mod editing;
mod recall;

pub use attachments::Attachments;
pub use completer::{Completer, ListKey};
pub use recall::Recall;

use super::commands::CommandInfo;
use super::fuzzy::FileIndex;
use super::popup::{Candidate, Query, Source};
use super::theme::Theme;
use super::wrap::str_width;
use crate::conversation::Image;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Widget;
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

/// Rows of text the composer grows to before it scrolls.
const MAX_ROWS: u16 = 8;

/// What a key did, for the app to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Consumed; nothing for the app to do.
    Handled,
    /// Not a composer key.
    Ignored,
    Submit(String),
}

pub struct Composer {
    area: TextArea<'static>,
    theme: Theme,
    recall: Recall,
    completer: Completer,
    attachments: Attachments,
}

impl Composer {
    pub fn new(theme: Theme, commands: Vec<CommandInfo>, files: FileIndex) -> Self {
        Composer {
            area: fresh_area(vec![String::new()], theme),
            theme,
            recall: Recall::default(),
            completer: Completer::new(commands, files),
            attachments: Attachments::default(),
        }
    }

    /// Earlier prompts (oldest first), for Up/Down.
    pub fn set_history(&mut self, history: Vec<String>) {
        self.recall.set(history);
    }

    pub fn history(&self) -> &[String] {
        self.recall.entries()
    }

    /// The completion list and the commands it completes.
    pub fn completer(&self) -> &Completer {
        &self.completer
    }

    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.area.lines().iter().all(|l| l.is_empty())
    }

    pub fn set_text(&mut self, text: &str) {
        let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        self.area = fresh_area(lines, self.theme);
        self.area.move_cursor(CursorMove::Bottom);
        self.area.move_cursor(CursorMove::End);
        self.refresh_completion();
    }

    /// Clears the text and forgets the pastes and images (Ctrl+C on a draft).
    pub fn discard(&mut self) {
        self.set_text("");
        self.recall.stop();
        self.attachments.clear();
    }

    /// Attaches an image to the prompt being written: a chip `[image N: NAME]` goes in at the
    /// cursor, and the image is sent with the prompt as long as its chip is in the text.
    pub fn attach_image(&mut self, shown_name: &str, image: Image) {
        let chip = self.attachments.attach_image(shown_name, image);
        self.area.insert_str(&chip);
        self.refresh_completion();
    }

    /// What to send for the submitted text `shown`: the text with each paste placeholder
    /// expanded, and the images whose chip it still holds. The attachments are forgotten.
    pub fn resolve(&mut self, shown: &str) -> (String, Vec<Image>) {
        let full = self.attachments.expand(shown);
        let images = self.attachments.take_images(&full);
        (full, images)
    }

    /// A bracketed paste: inserted as one piece, newlines kept, never sent by its own Enter; a
    /// long one as a placeholder.
    pub fn paste(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        match self.attachments.collapse(&text) {
            Some(placeholder) => self.area.insert_str(&placeholder),
            None => self.area.insert_str(text),
        };
        self.refresh_completion();
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> Outcome {
        match self.completer.handle_key(key) {
            Some(ListKey::Handled) => return Outcome::Handled,
            Some(ListKey::Accept { query, pick, enter }) => return self.accept(query, pick, enter),
            None => {}
        }
        let shift_like = key
            .modifiers
            .intersects(KeyModifiers::SHIFT | KeyModifiers::ALT);
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter if shift_like => self.area.insert_newline(),
            KeyCode::Char('j') if ctrl => self.area.insert_newline(),
            KeyCode::Enter => return self.submit(),
            KeyCode::Up if self.area.cursor().0 == 0 => self.recall_step(true),
            KeyCode::Down if self.area.cursor().0 + 1 >= self.area.lines().len() => {
                self.recall_step(false)
            }
            KeyCode::Esc | KeyCode::PageUp | KeyCode::PageDown | KeyCode::Tab => {
                return Outcome::Ignored
            }
            KeyCode::Char('c') if ctrl => return Outcome::Ignored,
            KeyCode::Char(c @ ('u' | 'k' | 'w' | 'a' | 'e'))
                if ctrl && !key.modifiers.contains(KeyModifiers::ALT) =>
            {
                editing::line_edit(&mut self.area, c)
            }
            _ => {
                self.area.input(key);
            }
        }
        self.refresh_completion();
        Outcome::Handled
    }

    /// Puts the picked candidate in place of the query; a bare command picked with Enter runs.
    fn accept(&mut self, query: Query, pick: Candidate, enter: bool) -> Outcome {
        match query.source {
            Source::Commands => {
                if enter && pick.runs_bare {
                    self.set_text("");
                    return self.record(pick.label);
                }
                self.set_text(&format!("{} ", pick.label));
            }
            Source::Files => {
                editing::replace_query(&mut self.area, &query.text, &format!("@{} ", pick.label));
                self.refresh_completion();
            }
        }
        self.completer.close();
        Outcome::Handled
    }

    fn submit(&mut self) -> Outcome {
        let text = self.text();
        if text.trim().is_empty() {
            return Outcome::Handled;
        }
        self.set_text("");
        self.record(text)
    }

    fn record(&mut self, text: String) -> Outcome {
        self.recall.record(&text);
        Outcome::Submit(text)
    }

    /// Up or Down at the edge of the text: the previous or next prompt, or the draft back.
    fn recall_step(&mut self, back: bool) {
        let Some(text) = self.recall.step(back, &self.text()) else {
            return;
        };
        self.set_text(&text);
        self.completer
            .suppress(editing::query_at_cursor(&self.area));
    }

    fn refresh_completion(&mut self) {
        self.completer.refresh(editing::query_at_cursor(&self.area));
    }

    /// Filters an open `@` list again once the file list is ready.
    pub fn refresh_files(&mut self) {
        if self.completer.files_arrived() {
            self.completer.close();
            self.refresh_completion();
        }
    }

    /// Rows the text needs at `width` (gutter excluded), at least 1, at most `MAX_ROWS`.
    pub fn height(&self, width: u16) -> u16 {
        let w = usize::from(width.saturating_sub(2)).max(1);
        let rows: usize = self
            .area
            .lines()
            .iter()
            .map(|l| str_width(l).div_ceil(w).max(1))
            .sum();
        (rows as u16).clamp(1, MAX_ROWS)
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer) {
        if area.width < 3 || area.height == 0 {
            return;
        }
        buf.set_span(area.x, area.y, &Span::styled("› ", self.theme.user), 2);
        let text = Rect {
            x: area.x + 2,
            width: area.width - 2,
            ..area
        };
        (&self.area).render(text, buf);
    }
}

fn fresh_area(lines: Vec<String>, theme: Theme) -> TextArea<'static> {
    let mut area = TextArea::new(lines);
    area.set_cursor_line_style(Style::new());
    area.set_cursor_style(theme.selected);
    area.set_wrap_mode(WrapMode::WordOrGlyph);
    area.set_placeholder_text("Ask reins — / commands · @ files · Shift+Enter or Ctrl+J newline");
    area.set_placeholder_style(theme.dim);
    area
}

#[cfg(test)]
mod tests;
