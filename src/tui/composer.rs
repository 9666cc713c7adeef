//! The prompt composer: multi-line input (Enter sends; Shift+Enter, Alt+Enter or Ctrl+J insert a
//! newline), prompt history on Up/Down at the first/last line, pastes inserted whole (a long one
//! as a `[pasted N lines]` placeholder, expanded when the prompt is sent), and the `/` and `@`
//! completion list.

use super::commands::CommandInfo;
use super::fuzzy::FileIndex;
use super::popup::{Completion, Query, Source};
use super::theme::Theme;
use super::wrap::str_width;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Widget;
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

/// Rows of text the composer grows to before it scrolls.
const MAX_ROWS: u16 = 8;
/// A paste of at least this many lines, or more than [`COLLAPSE_CHARS`] characters, shows as a
/// placeholder: a 300-line log would otherwise push the prompt out of the composer.
const COLLAPSE_LINES: usize = 20;
const COLLAPSE_CHARS: usize = 2000;

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
    history: Vec<String>,
    /// Position in `history` while browsing it, and the draft it replaced.
    browsing: Option<(usize, String)>,
    commands: Vec<CommandInfo>,
    files: FileIndex,
    completion: Option<Completion>,
    /// A query whose list the user closed with Esc; it stays closed until the query changes.
    dismissed: Option<Query>,
    /// Placeholders of collapsed pastes and their text, until the prompt is sent.
    pastes: Vec<(String, String)>,
    /// Attached images and their chips (`[image 1: shot.png]`) in the text, until sent.
    images: Vec<(String, crate::conversation::Image)>,
}

impl Composer {
    pub fn new(theme: Theme, commands: Vec<CommandInfo>, files: FileIndex) -> Self {
        Composer {
            area: fresh_area(vec![String::new()], theme),
            theme,
            history: Vec::new(),
            browsing: None,
            commands,
            files,
            completion: None,
            dismissed: None,
            pastes: Vec::new(),
            images: Vec::new(),
        }
    }

    pub fn commands(&self) -> &[CommandInfo] {
        &self.commands
    }

    /// Earlier prompts (oldest first), for Up/Down.
    pub fn set_history(&mut self, history: Vec<String>) {
        self.history = history;
        self.browsing = None;
    }

