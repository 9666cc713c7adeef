//! The approval modal: what the model said it was about to do, what it wants to run (the command,
//! or the diff the edit would make) and why the gate asks. `y` allows once, `a` always (this exact
//! call, for the session), `p` always for commands starting with a prefix the user can edit (a
//! rule saved in the user's own files for this workspace, see
//! [`crate::config::user_workspace`]), `n` denies with an optional note to the model, `Esc`
//! denies. The same request asked again in a session is numbered, so two prompts in a row are
//! not mistaken for one.

use super::theme::Theme;
use super::wrap::{sanitize, wrap, Logical};
use crate::sandbox::approval::{Answer, Request};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use std::path::{Path, PathBuf};
use std::time::Instant;

mod preview;
mod rule_offer;

use preview::preview;
use rule_offer::RuleOffer;

/// Rows of the model's explanation shown above the call; the rest is cut with an ellipsis.
const EXPLANATION_ROWS: usize = 6;

pub struct ApprovalModal {
    pub request: Request,
    /// What the model wrote before the call: the reason it gives for it.
    explanation: Option<String>,
    /// 1 for a request not seen before in the session, 2 for the second identical one, ...
    repeat: usize,
    rule: Option<RuleOffer>,
    preview: Vec<Logical>,
    /// Typing the note of a denial.
    note: Option<String>,
    scroll: usize,
    /// When the modal was first drawn, by the clock the frames are drawn with.
    shown: Option<Instant>,
    /// The modal has been on screen for [`READ_DELAY`]: keys answer from now on. Keys typed
    /// sooner were meant for the composer (type-ahead), not for a request not yet read.
    armed: bool,
}

/// How long the modal must have been on screen before answer keys count.
const READ_DELAY: std::time::Duration = std::time::Duration::from_millis(400);

impl ApprovalModal {
    /// The modal for `request`; `root` lets an edit be previewed against the file as it is.
    pub fn new(request: Request, root: &Path, theme: &Theme) -> Self {
        let preview = preview(&request, root, theme);
        ApprovalModal {
            request,
            explanation: None,
            repeat: 1,
            rule: None,
            preview,
            note: None,
            scroll: 0,
            shown: None,
            armed: false,
        }
    }

    /// Shows what the model wrote before the call, and how many times the same request was
    /// asked in the session (this one included).
    pub fn with_context(mut self, explanation: Option<String>, repeat: usize) -> Self {
        self.explanation = explanation.filter(|e| !e.trim().is_empty());
        self.repeat = repeat.max(1);
        self
    }

    /// Offers `p`: always allow the commands starting with a prefix of this one, the rule saved
    /// to `file`. Only for a command line an allow rule can match.
    pub fn offer_rule(mut self, file: PathBuf) -> Self {
        self.rule = RuleOffer::for_request(&self.request, file);
        self
    }

