//! Pickers: a list in a box, filtered as you type (fuzzy, like the `@` finder), ↑↓ to move,
//! Enter to choose, Esc to close. `/resume` picks one of this workspace's sessions, `/model` one
//! of the configured models.

use super::fuzzy::rank;
use super::theme::Theme;
use super::wrap::truncate;
use crate::frontend::timestamp;
use crate::store::sessions::SessionInfo;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// What the choice is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickKind {
    Session,
    Model,
    /// What `/review` reviews: `uncommitted`, `base BRANCH` or `commit SHA`.
    ReviewScope,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerAction {
    None,
    Close,
    Pick(PickKind, String),
}

/// One row: `meta` (dim, fixed width) then `label`; typing filters on both; `value` is returned.
#[derive(Debug, Clone)]
pub struct PickItem {
    pub meta: String,
    pub label: String,
    pub value: String,
}

pub struct Picker {
    kind: PickKind,
    title: String,
    empty: String,
    items: Vec<PickItem>,
    /// What is searched, per item.
    haystacks: Vec<String>,
    query: String,
    /// Indexes of the items matching the query, best first.
    shown: Vec<usize>,
    selected: usize,
}

impl Picker {
    pub fn new(kind: PickKind, title: &str, empty: &str, items: Vec<PickItem>) -> Self {
        let haystacks = items
            .iter()
            .map(|i| format!("{} {}", i.label, i.meta))
            .collect();
        let mut p = Picker {
            kind,
            title: title.to_string(),
            empty: empty.to_string(),
            items,
            haystacks,
            query: String::new(),
            shown: Vec::new(),
            selected: 0,
        };
        p.filter();
        p
    }

    /// This workspace's sessions, newest first.
    pub fn sessions(sessions: &[SessionInfo]) -> Self {
        let items = sessions
            .iter()
            .map(|s| {
                let cost = s.cost_usd.map_or("-".to_string(), |c| format!("${c:.4}"));
                PickItem {
                    meta: format!(
                        "{}  {:>3} steps {:>9}  ",
                        timestamp(s.started_at),
                        s.steps,
                        cost
                    ),
                    label: s.prompt.lines().next().unwrap_or("").to_string(),
                    value: s.id.clone(),
                }
            })
            .collect();
        Picker::new(
            PickKind::Session,
            " resume a session (type to filter · Enter · Esc) ",
            "no sessions in this workspace",
            items,
        )
    }

    /// The configured models, the current one marked and selected.
    pub fn models(models: &[String], current: &str) -> Self {
        let items = models
            .iter()
            .map(|m| PickItem {
                meta: if m == current { "● " } else { "  " }.to_string(),
                label: m.clone(),
                value: m.clone(),
            })
            .collect();
        let mut p = Picker::new(
            PickKind::Model,
            " switch model (type to filter · Enter · Esc) ",
            "no [models.*] configured; /model PROVIDER/MODEL-ID switches anyway",
            items,
        );
        if let Some(i) = p.shown.iter().position(|&i| models[i] == current) {
            p.selected = i;
        }
        p
    }

    /// The scopes `/review` offers: the work tree's changes, the branch since it left
    /// `base` (the default branch, when one is known), and the last commit.
    pub fn review_scopes(base: Option<&str>) -> Self {
        let mut items = vec![PickItem {
            meta: "uncommitted  ".into(),
            label: "staged, unstaged and untracked changes".into(),
            value: "uncommitted".into(),
        }];
        if let Some(b) = base {
            items.push(PickItem {
                meta: "base         ".into(),
                label: format!("the commits since this branch left {b}"),
                value: format!("base {b}"),
            });
        }
        items.push(PickItem {
            meta: "commit       ".into(),
            label: "the last commit (HEAD)".into(),
            value: "commit HEAD".into(),
        });
        Picker::new(
            PickKind::ReviewScope,
            " review what? (type to filter · Enter · Esc; /review base BRANCH or commit SHA for others) ",
            "nothing to review",
            items,
        )
    }

    pub fn query(&self) -> &str {
        &self.query
    }

