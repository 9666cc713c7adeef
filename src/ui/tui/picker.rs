//! The `/resume` picker: this workspace's sessions, newest first; Enter reopens one.

use super::theme::Theme;
use super::wrap::truncate;
use crate::store::sessions::SessionInfo;
use crate::ui::sessions_cmd::timestamp;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerAction {
    None,
    Close,
    Resume(String),
}

pub struct SessionPicker {
    sessions: Vec<SessionInfo>,
    selected: usize,
}

impl SessionPicker {
    pub fn new(sessions: Vec<SessionInfo>) -> Self {
        SessionPicker {
            sessions,
            selected: 0,
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> PickerAction {
        let n = self.sessions.len();
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => return PickerAction::Close,
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') if self.selected + 1 < n => self.selected += 1,
            KeyCode::Enter => {
                if let Some(s) = self.sessions.get(self.selected) {
                    return PickerAction::Resume(s.id.clone());
                }
                return PickerAction::Close;
            }
            _ => {}
        }
        PickerAction::None
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let width = area.width.saturating_sub(4).clamp(20, 110).min(area.width);
        let height =
            (self.sessions.len() as u16 + 3).clamp(4, area.height.saturating_sub(2).max(4));
        let rect = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + area.height.saturating_sub(height) / 2,
            width,
            height: height.min(area.height),
        };
        Clear.render(rect, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(" resume a session (Enter · Esc) ", theme.bold));
        let inner = block.inner(rect);
        block.render(rect, buf);
        if self.sessions.is_empty() {
            buf.set_line(
                inner.x,
                inner.y,
                &Line::styled("no sessions in this workspace", theme.dim),
                inner.width,
            );
            return;
        }
        let rows = usize::from(inner.height);
        let skip = self.selected.saturating_sub(rows.saturating_sub(1));
        for (n, (i, s)) in self
            .sessions
            .iter()
            .enumerate()
            .skip(skip)
            .take(rows)
            .enumerate()
        {
            let y = inner.y + n as u16;
            let line = row(s, usize::from(inner.width), theme);
            buf.set_line(inner.x, y, &line, inner.width);
            if i == self.selected {
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
}

fn row(s: &SessionInfo, width: usize, theme: &Theme) -> Line<'static> {
    let cost = s.cost_usd.map_or("-".to_string(), |c| format!("${c:.4}"));
    let meta = format!(
        "{}  {:>3} steps {:>9}  ",
        timestamp(s.started_at),
        s.steps,
        cost
    );
    let prompt = s.prompt.lines().next().unwrap_or("").to_string();
    let room = width.saturating_sub(meta.chars().count());
    Line::from(vec![
        Span::styled(meta, theme.dim),
        Span::raw(truncate(&prompt, room)),
    ])
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
