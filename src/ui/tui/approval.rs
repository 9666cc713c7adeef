//! The approval modal: what the model wants to run (the command, or the diff the edit would make)
//! and why the gate asks. `y` allows once, `a` always (a session allow rule), `n` denies with an
//! optional note to the model, `Esc` denies.

use super::theme::Theme;
use super::wrap::{sanitize, wrap, Logical};
use crate::sandbox::approval::{Answer, Request};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};
use std::path::Path;

pub struct ApprovalModal {
    pub request: Request,
    preview: Vec<Logical>,
    /// Typing the note of a denial.
    note: Option<String>,
    scroll: usize,
    /// When the modal opened: answers typed sooner were meant for the composer (type-ahead),
    /// not for a command the user has not seen yet.
    opened: std::time::Instant,
}

/// How long after opening the modal ignores answer keys.
const READ_DELAY: std::time::Duration = std::time::Duration::from_millis(400);

impl ApprovalModal {
    /// The modal for `request`; `root` lets an edit be previewed against the file as it is.
    pub fn new(request: Request, root: &Path, theme: &Theme) -> Self {
        let preview = preview(&request, root, theme);
        ApprovalModal {
            request,
            preview,
            note: None,
            scroll: 0,
            opened: std::time::Instant::now(),
        }
    }

    /// A key; `Some` once the user has answered.
    pub fn handle_key(&mut self, key: KeyEvent) -> Option<Answer> {
        if self.opened.elapsed() < READ_DELAY {
            return None;
        }
        if let Some(note) = self.note.as_mut() {
            match key.code {
                KeyCode::Enter => {
                    let note = note.trim().to_string();
                    return Some(Answer::Deny {
                        note: (!note.is_empty()).then_some(note),
                    });
                }
                KeyCode::Esc => return Some(Answer::Deny { note: None }),
                KeyCode::Backspace => {
                    note.pop();
                }
                KeyCode::Char(c) => note.push(c),
                _ => {}
            }
            return None;
        }
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => Some(Answer::Once),
            KeyCode::Char('a') | KeyCode::Char('A') => Some(Answer::Always),
            KeyCode::Char('n') | KeyCode::Char('N') => {
                self.note = Some(String::new());
                None
            }
            KeyCode::Esc => Some(Answer::Deny { note: None }),
            KeyCode::Down | KeyCode::Char('j') => {
                self.scroll += 1;
                None
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                None
            }
            _ => None,
        }
    }

    /// A paste goes into the note being typed.
    pub fn paste(&mut self, text: &str) {
        if let Some(note) = self.note.as_mut() {
            note.push_str(&text.replace(['\r', '\n'], " "));
        }
    }

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let width = area.width.saturating_sub(4).clamp(20, 100).min(area.width);
        let inner_w = usize::from(width.saturating_sub(4)).max(1);
        let body: Vec<Line<'static>> = self
            .preview
            .iter()
            .flat_map(|l| wrap(&l.line, l.hang, inner_w))
            .collect();
        let reason = wrap(
            &Line::from(vec![
                Span::styled("why: ", theme.bold),
                Span::raw(sanitize(&self.request.reason)),
            ]),
            5,
            inner_w,
        );
        let footer = self.footer(theme);
        let chrome = reason.len() + 1 + footer.len() + 2;
        let max_h = usize::from(area.height.saturating_sub(2)).max(chrome + 1);
        let body_h = body.len().min(max_h - chrome).max(1);
        self.scroll = self.scroll.min(body.len().saturating_sub(body_h));
        let height = (body_h + chrome) as u16;
        let rect = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + area.height.saturating_sub(height) / 2,
            width,
            height: height.min(area.height),
        };
        Clear.render(rect, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.warning)
            .title(Span::styled(
                format!(" approve {}? ", self.request.tool),
                theme.bold,
            ));
        let inner = block.inner(rect);
        block.render(rect, buf);
        let inner = Rect {
            x: inner.x + 1,
            width: inner.width.saturating_sub(2),
            ..inner
        };
        let blank = Line::default();
        let rows = body
            .iter()
            .skip(self.scroll)
            .take(body_h)
            .chain(std::iter::once(&blank))
            .chain(reason.iter())
            .chain(footer.iter());
        for (n, line) in rows.enumerate().take(usize::from(inner.height)) {
            buf.set_line(inner.x, inner.y + n as u16, line, inner.width);
        }
    }

    fn footer(&self, theme: &Theme) -> Vec<Line<'static>> {
        match &self.note {
            Some(note) => vec![Line::from(vec![
                Span::styled("note to the model: ", theme.bold),
                Span::raw(note.clone()),
                Span::styled("█", theme.dim),
                Span::styled("  Enter deny · Esc deny without a note", theme.dim),
            ])],
            None => vec![Line::from(vec![
                Span::styled("y", theme.ok),
                Span::raw(" once · "),
                Span::styled("a", theme.ok),
                Span::raw(" always · "),
                Span::styled("n", theme.error),
                Span::raw(" deny with a note · "),
                Span::styled("Esc", theme.error),
                Span::raw(" deny"),
            ])],
        }
    }
}