    fn filter(&mut self) {
        self.shown = rank(&self.query, &self.haystacks, false, usize::MAX);
        self.selected = 0;
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> PickerAction {
        let n = self.shown.len();
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return PickerAction::Close,
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Char('p') if ctrl => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down if self.selected + 1 < n => self.selected += 1,
            KeyCode::Char('n') if ctrl && self.selected + 1 < n => self.selected += 1,
            KeyCode::Enter => {
                return match self.shown.get(self.selected) {
                    Some(&i) => PickerAction::Pick(self.kind, self.items[i].value.clone()),
                    None => PickerAction::Close,
                };
            }
            KeyCode::Backspace => {
                self.query.pop();
                self.filter();
            }
            KeyCode::Char('u') if ctrl => {
                self.query.clear();
                self.filter();
            }
            KeyCode::Char(c) if !ctrl => {
                self.query.push(c);
                self.filter();
            }
            _ => {}
        }
        PickerAction::None
    }

    /// A paste filters like typing.
    pub fn paste(&mut self, text: &str) {
        self.query.push_str(&text.replace(['\r', '\n'], " "));
        self.filter();
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let width = area.width.saturating_sub(4).clamp(20, 110).min(area.width);
        let height = (self.items.len() as u16 + 4).clamp(5, area.height.saturating_sub(2).max(5));
        let inner = super::modal::frame(
            area,
            (width, height),
            theme.border,
            self.title.clone(),
            theme,
            buf,
        );
        if inner.height == 0 {
            return;
        }
        let filter = Line::from(vec![
            Span::styled("› ", theme.user),
            Span::raw(self.query.clone()),
            Span::styled("█", theme.dim),
        ]);
        buf.set_line(inner.x, inner.y, &filter, inner.width);
        let list = Rect {
            y: inner.y + 1,
            height: inner.height - 1,
            ..inner
        };
        if self.shown.is_empty() {
            let text = if self.items.is_empty() {
                self.empty.as_str()
            } else {
                "nothing matches"
            };
            buf.set_line(list.x, list.y, &Line::styled(text, theme.dim), list.width);
            return;
        }
        let rows = usize::from(list.height);
        let skip = self.selected.saturating_sub(rows.saturating_sub(1));
        for (n, (pos, &i)) in self
            .shown
            .iter()
            .enumerate()
            .skip(skip)
            .take(rows)
            .enumerate()
        {
            let y = list.y + n as u16;
            let item = &self.items[i];
            let room = usize::from(list.width).saturating_sub(item.meta.chars().count());
            let line = Line::from(vec![
                Span::styled(item.meta.clone(), theme.dim),
                Span::raw(truncate(&item.label, room)),
            ]);
            buf.set_line(list.x, y, &line, list.width);
            if pos == self.selected {
                buf.set_style(
                    Rect {
                        y,
                        height: 1,
                        ..list
                    },
                    theme.selected,
                );
            }
        }
    }
}

/// `/sessions`: one line per session.
pub fn listing(sessions: &[SessionInfo]) -> String {
    if sessions.is_empty() {
        return "no sessions in this workspace".to_string();
    }
    sessions
        .iter()
        .map(|s| {
            let cost = s.cost_usd.map_or("-".to_string(), |c| format!("${c:.4}"));
            format!(
                "{}  {}  {} steps  {cost}  {}  {}",
                s.id,
                timestamp(s.started_at),
                s.steps,
                s.status,
                truncate(s.prompt.lines().next().unwrap_or(""), 50)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn typing_filters_and_enter_picks_the_selected_match() {
        let models: Vec<String> = ["default", "fast", "claude-sonnet", "gpt-5-mini"]
            .map(String::from)
            .to_vec();
        let mut p = Picker::models(&models, "fast");
        assert_eq!(
            p.handle_key(key(KeyCode::Enter)),
            PickerAction::Pick(PickKind::Model, "fast".into()),
            "the current model is selected first"
        );
        for c in "sonn".chars() {
            p.handle_key(key(KeyCode::Char(c)));
        }
        assert_eq!(
            p.handle_key(key(KeyCode::Enter)),
            PickerAction::Pick(PickKind::Model, "claude-sonnet".into())
        );
        for c in "zzz".chars() {
            p.handle_key(key(KeyCode::Char(c)));
        }
        assert_eq!(p.handle_key(key(KeyCode::Enter)), PickerAction::Close);
        assert_eq!(p.handle_key(key(KeyCode::Esc)), PickerAction::Close);
    }
}
