//! The transcript's geometry at one width: how many rows each cell takes with the blank row
//! above it, which rows of which cells a view scrolled up from the bottom shows, and drawing
//! them. Borrowed over the cells for one frame or one measurement, so the content
//! ([`super::CellStore`]) holds no screen state and the viewport ([`super::Viewport`]) no content.

use super::super::theme::Theme;
use super::{Cell, Viewport};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// What a frame shows of one cell: `(cell, rows skipped at its top, screen row, rows)`.
pub(super) type Shown = (usize, usize, u16, u16);

/// The cells laid out at one width.
pub(super) struct Layout<'a> {
    cells: &'a mut [Cell],
    width: u16,
    theme: Theme,
}

impl<'a> Layout<'a> {
    pub(super) fn new(cells: &'a mut [Cell], width: u16, theme: Theme) -> Self {
        Layout {
            cells,
            width,
            theme,
        }
    }

    /// Blank rows above cell `i`: none at the top and between consecutive tool calls.
    fn gap(&self, i: usize) -> usize {
        if i == 0 || (self.cells[i].is_tool() && self.cells[i - 1].is_tool()) {
            0
        } else {
            1
        }
    }

    /// Rows of cell `i`, its gap included.
    pub(super) fn height(&mut self, i: usize) -> usize {
        let gap = self.gap(i);
        self.cells[i].height(self.width, &self.theme) + gap
    }

    /// Rows of the cells from `from` to the end.
    pub(super) fn rows_from(&mut self, from: usize) -> usize {
        (from..self.cells.len()).map(|i| self.height(i)).sum()
    }

    /// Which cells a view of `rows` rows shows, from the bottom up, scrolled as `view` says.
    /// Clamps the scroll when it passes the top.
    pub(super) fn visible(&mut self, view: &mut Viewport, rows: usize) -> Vec<Shown> {
        let mut spans = Vec::new();
        let mut below = 0usize;
        let mut i = self.cells.len();
        while i > 0 && below < view.scroll() + rows {
            i -= 1;
            let h = self.height(i);
            spans.push((i, below, h));
            below += h;
        }
        if i == 0 && below < view.scroll() + rows {
            view.clamp(below, rows);
        }
        // Content shorter than the screen sits at the top.
        let shift = rows.saturating_sub(below);
        let bottom = rows + view.scroll();
        let mut out = Vec::new();
        for (i, below_i, h) in spans.into_iter().rev() {
            let top = bottom as isize - (below_i + h) as isize - shift as isize;
            let top_vis = top.max(0) as usize;
            let end = (top + h as isize).min(rows as isize);
            if end <= top_vis as isize {
                continue;
            }
            let skip = (top_vis as isize - top) as usize;
            out.push((i, skip, top_vis as u16, (end - top_vis as isize) as u16));
        }
        out
    }

    /// Draws `rows` rows of cell `i` from its row `skip` into `area`; a `selected` cell has its
    /// first row highlighted.
    pub(super) fn draw(
        &mut self,
        (i, skip, rows): (usize, usize, u16),
        area: Rect,
        buf: &mut Buffer,
        selected: bool,
    ) {
        let gap = self.gap(i);
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
}
