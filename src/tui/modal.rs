//! The frame of a modal box: centred over `area`, what was drawn under it cleared, a border in
//! the given style and a bold title. The approval question and the session picker draw in it.

use super::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Clear, Widget};

/// Draws the frame and returns the area inside the border.
pub fn frame(
    area: Rect,
    (width, height): (u16, u16),
    border: Style,
    title: String,
    theme: &Theme,
    buf: &mut Buffer,
) -> Rect {
    let rect = Rect {
        x: area.x + area.width.saturating_sub(width) / 2,
        y: area.y + area.height.saturating_sub(height) / 2,
        width: width.min(area.width),
        height: height.min(area.height),
    };
    Clear.render(rect, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(title, theme.bold));
    let inner = block.inner(rect);
    block.render(rect, buf);
    inner
}
