//! One entry of the transcript and its wrapped rows, cached per width: a frame only wraps what
//! changed since the last one.

use super::super::theme::Theme;
use super::super::wrap::{sanitize, wrap, wrap_all, Logical};
use super::reasoning::ReasoningCell;
use super::stream::MarkdownStream;
use super::tool::ToolCell;
use ratatui::text::{Line, Span};

/// How loud a note is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

pub enum CellKind {
    User(String),
    /// `confirmed` once the final `message` event arrived; until then a retry or a compaction
    /// summary may take the streamed text back.
    Assistant {
        md: MarkdownStream,
        confirmed: bool,
    },
    Tool(ToolCell),
    /// The model's readable reasoning, collapsed unless shown.
    Reasoning(ReasoningCell),
    Note {
        level: Level,
        text: String,
    },
}

pub struct Cell {
    pub kind: CellKind,
    cache: Option<(u16, Vec<Line<'static>>)>,
}

impl Cell {
    pub fn new(kind: CellKind) -> Cell {
        Cell { kind, cache: None }
    }

    /// Drops the cached rows after a change.
    pub fn invalidate(&mut self) {
        self.cache = None;
    }

    pub fn is_tool(&self) -> bool {
        matches!(self.kind, CellKind::Tool(_))
    }

    /// A cell that expands and collapses: a tool call or reasoning.
    pub fn is_foldable(&self) -> bool {
        matches!(self.kind, CellKind::Tool(_) | CellKind::Reasoning(_))
    }

    /// The wrapped rows at `width`, in two parts (a streaming message's finished blocks and its
    /// open tail) so neither is copied per frame.
    pub fn rows(&mut self, width: u16, theme: &Theme) -> (&[Line<'static>], &[Line<'static>]) {
        let streams = matches!(self.kind, CellKind::Assistant { .. });
        if !streams && self.cache.as_ref().is_none_or(|(w, _)| *w != width) {
            let rows = self.layout(width, theme);
            self.cache = Some((width, rows));
        }
        match (&mut self.kind, &self.cache) {
            (CellKind::Assistant { md, .. }, _) => md.rows(width, theme),
            (_, Some((_, rows))) => (rows, &[]),
            _ => (&[], &[]),
        }
    }

    pub fn height(&mut self, width: u16, theme: &Theme) -> usize {
        let (a, b) = self.rows(width, theme);
        a.len() + b.len()
    }

    fn layout(&self, width: u16, theme: &Theme) -> Vec<Line<'static>> {
        let w = usize::from(width);
        match &self.kind {
            CellKind::User(text) => {
                prefixed_text("› ", theme.user, text, ratatui::style::Style::new(), w)
            }
            CellKind::Tool(tool) => {
                let mut rows = vec![tool.summary_row(theme, w)];
                if tool.expanded {
                    rows.extend(wrap_all(&tool.body(theme), w));
                }
                rows
            }
            CellKind::Reasoning(r) => r.layout(theme, w),
            CellKind::Note { level, text } => {
                let (mark, style) = match level {
                    Level::Info => ("  ", theme.dim),
                    Level::Warning => ("! ", theme.level.warning),
                    Level::Error => ("✗ ", theme.level.error),
                };
                prefixed_text(mark, style, text, style, w)
            }
            CellKind::Assistant { .. } => Vec::new(),
        }
    }
}

/// Text after a two-column marker on its first line, continuation lines indented to match.
fn prefixed_text(
    mark: &'static str,
    mark_style: ratatui::style::Style,
    text: &str,
    style: ratatui::style::Style,
    width: usize,
) -> Vec<Line<'static>> {
    let mut rows = Vec::new();
    for (i, line) in sanitize(text).lines().enumerate() {
        let lead = if i == 0 { mark } else { "  " };
        let logical = Logical {
            line: Line::from(vec![
                Span::styled(lead, mark_style),
                Span::styled(line.to_string(), style),
            ]),
            hang: 2,
        };
        rows.extend(wrap(&logical.line, logical.hang, width));
    }
    if rows.is_empty() {
        rows.push(Line::from(Span::styled(mark, mark_style)));
    }
    rows
}
