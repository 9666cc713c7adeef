//! The full-screen review of a session's changes: the files on the left, the selected file's
//! hunks on the right. `j/k` scroll, `n/p` move between hunks (across files), `]/[` or Tab
//! between files, `r` reverts the current hunk in the workspace, `q`/Esc close.

use super::hunks::{self, FileDiff};
use super::theme::Theme;
use super::wrap::{sanitize, truncate};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};
use std::path::PathBuf;

/// What a key asks of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffAction {
    None,
    Close,
    /// A hunk was reverted: reload the diff.
    Reverted,
}

pub struct DiffView {
    files: Vec<FileDiff>,
    root: PathBuf,
    file: usize,
    hunk: usize,
    scroll: usize,
    /// Rows of the hunk pane at the last frame, to keep the current hunk in view.
    pane_height: usize,
    message: Option<String>,
}

impl DiffView {
    pub fn new(diff: &str, root: PathBuf) -> Self {
        DiffView {
            files: hunks::parse(diff),
            root,
            file: 0,
            hunk: 0,
            scroll: 0,
            pane_height: 20,
            message: None,
        }
    }

    /// New diff text after a revert, keeping the place as far as it still exists.
    pub fn reload(&mut self, diff: &str) {
        self.files = hunks::parse(diff);
        self.file = self.file.min(self.files.len().saturating_sub(1));
        let n = self.files.get(self.file).map_or(0, |f| f.hunks.len());
        self.hunk = self.hunk.min(n.saturating_sub(1));
        self.reveal_hunk();
    }

    pub fn set_message(&mut self, message: impl Into<String>) {
        self.message = Some(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> DiffAction {
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => return DiffAction::Close,
            KeyCode::Char('j') | KeyCode::Down => self.scroll += 1,
            KeyCode::Char('k') | KeyCode::Up => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll += self.pane_height.max(2) - 1,
            KeyCode::PageUp => {
                self.scroll = self.scroll.saturating_sub(self.pane_height.max(2) - 1)
            }
            KeyCode::Char('n') => self.step_hunk(false),
            KeyCode::Char('p') => self.step_hunk(true),
            KeyCode::Char(']') | KeyCode::Tab => self.step_file(false),
            KeyCode::Char('[') | KeyCode::BackTab => self.step_file(true),
            KeyCode::Char('r') => return self.revert(),
            _ => {}
        }
        DiffAction::None
    }

    fn step_hunk(&mut self, back: bool) {
        let Some(f) = self.files.get(self.file) else {
            return;
        };
        if back {
            if self.hunk > 0 {
                self.hunk -= 1;
            } else if self.file > 0 {
                self.file -= 1;
                self.hunk = self.files[self.file].hunks.len().saturating_sub(1);
            }
        } else if self.hunk + 1 < f.hunks.len() {
            self.hunk += 1;
        } else if self.file + 1 < self.files.len() {
            self.file += 1;
            self.hunk = 0;
        }
        self.reveal_hunk();
    }

    fn step_file(&mut self, back: bool) {
        let n = self.files.len();
        if n == 0 {
            return;
        }
        self.file = if back {
            (self.file + n - 1) % n
        } else {
            (self.file + 1) % n
        };
        self.hunk = 0;
        self.scroll = 0;
    }

    fn revert(&mut self) -> DiffAction {
        let Some(f) = self.files.get(self.file) else {
            return DiffAction::None;
        };
        let Some(h) = f.hunks.get(self.hunk) else {
            self.message = Some("this file has no hunk to revert".into());
            return DiffAction::None;
        };
        match hunks::revert(&self.root, f, h) {
            Ok(()) => {
                self.message = Some(format!("reverted hunk {} of {}", self.hunk + 1, f.path()));
                DiffAction::Reverted
            }
            Err(e) => {
                self.message = Some(e.to_string());
                DiffAction::None
            }
        }
    }

    /// The rows of the current file, and the row each hunk starts at.
    fn file_rows(&self, theme: &Theme) -> (Vec<Line<'static>>, Vec<usize>) {
        let mut rows = Vec::new();
        let mut starts = Vec::new();
        let Some(f) = self.files.get(self.file) else {
            return (rows, starts);
        };
        for n in &f.notes {
            rows.push(Line::styled(sanitize(n), theme.dim));
        }
        for h in &f.hunks {
            starts.push(rows.len());
            rows.push(Line::styled(sanitize(&h.header), theme.diff.hunk));
            for l in &h.lines {
                rows.push(Line::styled(sanitize(l), theme.diff.line(l)));
            }
        }
        (rows, starts)
    }

    fn reveal_hunk(&mut self) {
        let (_, starts) = self.file_rows(&Theme::plain());
        if let Some(&top) = starts.get(self.hunk) {
            self.scroll = top;
        }
    }

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        Clear.render(area, buf);
        if area.height < 4 || area.width < 20 {
            return;
        }
        let list_w = (area.width / 3).clamp(16, 40);
        let body = Rect {
            height: area.height - 1,
            ..area
        };
        let list = Rect {
            width: list_w,
            ..body
        };
        let pane = Rect {
            x: area.x + list_w,
            width: area.width - list_w,
            ..body
        };
        self.render_list(list, buf, theme);
        self.render_pane(pane, buf, theme);
        self.render_footer(
            Rect {
                y: area.y + area.height - 1,
                height: 1,
                ..area
            },
            buf,
            theme,
        );
    }