    pub fn history(&self) -> &[String] {
        &self.history
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

    pub fn clear(&mut self) {
        self.set_text("");
        self.browsing = None;
    }

    /// Clears the text and forgets the pastes and images (Ctrl+C on a draft).
    pub fn discard(&mut self) {
        self.clear();
        self.pastes.clear();
        self.images.clear();
    }

    /// Attaches an image to the prompt being written: a chip `[image N: NAME]` goes in at the
    /// cursor, and the image is sent with the prompt as long as its chip is in the text.
    pub fn attach_image(&mut self, shown_name: &str, image: crate::conversation::Image) {
        let mut n = self.images.len() + 1;
        let chip = loop {
            let chip = format!("[image {n}: {shown_name}]");
            if !self.images.iter().any(|(c, _)| *c == chip) {
                break chip;
            }
            n += 1;
        };
        self.area.insert_str(&chip);
        self.images.push((chip, image));
        self.refresh_completion();
    }

    /// The attached images whose chip is still in the sent `text`; all are forgotten.
    pub fn take_images(&mut self, text: &str) -> Vec<crate::conversation::Image> {
        self.images
            .drain(..)
            .filter(|(chip, _)| text.contains(chip.as_str()))
            .map(|(_, image)| image)
            .collect()
    }

    /// The sent `text` with each paste placeholder replaced by what was pasted; the pastes are
    /// forgotten. A placeholder the user edited is no longer one and stays as typed.
    pub fn expand(&mut self, text: &str) -> String {
        let mut out = text.to_string();
        for (placeholder, pasted) in self.pastes.drain(..) {
            if let Some(at) = out.find(&placeholder) {
                out.replace_range(at..at + placeholder.len(), &pasted);
            }
        }
        out
    }

    pub fn completion(&self) -> Option<&Completion> {
        self.completion.as_ref()
    }

    /// A bracketed paste: inserted as one piece, newlines kept, never sent by its own Enter; a
    /// long one as a placeholder.
    pub fn paste(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let lines = text.trim_end_matches('\n').lines().count();
        if lines >= COLLAPSE_LINES || text.chars().count() > COLLAPSE_CHARS {
            let what = if lines > 1 {
                format!("{lines} lines")
            } else {
                format!("{} chars", text.chars().count())
            };
            let mut placeholder = format!("[pasted {what}]");
            let mut n = 1;
            while self.pastes.iter().any(|(p, _)| *p == placeholder) {
                n += 1;
                placeholder = format!("[pasted {what} #{n}]");
            }
            self.area.insert_str(&placeholder);
            self.pastes.push((placeholder, text));
        } else {
            self.area.insert_str(text);
        }
        self.refresh_completion();
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> Outcome {
        if let Some(outcome) = self.completion_key(key) {
            return outcome;
        }
        let shift_like = key
            .modifiers
            .intersects(KeyModifiers::SHIFT | KeyModifiers::ALT);
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter if shift_like => self.area.insert_newline(),
            KeyCode::Char('j') if ctrl => self.area.insert_newline(),
            KeyCode::Enter => return self.submit(),
            KeyCode::Up if self.area.cursor().0 == 0 => self.history_step(true),
            KeyCode::Down if self.area.cursor().0 + 1 >= self.area.lines().len() => {
                self.history_step(false)
            }
            KeyCode::Esc | KeyCode::PageUp | KeyCode::PageDown | KeyCode::Tab => {
                return Outcome::Ignored
            }
            KeyCode::Char('c') if ctrl => return Outcome::Ignored,
            KeyCode::Char(c @ ('u' | 'k' | 'w' | 'a' | 'e'))
                if ctrl && !key.modifiers.contains(KeyModifiers::ALT) =>
            {
                self.line_edit(c)
            }
            _ => {
                self.area.input(key);
            }
        }
        self.refresh_completion();
        Outcome::Handled
    }

    /// The readline keys a shell user's fingers know, which the text area binds otherwise
    /// (Ctrl+U is its undo): kill to the start or end of the line, kill the word before the
    /// cursor up to whitespace (`foo/bar.rs` goes whole, as in bash), go to the start or end.
    fn line_edit(&mut self, c: char) {
        match c {
            'u' => {
                let col = self.area.cursor().1;
                if col > 0 {
                    self.area.move_cursor(CursorMove::Head);
                    self.area.delete_str(col);
                }
            }
            'k' => {
                let (row, col) = (self.area.cursor().0, self.area.cursor().1);
                let len = self.area.lines().get(row).map_or(0, |l| l.chars().count());
                if col < len {
                    self.area.delete_str(len - col);
                }
            }
            'w' => {
                let (row, col) = (self.area.cursor().0, self.area.cursor().1);
                let line = self.area.lines().get(row).cloned().unwrap_or_default();
                let before: Vec<char> = line.chars().take(col).collect();
                let spaces = before
                    .iter()
                    .rev()
                    .take_while(|c| c.is_whitespace())
                    .count();
                let word = before[..before.len() - spaces]
                    .iter()
                    .rev()
                    .take_while(|c| !c.is_whitespace())
                    .count();
                let n = spaces + word;
                for _ in 0..n {
                    self.area.move_cursor(CursorMove::Back);
                }
                self.area.delete_str(n);
            }
            'a' => self.area.move_cursor(CursorMove::Head),
            _ => self.area.move_cursor(CursorMove::End),
        }
    }

    /// Keys the open completion list takes: move, accept, close.
    fn completion_key(&mut self, key: KeyEvent) -> Option<Outcome> {
        let c = self.completion.as_mut()?;
        match key.code {
            KeyCode::Up => c.step(true),
            KeyCode::Down => c.step(false),
            KeyCode::BackTab => c.step(true),
            KeyCode::Esc => {
                self.dismissed = Some(c.query.clone());
                self.completion = None;
            }
            KeyCode::Tab => {
                self.accept(false);
            }
            KeyCode::Enter if key.modifiers.is_empty() && !c.is_empty() => {
                return Some(self.accept(true))
            }
            _ => return None,
        }
        Some(Outcome::Handled)
    }

    /// Puts the selected candidate in place of the query; a bare command picked with Enter runs.
    fn accept(&mut self, enter: bool) -> Outcome {
        let Some(c) = self.completion.take() else {
            return Outcome::Handled;
        };
        let Some(pick) = c.selected().cloned() else {
            return Outcome::Handled;
        };
        match c.query.source {
            Source::Commands => {
                if enter && pick.runs_bare {
                    self.clear();
                    return self.record(pick.label);
                }
                self.set_text(&format!("{} ", pick.label));
            }
            Source::Files => self.replace_query(&c.query.text, &format!("@{} ", pick.label)),
        }
        self.completion = None;
        Outcome::Handled
    }

    /// Replaces `@query` just before the cursor with `with`.
    fn replace_query(&mut self, query: &str, with: &str) {
        let n = query.chars().count() + 1;
        for _ in 0..n {
            self.area.move_cursor(CursorMove::Back);
        }
        self.area.delete_str(n);
        self.area.insert_str(with);
        self.refresh_completion();
    }

    fn submit(&mut self) -> Outcome {
        let text = self.text();
        if text.trim().is_empty() {
            return Outcome::Handled;
        }
        self.clear();
        self.record(text)
    }

    fn record(&mut self, text: String) -> Outcome {
        if self.history.last() != Some(&text) {
            self.history.push(text.clone());
        }
        self.browsing = None;
        Outcome::Submit(text)
    }

    fn history_step(&mut self, back: bool) {
        let n = self.history.len();
        let next = match (&self.browsing, back) {
            (None, true) if n > 0 => Some(n - 1),
            (Some((i, _)), true) => Some(i.saturating_sub(1)),
            (Some((i, _)), false) if i + 1 < n => Some(i + 1),
            (Some(_), false) => None,
            _ => return,
        };
        let draft = match self.browsing.take() {
            Some((_, d)) => d,
            None => self.text(),
        };
        match next {
            Some(i) => {
                let text = self.history[i].clone();
                self.set_text(&text);
                self.browsing = Some((i, draft));
            }
            None => self.set_text(&draft),
        }
        // A recalled `/command` must not open the list, which would take the next Up.
        self.dismissed = self.query();
        self.completion = None;
    }

    /// What is being completed at the cursor: `/name` alone on the first line, or `@path`.
    fn query(&self) -> Option<Query> {
        let lines = self.area.lines();
        let (row, col) = (self.area.cursor().0, self.area.cursor().1);
        let line = lines.get(row)?;
        if lines.len() == 1 {
            if let Some(name) = line.strip_prefix('/') {
                if !name.contains(char::is_whitespace) {
                    return Some(Query {
                        source: Source::Commands,
                        text: name.to_string(),
                    });
                }
            }
        }
        let before: String = line.chars().take(col).collect();
        let word = before.rsplit(char::is_whitespace).next()?;
        let path = word.strip_prefix('@')?;
        Some(Query {
            source: Source::Files,
            text: path.to_string(),
        })
    }

    fn refresh_completion(&mut self) {
        let query = self.query();
        if query.is_none() || query != self.dismissed {
            self.dismissed = None;
        }
        match query {
            Some(q) if self.dismissed.is_none() => {
                if self.completion.as_ref().map(|c| &c.query) != Some(&q) {
                    self.completion = Some(Completion::new(q, &self.commands, &self.files));
                }
            }
            _ => self.completion = None,
        }
    }

    /// Whether an open `@` list waits for the file list.
    pub fn waiting_for_files(&self) -> bool {
        self.completion.as_ref().is_some_and(|c| c.pending)
    }

    /// Filters an open `@` list again once the file list is ready.
    pub fn refresh_files(&mut self) {
        if self.waiting_for_files() && self.files.get().is_some() {
            self.completion = None;
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
mod tests {
    use super::*;

    fn composer() -> Composer {
        let commands = super::super::commands::load(std::path::Path::new("/nonexistent"), None);
        let files = FileIndex::fixed(vec![
            "src/lib.rs".into(),
            "src/main.rs".into(),
            "README.md".into(),
        ]);
        Composer::new(Theme::plain(), commands, files)
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed(c: &mut Composer, s: &str) {
        for ch in s.chars() {
            c.handle_key(key(KeyCode::Char(ch)));
        }
    }

    #[test]
    fn enter_sends_and_shift_enter_adds_a_line() {
        let mut c = composer();
        typed(&mut c, "one");
        c.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::SHIFT));
        typed(&mut c, "two");
        c.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
        typed(&mut c, "three");
        assert_eq!(
            c.handle_key(key(KeyCode::Enter)),
            Outcome::Submit("one\ntwo\nthree".into())
        );
        assert!(c.is_empty());
    }

    #[test]
    fn up_and_down_walk_the_history_and_restore_the_draft() {
        let mut c = composer();
        typed(&mut c, "first");
        c.handle_key(key(KeyCode::Enter));
        typed(&mut c, "second");
        c.handle_key(key(KeyCode::Enter));
        typed(&mut c, "dra");
        c.handle_key(key(KeyCode::Up));
        assert_eq!(c.text(), "second");
        c.handle_key(key(KeyCode::Up));
        assert_eq!(c.text(), "first");
        c.handle_key(key(KeyCode::Down));
        c.handle_key(key(KeyCode::Down));
        assert_eq!(c.text(), "dra");
    }

    fn ctrl(c: &mut Composer, ch: char) {
        c.handle_key(KeyEvent::new(KeyCode::Char(ch), KeyModifiers::CONTROL));
    }

    #[test]
    fn readline_keys_kill_and_move_by_line_and_word() {
        let mut c = composer();
        typed(&mut c, "git commit -m fix src/ui/tui.rs");
        ctrl(&mut c, 'w');
        assert_eq!(c.text(), "git commit -m fix ");
        ctrl(&mut c, 'w');
        assert_eq!(c.text(), "git commit -m ");
        ctrl(&mut c, 'a');
        typed(&mut c, "> ");
        assert_eq!(c.text(), "> git commit -m ");
        ctrl(&mut c, 'k');
        assert_eq!(c.text(), "> ");
        ctrl(&mut c, 'e');
        typed(&mut c, "one two");
        ctrl(&mut c, 'u');
        assert!(
            c.is_empty(),
            "Ctrl+U kills to the start of the line: {:?}",
            c.text()
        );
    }

    #[test]
    fn ctrl_u_kills_only_the_current_line() {
        let mut c = composer();
        typed(&mut c, "keep");
        c.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::SHIFT));
        typed(&mut c, "drop this");
        ctrl(&mut c, 'u');
        assert_eq!(c.text(), "keep\n");
    }

    #[test]
    fn a_long_paste_is_a_placeholder_expanded_on_send() {
        let mut c = composer();
        let log: String = (1..=300).map(|i| format!("line {i}\n")).collect();
        typed(&mut c, "why does this fail: ");
        c.paste(&log);
        c.paste(&log);
        assert_eq!(
            c.text(),
            "why does this fail: [pasted 300 lines][pasted 300 lines #2]"
        );
        let Outcome::Submit(shown) = c.handle_key(key(KeyCode::Enter)) else {
            panic!("not sent");
        };
        let full = c.expand(&shown);
        assert_eq!(full, format!("why does this fail: {log}{log}"));
        assert_eq!(c.expand("[pasted 300 lines]"), "[pasted 300 lines]");
    }

    #[test]
    fn a_paste_keeps_its_newlines_and_is_not_sent() {
        let mut c = composer();
        c.paste("line 1\r\nline 2\nline 3");
        assert_eq!(c.text(), "line 1\nline 2\nline 3");
    }

    #[test]
    fn slash_opens_the_filtered_command_list() {
        let mut c = composer();
        typed(&mut c, "/comp");
        let first = c
            .completion()
            .and_then(|p| p.selected())
            .map(|s| s.label.clone());
        assert_eq!(first.as_deref(), Some("/compact"));
        assert_eq!(
            c.handle_key(key(KeyCode::Enter)),
            Outcome::Submit("/compact".into())
        );
    }

    #[test]
    fn a_command_with_a_required_argument_waits_for_it() {
        let mut c = composer();
        c.commands.push(CommandInfo {
            name: "deploy".into(),
            args: "TARGET".into(),
            help: "ship it".into(),
            body: Some("deploy $ARGUMENTS".into()),
            workflow: false,
        });
        typed(&mut c, "/deplo");
        assert_eq!(c.handle_key(key(KeyCode::Enter)), Outcome::Handled);
        assert_eq!(c.text(), "/deploy ");
        assert!(c.completion().is_none());
    }

    #[test]
    fn approval_picked_from_the_list_runs_bare_to_show_the_modes() {
        let mut c = composer();
        typed(&mut c, "/approv");
        assert_eq!(
            c.handle_key(key(KeyCode::Enter)),
            Outcome::Submit("/approval".into())
        );
    }

    #[test]
    fn at_completes_a_path_in_place() {
        let mut c = composer();
        typed(&mut c, "look at @lib");
        assert!(c.completion().is_some());
        c.handle_key(key(KeyCode::Tab));
        assert_eq!(c.text(), "look at @src/lib.rs ");
        assert!(c.completion().is_none());
    }

    #[test]
    fn esc_closes_the_list_until_the_query_changes() {
        let mut c = composer();
        typed(&mut c, "@ma");
        assert_eq!(c.handle_key(key(KeyCode::Esc)), Outcome::Handled);
        assert!(c.completion().is_none());
        typed(&mut c, "i");
        assert!(c.completion().is_some());
    }
}