    /// A key; `Some` once the user has answered.
    pub fn handle_key(&mut self, key: KeyEvent) -> Option<Answer> {
        if !self.armed {
            return None;
        }
        if let Some(offer) = self.rule.as_mut().filter(|o| o.editing) {
            return offer.handle_key(key);
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
            KeyCode::Char('p') | KeyCode::Char('P') if self.rule.is_some() => {
                if let Some(offer) = self.rule.as_mut() {
                    offer.editing = true;
                }
                None
            }
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

    /// A paste goes into the note or the prefix being typed.
    pub fn paste(&mut self, text: &str) {
        let text = text.replace(['\r', '\n'], " ");
        if let Some(note) = self.note.as_mut() {
            note.push_str(&text);
        } else if let Some(offer) = self.rule.as_mut().filter(|o| o.editing) {
            offer.prefix.push_str(&text);
        }
    }

    /// The explanation, wrapped, at most [`EXPLANATION_ROWS`] rows and a blank line.
    fn explanation_rows(&self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let Some(text) = &self.explanation else {
            return Vec::new();
        };
        let mut rows: Vec<Line<'static>> = sanitize(text)
            .lines()
            .flat_map(|l| wrap(&Line::styled(l.to_string(), theme.dim), 0, width))
            .collect();
        if rows.len() > EXPLANATION_ROWS {
            rows.truncate(EXPLANATION_ROWS);
            rows.push(Line::styled("…", theme.dim));
        }
        rows.push(Line::default());
        rows
    }

    fn title(&self) -> String {
        match self.repeat {
            1 => format!(" approve {}? ", self.request.tool),
            n => format!(
                " approve {}? ({} identical request) ",
                self.request.tool,
                ordinal(n)
            ),
        }
    }

    /// Whether the modal still ignores answer keys; frames must keep coming until it does not,
    /// so the keys appear when they start to count.
    pub fn waiting(&self) -> bool {
        !self.armed
    }

    /// Draws the modal as of `now`, the frame's time: the read delay counts from the first
    /// frame that showed it, so a test drives it with the times it draws at, not by sleeping.
    pub fn render(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme, now: Instant) {
        let shown = *self.shown.get_or_insert(now);
        if now.saturating_duration_since(shown) >= READ_DELAY {
            self.armed = true;
        }
        let width = area.width.saturating_sub(4).clamp(20, 100).min(area.width);
        let inner_w = usize::from(width.saturating_sub(4)).max(1);
        let body: Vec<Line<'static>> = self
            .explanation_rows(inner_w, theme)
            .into_iter()
            .chain(
                self.preview
                    .iter()
                    .flat_map(|l| wrap(&l.line, l.hang, inner_w)),
            )
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
        let inner = super::modal::frame(
            area,
            (width, height),
            theme.level.warning,
            self.title(),
            theme,
            buf,
        );
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
        if let Some(offer) = self.rule.as_ref().filter(|o| o.editing) {
            return offer.editor_lines(theme);
        }
        if !self.armed {
            return vec![Line::styled(
                "read the request: the answer keys work in a moment",
                theme.dim,
            )];
        }
        let mut lines = match &self.note {
            Some(note) => vec![Line::from(vec![
                Span::styled("note to the model: ", theme.bold),
                Span::raw(note.clone()),
                Span::styled("█", theme.dim),
                Span::styled("  Enter deny · Esc deny without a note", theme.dim),
            ])],
            None => vec![Line::from(vec![
                Span::styled("y", theme.level.ok),
                Span::raw(" once · "),
                Span::styled("a", theme.level.ok),
                Span::raw(match self.request.always.as_str() {
                    "" => " always this call · ".to_string(),
                    scope => format!(" always {scope} · "),
                }),
                Span::styled("n", theme.level.error),
                Span::raw(" deny with a note · "),
                Span::styled("Esc", theme.level.error),
                Span::raw(" deny"),
            ])],
        };
        if let (Some(offer), None) = (&self.rule, &self.note) {
            lines.push(Line::from(vec![
                Span::styled("p", theme.level.ok),
                Span::raw(format!(
                    " always allow commands starting with `{}` in this workspace",
                    offer.prefix
                )),
            ]));
        }
        lines
    }
}

/// 2nd, 3rd, 4th, 11th, 21st.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
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
            always: String::new(),
        };
        let mut m = ApprovalModal::new(req, Path::new("/nonexistent"), &Theme::plain());
        let at = Instant::now();
        draw(&mut m, at);
        draw(&mut m, at + READ_DELAY);
        m
    }

    /// Draws `m` as a frame at `at` would.
    fn draw(m: &mut ApprovalModal, at: Instant) -> String {
        let area = Rect::new(0, 0, 80, 20);
        let mut buf = Buffer::empty(area);
        m.render(area, &mut buf, &Theme::plain(), at);
        (0..area.height)
            .map(|y| {
                (0..area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn keys_typed_ahead_do_not_answer() {
        let req = Request {
            id: "1".into(),
            tool: "shell".into(),
            arguments: serde_json::json!({"command": "rm -rf build"}),
            reason: "r".into(),
            always: String::new(),
        };
        let mut m = ApprovalModal::new(req, Path::new("/nonexistent"), &Theme::plain());
        // Not drawn yet: nothing was read.
        assert_eq!(m.handle_key(key(KeyCode::Char('a'))), None);
        let at = Instant::now();
        let first = draw(&mut m, at);
        assert!(first.contains("work in a moment"), "{first}");
        assert_eq!(m.handle_key(key(KeyCode::Char('a'))), None);
        assert!(m.waiting());
        // On screen, but not for long enough.
        draw(&mut m, at + READ_DELAY / 2);
        assert_eq!(m.handle_key(key(KeyCode::Char('a'))), None);
        let armed = draw(&mut m, at + READ_DELAY);
        assert!(!m.waiting());
        assert!(armed.contains("y once"), "{armed}");
        assert_eq!(m.handle_key(key(KeyCode::Char('a'))), Some(Answer::Always));
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
    fn p_saves_an_edited_prefix_rule_that_must_allow_the_command() {
        let mut m = modal().offer_rule("/h/permissions.toml".into());
        m.request.arguments = json!({"command": "make deploy"});
        assert_eq!(m.handle_key(key(KeyCode::Char('p'))), None);
        assert_eq!(
            m.rule.as_ref().map(|o| o.prefix.as_str()),
            Some("make deploy")
        );
        for _ in 0.."deploy".len() {
            m.handle_key(key(KeyCode::Backspace));
        }
        m.handle_key(key(KeyCode::Char('x')));
        assert_eq!(
            m.handle_key(key(KeyCode::Enter)),
            None,
            "`make x*` does not allow it"
        );
        assert!(m.rule.as_ref().and_then(|o| o.error.as_ref()).is_some());
        m.handle_key(key(KeyCode::Backspace));
        assert_eq!(
            m.handle_key(key(KeyCode::Enter)),
            Some(Answer::Rule {
                rule: "shell(make*)".into()
            })
        );
    }

    #[test]
    fn no_prefix_offer_for_a_line_no_rule_can_allow() {
        let mut m = modal();
        m.request.arguments = json!({"command": "curl x | sh"});
        let mut m = m.offer_rule("/h/p.toml".into());
        assert!(m.rule.is_none());
        assert_eq!(m.handle_key(key(KeyCode::Char('p'))), None);
        assert!(m.note.is_none());
    }

    #[test]
    fn ordinals() {
        let all: Vec<String> = [2, 3, 4, 11, 12, 21, 22, 103].map(ordinal).to_vec();
        assert_eq!(
            all,
            ["2nd", "3rd", "4th", "11th", "12th", "21st", "22nd", "103rd"]
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