/// The lines that show what the call would do.
fn preview(request: &Request, root: &Path, theme: &Theme) -> Vec<Logical> {
    let args = &request.arguments;
    let field = |k: &str| args.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let text = match request.tool.as_str() {
        "shell" => {
            let mut lines: Vec<Logical> = sanitize(field("command"))
                .lines()
                .enumerate()
                .map(|(i, l)| {
                    let lead = if i == 0 { "$ " } else { "  " };
                    Logical {
                        line: Line::from(vec![
                            Span::styled(lead, theme.dim),
                            Span::styled(l.to_string(), theme.bold),
                        ]),
                        hang: 2,
                    }
                })
                .collect();
            if !field("workdir").is_empty() {
                lines.push(Logical::styled(
                    format!("in {}", field("workdir")),
                    theme.dim,
                ));
            }
            return lines;
        }
        "edit_file" => edit_diff(
            root,
            field("path"),
            field("old_string"),
            field("new_string"),
        ),
        "write_file" => {
            let old = read_small(root, field("path"));
            crate::diff::unified(field("path"), old.as_deref(), Some(field("content")))
        }
        "apply_patch" => field("patch").to_string(),
        _ => serde_json::to_string_pretty(args).unwrap_or_default(),
    };
    sanitize(&text)
        .lines()
        .map(|l| Logical::styled(l.to_string(), theme.diff_line(l)))
        .collect()
}

/// A regular file inside the workspace, at most 1 MiB: the model chose the path, and a FIFO or
/// `/dev/zero` must not hang the UI thread.
fn read_small(root: &Path, path: &str) -> Option<String> {
    let root = root.canonicalize().ok()?;
    let resolved = crate::sandbox::paths::resolve(&root, path).ok()?;
    let meta = std::fs::metadata(&resolved).ok()?;
    (meta.is_file() && meta.len() <= 1 << 20).then(|| std::fs::read_to_string(&resolved).ok())?
}

/// The diff `edit_file` would make, against the file on disk when the old text is found there.
fn edit_diff(root: &Path, path: &str, old: &str, new: &str) -> String {
    if let Some(current) = read_small(root, path) {
        if !old.is_empty() && current.contains(old) {
            let after = current.replacen(old, new, 1);
            return crate::diff::unified(path, Some(&current), Some(&after));
        }
    }
    crate::diff::unified(path, Some(old), Some(new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;
    use serde_json::json;

    fn modal() -> ApprovalModal {
        let req = Request {
            id: "c1".into(),
            tool: "shell".into(),
            arguments: json!({"command": "make deploy"}),
            reason: "`shell` is not covered by an allow rule".into(),
        };
        let mut m = ApprovalModal::new(req, Path::new("/nonexistent"), &Theme::plain());
        m.opened -= READ_DELAY * 2;
        m
    }

    #[test]
    fn keys_typed_ahead_do_not_answer() {
        let req = Request {
            id: "1".into(),
            tool: "shell".into(),
            arguments: serde_json::json!({"command": "rm -rf build"}),
            reason: "r".into(),
        };
        let mut m = ApprovalModal::new(req, Path::new("/nonexistent"), &Theme::plain());
        assert_eq!(m.handle_key(key(KeyCode::Char('a'))), None);
    }

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn y_a_and_esc_answer_at_once() {
        assert_eq!(
            modal().handle_key(key(KeyCode::Char('y'))),
            Some(Answer::Once)
        );
        assert_eq!(
            modal().handle_key(key(KeyCode::Char('a'))),
            Some(Answer::Always)
        );
        assert_eq!(
            modal().handle_key(key(KeyCode::Esc)),
            Some(Answer::Deny { note: None })
        );
    }

    #[test]
    fn n_takes_a_note_for_the_model() {
        let mut m = modal();
        assert_eq!(m.handle_key(key(KeyCode::Char('n'))), None);
        for c in "use make test".chars() {
            assert_eq!(m.handle_key(key(KeyCode::Char(c))), None);
        }
        assert_eq!(
            m.handle_key(key(KeyCode::Enter)),
            Some(Answer::Deny {
                note: Some("use make test".into())
            })
        );
    }
}
