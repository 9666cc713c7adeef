//! The transcript's window onto its cells: how far it is scrolled up from the bottom (0 follows
//! new output), the size of the last frame, and which cell each drawn row shows. The cells live
//! in [`super::Transcript`]; this is only where the user is looking, so scrolling can change
//! without touching the content and the content can grow without knowing about scrolling.

/// Where the transcript is scrolled to, and what the last frame showed.
#[derive(Debug, Clone)]
pub struct Viewport {
    /// Rows scrolled up from the bottom; 0 follows new output.
    scroll: usize,
    /// Width and height of the last frame, for page sizes and keeping a scrolled view still.
    width: u16,
    height: u16,
    /// Screen rows of the cells drawn last: `(cell, first row, rows)`, for mouse clicks.
    drawn: Vec<(usize, u16, u16)>,
}

impl Default for Viewport {
    /// A conventional terminal size until the first frame says otherwise.
    fn default() -> Self {
        Viewport {
            scroll: 0,
            width: 80,
            height: 20,
            drawn: Vec::new(),
        }
    }
}

impl Viewport {
    pub fn scroll_up(&mut self, rows: usize) {
        self.scroll += rows;
    }

    pub fn scroll_down(&mut self, rows: usize) {
        self.scroll = self.scroll.saturating_sub(rows);
    }

    /// Rows one Page Up or Page Down moves: the last frame less two rows kept for context.
    pub fn page(&self) -> usize {
        usize::from(self.height.saturating_sub(2)).max(1)
    }

    pub fn scroll_to_bottom(&mut self) {
        self.scroll = 0;
    }

    pub fn is_following(&self) -> bool {
        self.scroll == 0
    }

    pub(super) fn scroll(&self) -> usize {
        self.scroll
    }

    pub(super) fn width(&self) -> u16 {
        self.width
    }

    /// The content below the view went from `before` to `after` rows: a scrolled-up view moves
    /// with it, so what the user reads stays still.
    pub(super) fn keep_still(&mut self, before: usize, after: usize) {
        if self.scroll > 0 {
            self.scroll = (self.scroll + after).saturating_sub(before);
        }
    }

    /// Scrolls so that a cell `rows` high with `below` rows of content under it is on screen.
    pub(super) fn reveal(&mut self, below: usize, rows: usize) {
        let view = usize::from(self.height);
        if below < self.scroll {
            self.scroll = below;
        } else if below + rows > self.scroll + view {
            self.scroll = (below + rows).saturating_sub(view);
        }
    }

    /// All the content is `total` rows: a view of `view` rows cannot scroll past its top.
    pub(super) fn clamp(&mut self, total: usize, view: usize) {
        self.scroll = total.saturating_sub(view);
    }

    /// A new frame of `width` × `height`: its size is kept and the drawn rows start over.
    pub(super) fn start_frame(&mut self, width: u16, height: u16) {
        self.width = width.max(1);
        self.height = height;
        self.drawn.clear();
    }

    pub(super) fn drew(&mut self, cell: usize, top: u16, rows: u16) {
        self.drawn.push((cell, top, rows));
    }

    /// The cell drawn at screen row `y` of the last frame.
    pub(super) fn cell_at(&self, y: u16) -> Option<usize> {
        self.drawn
            .iter()
            .find(|(_, top, rows)| y >= *top && y < top + rows)
            .map(|(i, _, _)| *i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scrolled_up_view_moves_with_content_added_below() {
        let mut v = Viewport::default();
        v.keep_still(3, 5);
        assert!(v.is_following(), "a following view stays at the bottom");
        v.scroll_up(4);
        v.keep_still(3, 5);
        assert_eq!(v.scroll(), 6);
    }

    #[test]
    fn reveal_scrolls_just_enough_to_show_the_cell() {
        let mut v = Viewport::default();
        v.start_frame(80, 10);
        v.reveal(20, 3);
        assert_eq!(v.scroll(), 13, "the cell's top row is the view's top row");
        v.reveal(5, 2);
        assert_eq!(
            v.scroll(),
            5,
            "the cell's bottom row is the view's bottom row"
        );
    }

    #[test]
    fn a_click_finds_the_cell_drawn_on_its_row() {
        let mut v = Viewport::default();
        v.start_frame(80, 10);
        v.drew(4, 0, 3);
        v.drew(5, 3, 2);
        assert_eq!(v.cell_at(2), Some(4));
        assert_eq!(v.cell_at(3), Some(5));
        assert_eq!(v.cell_at(7), None);
    }
}
