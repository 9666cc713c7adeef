//! The transcript: user messages, streamed assistant Markdown, tool calls and notes. It is drawn
//! from the bottom up and stops at the top of the screen, so only visible cells are laid out and a
//! 2,000-message session costs what a 20-message one does. Scrolling is counted in rows up from
//! the bottom; 0 follows the bottom as new text arrives.
//!
//! Split by job: [`CellStore`] is the content and how events change it, [`Viewport`] where the
//! user is looking, [`Selection`] the picked cell, and `layout` the rows at a width. The
//! transcript ties them together: a change at the bottom keeps a scrolled-up view still, a
//! picked cell is scrolled into view.

mod cell;
mod layout;
mod reasoning;
mod selection;
mod store;
mod stream;
mod tool;
mod viewport;

pub use cell::{Cell, CellKind, Level};
pub use reasoning::ReasoningCell;
pub use selection::Selection;
pub use store::CellStore;
pub use stream::MarkdownStream;
pub use tool::ToolCell;
pub use viewport::Viewport;

use super::theme::Theme;
use layout::Layout;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

pub struct Transcript {
    cells: CellStore,
    theme: Theme,
    /// Where the user is looking: scrolling, the last frame's size and rows.
    pub view: Viewport,
    /// The tool cell picked for expanding (transcript focus).
    selection: Selection,
}

impl Transcript {
    pub fn new(theme: Theme) -> Self {
        Transcript {
            cells: CellStore::new(theme),
            theme,
            view: Viewport::default(),
            selection: Selection::default(),
        }
    }

    /// The content, to read: the cells (as a slice) and what the model said before a call.
    pub fn cells(&self) -> &CellStore {
        &self.cells
    }

    pub fn clear(&mut self) {
        self.cells.clear();
        self.view.scroll_to_bottom();
        self.selection.clear();
    }

    /// Applies a change to the content (an engine event), keeping a scrolled-up view where it
    /// is: what the change adds or grows at the bottom moves the scroll with it.
    pub fn edit<R>(&mut self, change: impl FnOnce(&mut CellStore) -> R) -> R {
        if self.view.is_following() {
            return change(&mut self.cells);
        }
        let from = self.cells.len().saturating_sub(1);
        let before = self.layout().rows_from(from);
        let out = change(&mut self.cells);
        let after = self.layout().rows_from(from);
        self.view.keep_still(before, after);
        out
    }

    pub fn push_user(&mut self, text: &str) {
        self.edit(|c| c.push_user(text));
    }

    pub fn push_note(&mut self, level: Level, text: impl Into<String>) {
        self.edit(|c| c.push_note(level, text));
    }

    /// Expands or collapses every reasoning cell; returns whether they are now shown.
    pub fn toggle_reasoning(&mut self) -> bool {
        self.cells.toggle_reasoning()
    }

    /// Marks the open streaming message complete as it stands (an interrupted turn).
    pub fn settle(&mut self) {
        self.cells.settle();
    }

    // ----- selection ---------------------------------------------------------------------------

    /// Selects the previous (`back`) or next tool or reasoning cell; starts from the bottom.
    pub fn select_step(&mut self, back: bool) {
        if let Some(i) = self.selection.step(&self.cells, back) {
            self.reveal(i);
        }
    }

    pub fn clear_selection(&mut self) {
        self.selection.clear();
    }

    /// Expands or collapses the selected tool or reasoning cell.
    pub fn toggle_selected(&mut self) {
        if let Some(i) = self.selection.get() {
            self.cells.fold(i);
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
            self.selection.set(i);
            self.cells.fold(i);
        }
    }

    /// Scrolls so cell `i` is on screen.
    fn reveal(&mut self, i: usize) {
        let mut layout = self.layout();
        let below = layout.rows_from(i + 1);
        let h = layout.height(i);
        self.view.reveal(below, h);
    }

    // ----- layout and drawing ------------------------------------------------------------------

    /// The cells laid out at the last frame's width.
    fn layout(&mut self) -> Layout<'_> {
        Layout::new(self.cells.cells_mut(), self.view.width(), self.theme)
    }

    pub fn render(&mut self, area: Rect, buf: &mut Buffer) {
        self.view.start_frame(area.width, area.height);
        if area.height == 0 {
            return;
        }
        let selected = self.selection.get();
        let mut layout = Layout::new(self.cells.cells_mut(), area.width, self.theme);
        for (i, skip, top, rows) in layout.visible(&mut self.view, usize::from(area.height)) {
            let at = Rect {
                y: area.y + top,
                height: rows,
                ..area
            };
            layout.draw((i, skip, rows), at, buf, selected == Some(i));
            self.view.drew(i, top, rows);
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
