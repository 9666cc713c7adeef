//! The transcript: user messages, streamed assistant Markdown, tool calls and notes. It is drawn
//! from the bottom up and stops at the top of the screen, so only visible cells are laid out and a
//! 2,000-message session costs what a 20-message one does. Scrolling is counted in rows up from
//! the bottom; 0 follows the bottom as new text arrives.

mod cell;
mod reasoning;
mod stream;
mod tool;
mod viewport;

pub use cell::{Cell, CellKind, Level};
pub use reasoning::ReasoningCell;
pub use stream::MarkdownStream;
pub use tool::ToolCell;
pub use viewport::Viewport;

use super::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::collections::HashMap;

pub struct Transcript {
    cells: Vec<Cell>,
    theme: Theme,
    /// Where the user is looking: scrolling, the last frame's size and rows.
    pub view: Viewport,
    /// The tool cell picked for expanding (transcript focus).
    selected: Option<usize>,
    by_call: HashMap<String, usize>,
    /// Every reasoning cell expanded (Ctrl+T, `/reasoning`); collapsed by default.
    show_reasoning: bool,
}

impl Transcript {
    pub fn new(theme: Theme) -> Self {
        Transcript {
            cells: Vec::new(),
            theme,
            view: Viewport::default(),
            selected: None,
            by_call: HashMap::new(),
            show_reasoning: false,
        }
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    pub fn clear(&mut self) {
        self.cells.clear();
        self.by_call.clear();
        self.view.scroll_to_bottom();
        self.selected = None;
    }

    /// Applies a change at the bottom, keeping a scrolled-up view where it is.
    fn grow(&mut self, change: impl FnOnce(&mut Self)) {
        if self.view.is_following() {
            change(self);
            return;
        }
        let from = self.cells.len().saturating_sub(1);
        let before = self.rows_from(from);
        change(self);
        let after = self.rows_from(from);
        self.view.keep_still(before, after);
    }

    fn rows_from(&mut self, from: usize) -> usize {
        (from..self.cells.len()).map(|i| self.cell_height(i)).sum()
    }

    pub fn push(&mut self, kind: CellKind) {
        self.grow(|t| t.cells.push(Cell::new(kind)));
    }

    pub fn push_user(&mut self, text: &str) {
        self.push(CellKind::User(text.to_string()));
    }

    pub fn push_note(&mut self, level: Level, text: impl Into<String>) {
        self.push(CellKind::Note {
            level,
            text: text.into(),
        });
    }

    /// The streaming assistant message, if the last cell is one.
    fn open_message(&mut self) -> Option<&mut MarkdownStream> {
        match self.cells.last_mut().map(|c| &mut c.kind) {
            Some(CellKind::Assistant {
                md,
                confirmed: false,
            }) => Some(md),
            _ => None,
        }
    }

    pub fn text_delta(&mut self, text: &str) {
        let theme = self.theme;
        self.grow(|t| match t.open_message() {
            Some(md) => md.push(text, &theme),
            None => t.cells.push(Cell::new(CellKind::Assistant {
                md: MarkdownStream::new(text, &theme),
                confirmed: false,
            })),
        });
    }

    /// The complete assistant message: confirms what streamed (or adds it if nothing did).
    pub fn assistant_message(&mut self, text: &str) {
        let theme = self.theme;
        self.grow(|t| {
            if let Some(md) = t.open_message() {
                if md.text() != text {
                    md.replace(text, &theme);
                }
                md.finish(&theme);
            } else {
                let mut md = MarkdownStream::new(text, &theme);
                md.finish(&theme);
                t.cells.push(Cell::new(CellKind::Assistant {
                    md,
                    confirmed: true,
                }));
                return;
            }
            if let Some(CellKind::Assistant { confirmed, .. }) =
                t.cells.last_mut().map(|c| &mut c.kind)
            {
                *confirmed = true;
            }
        });
    }

    /// Takes back streamed text no message confirmed (a retried request, a compaction summary).
    pub fn discard_unconfirmed(&mut self) {
        if self.open_message().is_some() {
            self.cells.pop();
        }
        if self.open_reasoning().is_some() {
            self.cells.pop();
        }
    }

    /// The streaming reasoning, if the last cell is one.
    fn open_reasoning(&mut self) -> Option<&mut ReasoningCell> {
        match self.cells.last_mut().map(|c| &mut c.kind) {
            Some(CellKind::Reasoning(r)) if !r.done => Some(r),
            _ => None,
        }
    }

    /// Streamed reasoning: grows the open reasoning cell, or starts one.
    pub fn reasoning_delta(&mut self, text: &str) {
        let show_all = self.show_reasoning;
        self.grow(|t| {
            if let Some(r) = t.open_reasoning() {
                r.text.push_str(text);
            } else {
                let mut r = ReasoningCell::streaming(text);
                r.show_all = show_all;
                t.cells.push(Cell::new(CellKind::Reasoning(r)));
            }
            if let Some(c) = t.cells.last_mut() {
                c.invalidate();
            }
        });
    }

    /// A request's whole reasoning, once it finished: closes the cell that streamed it (the
    /// answer's text may have streamed after it), or adds one when nothing streamed.
    pub fn reasoning(&mut self, text: &str) {
        let show_all = self.show_reasoning;
        self.grow(|t| {
            let open = t
                .cells
                .iter()
                .rposition(|c| matches!(&c.kind, CellKind::Reasoning(r) if !r.done))
                .filter(|&i| {
                    t.cells[i + 1..]
                        .iter()
                        .all(|c| matches!(c.kind, CellKind::Assistant { .. }))
                });
            match open {
                Some(i) => {
                    if let CellKind::Reasoning(r) = &mut t.cells[i].kind {
                        r.text = text.to_string();
                        r.done = true;
                    }
                    t.cells[i].invalidate();
                }
                None => {
                    let mut r = ReasoningCell::finished(text);
                    r.show_all = show_all;
                    // Before the answer that streamed in the same request, if one did.
                    let at = match t.cells.last().map(|c| &c.kind) {
                        Some(CellKind::Assistant {
                            confirmed: false, ..
                        }) => t.cells.len() - 1,
                        _ => t.cells.len(),
                    };
                    t.cells.insert(at, Cell::new(CellKind::Reasoning(r)));
                }
            }
        });
    }

    /// Expands or collapses every reasoning cell; returns whether they are now shown.
    pub fn toggle_reasoning(&mut self) -> bool {
        self.show_reasoning = !self.show_reasoning;
        let show = self.show_reasoning;
        for cell in &mut self.cells {
            if let CellKind::Reasoning(r) = &mut cell.kind {
                r.show_all = show;
                cell.invalidate();
            }
        }
        show
    }

    /// Marks the open streaming message complete as it stands (an interrupted turn).
    pub fn settle(&mut self) {
        let theme = self.theme;
        for cell in &mut self.cells {
            if let CellKind::Reasoning(r) = &mut cell.kind {
                if !r.done {
                    r.done = true;
                    cell.invalidate();
                }
            }
        }
        if let Some(md) = self.open_message() {
            md.finish(&theme);
        }
        if let Some(CellKind::Assistant { confirmed, .. }) =
            self.cells.last_mut().map(|c| &mut c.kind)
        {
            *confirmed = true;
        }
    }

    /// The assistant's text just before the tool call `call_id` (other calls of the same step
    /// skipped), or before the end when the call is not shown: what the model said it was about
    /// to do, for the approval modal.
    pub fn explanation_for(&self, call_id: &str) -> Option<String> {
        let end = self
            .by_call
            .get(call_id)
            .copied()
            .unwrap_or(self.cells.len());
        for cell in self.cells[..end.min(self.cells.len())].iter().rev() {
            match &cell.kind {
                CellKind::Tool(_) => continue,
                CellKind::Assistant { md, .. } => return Some(md.text().to_string()),
                _ => return None,
            }
        }
        None
    }

    pub fn tool_call(&mut self, call_id: &str, name: &str, args: serde_json::Value) {
        self.by_call.insert(call_id.to_string(), self.cells.len());
        self.push(CellKind::Tool(ToolCell::new(call_id, name, args)));
    }

    /// Updates the tool cell of `call_id`.
    pub fn update_tool(&mut self, call_id: &str, change: impl FnOnce(&mut ToolCell)) {
        let Some(&i) = self.by_call.get(call_id) else {
            return;
        };
        self.grow(|t| {
            if let Some(cell) = t.cells.get_mut(i) {
                if let CellKind::Tool(tool) = &mut cell.kind {
                    change(tool);
                }
                cell.invalidate();
            }
        });
    }

    // ----- selection ---------------------------------------------------------------------------

    pub fn selected(&self) -> Option<usize> {
        self.selected
    }

    /// Selects the previous (`back`) or next tool or reasoning cell; starts from the bottom.
    pub fn select_step(&mut self, back: bool) {
        let tools: Vec<usize> = (0..self.cells.len())
            .filter(|&i| self.cells[i].is_foldable())
            .collect();
        let next = match (self.selected, back) {
            (None, _) => tools.last().copied(),
            (Some(s), true) => tools.iter().rev().find(|&&i| i < s).copied().or(Some(s)),
            (Some(s), false) => tools.iter().find(|&&i| i > s).copied().or(Some(s)),
        };
        self.selected = next;
        if let Some(i) = next {
            self.reveal(i);
        }
    }

    pub fn clear_selection(&mut self) {
        self.selected = None;
    }

    /// Expands or collapses the selected tool or reasoning cell.
    pub fn toggle_selected(&mut self) {
        if let Some(i) = self.selected {
            self.toggle(i);
        }
    }

    fn toggle(&mut self, i: usize) {
        if let Some(cell) = self.cells.get_mut(i) {
            match &mut cell.kind {
                CellKind::Tool(tool) => tool.expanded = !tool.expanded,
                CellKind::Reasoning(r) => r.expanded = !r.expanded,
                _ => return,
            }
            cell.invalidate();
        }
    }

    /// A click on screen row `y` (relative to the transcript's area) toggles the tool or
    /// reasoning cell there.
    pub fn click(&mut self, y: u16) {
        if let Some(i) = self
            .view
            .cell_at(y)
            .filter(|&i| self.cells[i].is_foldable())
        {
            self.selected = Some(i);
            self.toggle(i);
        }
    }

    /// Scrolls so cell `i` is on screen.
    fn reveal(&mut self, i: usize) {
        let below = self.rows_from(i + 1);
        let h = self.cell_height(i);
        self.view.reveal(below, h);
    }

    // ----- layout and drawing ------------------------------------------------------------------

    /// Blank rows above cell `i`: none at the top and between consecutive tool calls.
    fn gap(&self, i: usize) -> usize {
        if i == 0 || (self.cells[i].is_tool() && self.cells[i - 1].is_tool()) {
            0
        } else {
            1
        }
    }

    fn cell_height(&mut self, i: usize) -> usize {
        let gap = self.gap(i);
        let (w, theme) = (self.view.width(), self.theme);
        self.cells[i].height(w, &theme) + gap
    }

    pub fn render(&mut self, area: Rect, buf: &mut Buffer) {
        self.view.start_frame(area.width, area.height);
        if area.height == 0 {
            return;
        }
        let view = usize::from(area.height);
        let visible = self.visible(view);
        for (i, skip, top, rows) in visible {
            self.draw_cell(
                i,
                skip,
                rows,
                Rect {
                    y: area.y + top,
                    height: rows,
                    ..area
                },
                buf,
            );
            self.view.drew(i, top, rows);
        }
    }

    /// Which cells show, from the bottom up: `(cell, rows skipped at its top, screen row, rows)`.
    /// Clamps the scroll when it passes the top.
    fn visible(&mut self, view: usize) -> Vec<(usize, usize, u16, u16)> {
        let mut spans = Vec::new();
        let mut below = 0usize;
        let mut i = self.cells.len();
        while i > 0 && below < self.view.scroll() + view {
            i -= 1;
            let h = self.cell_height(i);
            spans.push((i, below, h));
            below += h;
        }
        if i == 0 && below < self.view.scroll() + view {
            self.view.clamp(below, view);
        }
        // Content shorter than the screen sits at the top.
        let shift = view.saturating_sub(below);
        let bottom = view + self.view.scroll();
        let mut out = Vec::new();
        for (i, below_i, h) in spans.into_iter().rev() {
            let top = bottom as isize - (below_i + h) as isize - shift as isize;
            let top_vis = top.max(0) as usize;
            let end = (top + h as isize).min(view as isize);
            if end <= top_vis as isize {
                continue;
            }
            let skip = (top_vis as isize - top) as usize;
            out.push((i, skip, top_vis as u16, (end - top_vis as isize) as u16));
        }
        out
    }

    fn draw_cell(&mut self, i: usize, skip: usize, rows: u16, area: Rect, buf: &mut Buffer) {
        let gap = self.gap(i);
        let selected = self.selected == Some(i);
        let theme = self.theme;
        let (a, b) = self.cells[i].rows(area.width, &theme);
        let lines = std::iter::repeat_n(None, gap)
            .chain(a.iter().chain(b).map(Some))
            .skip(skip)
            .take(usize::from(rows));
        for (n, line) in lines.enumerate() {
            let y = area.y + n as u16;
            if let Some(line) = line {
                buf.set_line(area.x, y, line, area.width);
            }
            let first_row = n + skip == gap;
            if selected && first_row {
                let row = Rect {
                    y,
                    height: 1,
                    ..area
                };
                buf.set_style(row, theme.selected);
            }
        }
    }

    /// The text of every visible row, for tests.
    pub fn plain_rows(&mut self, width: u16, height: u16) -> Vec<String> {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
        self.render(buf.area, &mut buf);
        (0..height)
            .map(|y| {
                (0..width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }
}
