//! The model's readable reasoning (an OpenAI summary, Claude's thinking text) in the transcript.
//! It is collapsed to one dim row by default — the answer and the tool calls are what a person
//! reads, and a long think would push them off screen — showing the latest line while it streams
//! and how long it was once done. Ctrl+T or `/reasoning` expands every reasoning cell; Enter on a
//! picked cell (Tab, then ↑↓) expands just that one.

use super::super::theme::Theme;
use super::super::wrap::{sanitize, truncate, wrap};
use ratatui::text::{Line, Span};

#[derive(Debug, Clone, Default)]
pub struct ReasoningCell {
    pub text: String,
    /// The request that produced it finished; no more text will arrive.
    pub done: bool,
    /// Expanded by the user, this cell alone.
    pub expanded: bool,
    /// Every reasoning cell is shown (Ctrl+T); the transcript sets it on each.
    pub show_all: bool,
}

/// The hint on a collapsed cell's row.
const HINT: &str = "Ctrl+T shows";

impl ReasoningCell {
    pub fn streaming(text: &str) -> Self {
        ReasoningCell {
            text: text.to_string(),
            ..ReasoningCell::default()
        }
    }

    pub fn finished(text: &str) -> Self {
        ReasoningCell {
            text: text.to_string(),
            done: true,
            ..ReasoningCell::default()
        }
    }

    /// The rows at `width`: one header row, then (expanded) the text, dim and indented.
    pub fn layout(&self, theme: &Theme, width: usize) -> Vec<Line<'static>> {
        let clean = sanitize(&self.text);
        let lines: Vec<&str> = clean.lines().filter(|l| !l.trim().is_empty()).collect();
        let mark = Span::styled("◦ ", theme.dim);
        if self.expanded || self.show_all {
            let head = if self.done {
                "reasoning"
            } else {
                "reasoning…"
            };
            let mut rows = vec![Line::from(vec![mark, Span::styled(head, theme.dim)])];
            for l in &lines {
                let line = Line::from(vec![
                    Span::raw("  "),
                    Span::styled(l.to_string(), theme.dim),
                ]);
                rows.extend(wrap(&line, 2, width));
            }
            return rows;
        }
        let head = if self.done {
            let n = lines.len();
            let s = if n == 1 { "" } else { "s" };
            format!("reasoning · {n} line{s} · {HINT}")
        } else {
            let last = lines.last().map_or("", |l| l.trim());
            format!("reasoning… {last}")
        };
        let shown = truncate(&head, width.saturating_sub(2));
        vec![Line::from(vec![mark, Span::styled(shown, theme.dim)])]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(c: &ReasoningCell, show_all: bool) -> Vec<String> {
        let c = ReasoningCell {
            show_all,
            ..c.clone()
        };
        c.layout(&Theme::plain(), 40)
            .iter()
            .map(|l| l.to_string())
            .collect()
    }

    #[test]
    fn collapsed_streaming_shows_the_latest_line_only() {
        let c = ReasoningCell::streaming("First I read the tests.\nThen the code.");
        assert_eq!(rows(&c, false), ["◦ reasoning… Then the code."]);
    }

    #[test]
    fn collapsed_done_counts_lines_and_says_how_to_open() {
        let c = ReasoningCell::finished("a\n\nb\nc");
        assert_eq!(rows(&c, false), ["◦ reasoning · 3 lines · Ctrl+T shows"]);
    }

    #[test]
    fn expanded_shows_every_line_indented() {
        let c = ReasoningCell::finished("a\n\nb");
        assert_eq!(rows(&c, true), ["◦ reasoning", "  a", "  b"]);
    }

    #[test]
    fn control_characters_in_reasoning_are_not_drawn() {
        let c = ReasoningCell::finished("x\u{1b}[2Jy");
        assert!(!rows(&c, true).concat().contains('\u{1b}'));
    }
}
