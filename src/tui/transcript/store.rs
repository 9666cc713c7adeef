//! The transcript's content: its cells in order, the tool calls by id, and how the engine's
//! events change them (streamed text and reasoning confirmed or taken back, tool results filled
//! in). It knows nothing of rows or scrolling; [`super::Transcript::edit`] wraps every change
//! that can grow the bottom so a scrolled-up view stays still.

use super::super::theme::Theme;
use super::{Cell, CellKind, Level, MarkdownStream, ReasoningCell, ToolCell};
use std::collections::HashMap;

/// The cells of a transcript, oldest first. Reads go through the slice it derefs to.
pub struct CellStore {
    cells: Vec<Cell>,
    theme: Theme,
    by_call: HashMap<String, usize>,
    /// Every reasoning cell expanded (Ctrl+T, `/reasoning`); collapsed by default.
    show_reasoning: bool,
}

impl std::ops::Deref for CellStore {
    type Target = [Cell];

    fn deref(&self) -> &[Cell] {
        &self.cells
    }
}

impl CellStore {
    pub fn new(theme: Theme) -> Self {
        CellStore {
            cells: Vec::new(),
            theme,
            by_call: HashMap::new(),
            show_reasoning: false,
        }
    }

    /// The cells to lay out and draw (their row caches change as they are drawn).
    pub(super) fn cells_mut(&mut self) -> &mut [Cell] {
        &mut self.cells
    }

    pub(super) fn clear(&mut self) {
        self.cells.clear();
        self.by_call.clear();
    }

    pub fn push(&mut self, kind: CellKind) {
        self.cells.push(Cell::new(kind));
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
        match self.open_message() {
            Some(md) => md.push(text, &theme),
            None => self.push(CellKind::Assistant {
                md: MarkdownStream::new(text, &theme),
                confirmed: false,
            }),
        }
    }

    /// The complete assistant message: confirms what streamed (or adds it if nothing did).
    pub fn assistant_message(&mut self, text: &str) {
        let theme = self.theme;
        if let Some(md) = self.open_message() {
            if md.text() != text {
                md.replace(text, &theme);
            }
            md.finish(&theme);
        } else {
            let mut md = MarkdownStream::new(text, &theme);
            md.finish(&theme);
            self.push(CellKind::Assistant {
                md,
                confirmed: true,
            });
            return;
        }
        self.confirm_last();
    }

    /// Marks the last cell's message confirmed, if it is one.
    fn confirm_last(&mut self) {
        if let Some(CellKind::Assistant { confirmed, .. }) =
            self.cells.last_mut().map(|c| &mut c.kind)
        {
            *confirmed = true;
        }
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
        if let Some(r) = self.open_reasoning() {
            r.text.push_str(text);
        } else {
            let mut r = ReasoningCell::streaming(text);
            r.show_all = show_all;
            self.push(CellKind::Reasoning(r));
        }
        if let Some(c) = self.cells.last_mut() {
            c.invalidate();
        }
    }

    /// A request's whole reasoning, once it finished: closes the cell that streamed it (the
    /// answer's text may have streamed after it), or adds one when nothing streamed.
    pub fn reasoning(&mut self, text: &str) {
        let open = self
            .cells
            .iter()
            .rposition(|c| matches!(&c.kind, CellKind::Reasoning(r) if !r.done))
            .filter(|&i| {
                self.cells[i + 1..]
                    .iter()
                    .all(|c| matches!(c.kind, CellKind::Assistant { .. }))
            });
        let Some(i) = open else {
            let mut r = ReasoningCell::finished(text);
            r.show_all = self.show_reasoning;
            // Before the answer that streamed in the same request, if one did.
            let at = match self.cells.last().map(|c| &c.kind) {
                Some(CellKind::Assistant {
                    confirmed: false, ..
                }) => self.cells.len() - 1,
                _ => self.cells.len(),
            };
            self.cells.insert(at, Cell::new(CellKind::Reasoning(r)));
            return;
        };
        if let CellKind::Reasoning(r) = &mut self.cells[i].kind {
            r.text = text.to_string();
            r.done = true;
        }
        self.cells[i].invalidate();
    }

    /// Expands or collapses every reasoning cell; returns whether they are now shown.
    pub(super) fn toggle_reasoning(&mut self) -> bool {
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
    pub(super) fn settle(&mut self) {
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
        self.confirm_last();
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
        if let Some(cell) = self.cells.get_mut(i) {
            if let CellKind::Tool(tool) = &mut cell.kind {
                change(tool);
            }
            cell.invalidate();
        }
    }

    /// Expands or collapses cell `i` if it is a tool call or reasoning.
    pub(super) fn fold(&mut self, i: usize) {
        if let Some(cell) = self.cells.get_mut(i) {
            match &mut cell.kind {
                CellKind::Tool(tool) => tool.expanded = !tool.expanded,
                CellKind::Reasoning(r) => r.expanded = !r.expanded,
                _ => return,
            }
            cell.invalidate();
        }
    }
}
