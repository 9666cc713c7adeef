//! The completion list over the composer: slash commands after a leading `/`, workspace files
//! after an `@`, filtered fuzzily as the user types.

use super::commands::CommandInfo;
use super::fuzzy::{self, FileIndex};
use super::theme::Theme;
use super::wrap::truncate;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};

/// Rows of candidates shown at most.
const ROWS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Commands,
    Files,
}

/// What is being completed: the source and the text typed after `/` or `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub source: Source,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub label: String,
    pub detail: String,
    /// For commands: whether picking it with Enter runs it at once.
    pub runs_bare: bool,
}

pub struct Completion {
    pub query: Query,
    items: Vec<Candidate>,
    selected: usize,
    /// The file list was still being made: filter again once it is ready.
    pub pending: bool,
}

impl Completion {
    /// The candidates for `query`.
    pub fn new(query: Query, commands: &[CommandInfo], files: &FileIndex) -> Completion {
        let items = match query.source {
            Source::Commands => {
                let names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
                fuzzy::rank(&query.text, &names, false, 50)
                    .into_iter()
                    .map(|i| command_candidate(&commands[i]))
                    .collect()
            }
            Source::Files => match files.get() {
                Some(list) => fuzzy::rank(&query.text, list, true, 50)
                    .into_iter()
                    .map(|i| Candidate {
                        label: list[i].clone(),
                        detail: String::new(),
                        runs_bare: false,
                    })
                    .collect(),
                None => Vec::new(),
            },
        };
        let pending = query.source == Source::Files && files.get().is_none();
        Completion {
            query,
            items,
            selected: 0,
            pending,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn selected(&self) -> Option<&Candidate> {
        self.items.get(self.selected)
    }

    pub fn step(&mut self, back: bool) {
        let n = self.items.len();
        if n == 0 {
            return;
        }
        self.selected = if back {
            (self.selected + n - 1) % n
        } else {
            (self.selected + 1) % n
        };
    }

    /// Rows the popup takes, borders included.
    pub fn height(&self) -> u16 {
        (self.items.len().clamp(1, ROWS) + 2) as u16
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        Clear.render(area, buf);
        let title = match self.query.source {
            Source::Commands => " commands ",
            Source::Files => " files ",
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(title, theme.dim));
        let inner = block.inner(area);
        block.render(area, buf);
        if self.items.is_empty() {
            let msg = match self.query.source {
                Source::Files if self.pending => "listing files…",
                _ => "no match",
            };
            buf.set_line(inner.x, inner.y, &Line::styled(msg, theme.dim), inner.width);
            return;
        }
        let first = self.selected.saturating_sub(ROWS - 1);
        let shown = usize::from(inner.height);
        // Details start in one column.
        let column = self
            .items
            .iter()
            .skip(first)
            .take(shown)
            .map(|i| i.label.chars().count())
            .max()
            .unwrap_or(0);
        let rows = self.items.iter().enumerate().skip(first).take(shown);
        for (n, (i, item)) in rows.enumerate() {
            let y = inner.y + n as u16;
            let w = usize::from(inner.width);
            let label = truncate(&item.label, w);
            let label = format!("{label:<column$}");
            let detail_room = w.saturating_sub(label.chars().count() + 2);
            let mut spans = vec![Span::styled(label, theme.bold)];
            if detail_room > 4 && !item.detail.is_empty() {
                spans.push(Span::raw("  "));
                spans.push(Span::styled(truncate(&item.detail, detail_room), theme.dim));
            }
            buf.set_line(inner.x, y, &Line::from(spans), inner.width);
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

fn command_candidate(c: &CommandInfo) -> Candidate {
    let detail = if c.args.is_empty() {
        c.help.clone()
    } else {
        format!("{} — {}", c.args, c.help)
    };
    Candidate {
        label: format!("/{}", c.name),
        detail,
        runs_bare: c.runs_bare(),
    }
}