    fn render_list(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let title = format!(" {} files ", self.files.len());
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(title, theme.dim));
        let inner = block.inner(area);
        block.render(area, buf);
        let skip = self
            .file
            .saturating_sub(usize::from(inner.height).saturating_sub(1));
        for (row, (i, f)) in self.files.iter().enumerate().skip(skip).enumerate() {
            if row >= usize::from(inner.height) {
                break;
            }
            let (add, del) = f.counts();
            let counts = format!(" +{add} −{del}");
            let room = usize::from(inner.width).saturating_sub(counts.chars().count());
            let line = Line::from(vec![
                Span::raw(truncate(f.path(), room)),
                Span::styled(counts, theme.dim),
            ]);
            let y = inner.y + row as u16;
            buf.set_line(inner.x, y, &line, inner.width);
            if i == self.file {
                buf.set_style(
                    Rect {
                        y,
                        height: 1,
                        ..inner
                    },
                    theme.selected,
                );
            }
        }
    }

    fn render_pane(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let title = match self.files.get(self.file) {
            Some(f) => format!(
                " {} — hunk {}/{} ",
                f.path(),
                self.hunk + 1,
                f.hunks.len().max(1)
            ),
            None => " no changes ".to_string(),
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(title, theme.bold));
        let inner = block.inner(area);
        block.render(area, buf);
        self.pane_height = usize::from(inner.height);
        let (rows, starts) = self.file_rows(theme);
        self.scroll = self.scroll.min(rows.len().saturating_sub(1));
        let current = starts.get(self.hunk).map(|&s| {
            let end = starts.get(self.hunk + 1).copied().unwrap_or(rows.len());
            s..end
        });
        let text = Rect {
            x: inner.x + 1,
            width: inner.width.saturating_sub(1),
            ..inner
        };
        for (n, (i, line)) in rows.iter().enumerate().skip(self.scroll).enumerate() {
            if n >= usize::from(inner.height) {
                break;
            }
            let y = inner.y + n as u16;
            if current.as_ref().is_some_and(|r| r.contains(&i)) {
                buf.set_span(inner.x, y, &Span::styled("▌", theme.accent), 1);
            }
            buf.set_line(text.x, y, line, text.width);
        }
    }

    fn render_footer(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let keys = "j/k scroll · n/p hunk · ]/[ file · r revert hunk · q close";
        let text = match &self.message {
            Some(m) => format!(" {m} · {keys}"),
            None => format!(" {keys}"),
        };
        buf.set_style(area, theme.status);
        buf.set_line(
            area.x,
            area.y,
            &Line::styled(truncate(&text, usize::from(area.width)), theme.status),
            area.width,
        );
    }
}
