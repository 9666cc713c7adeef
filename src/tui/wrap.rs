//! Display width, sanitising and word-wrapping of styled lines. The transcript wraps every cell
//! once per width and caches the result, so this is on the path of every new line but never of an
//! unchanged frame.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// A line before wrapping, with the indent its continuation rows get (list items, quotes).
#[derive(Debug, Clone, PartialEq)]
pub struct Logical {
    pub line: Line<'static>,
    pub hang: usize,
}

impl Logical {
    pub fn new(line: Line<'static>) -> Logical {
        Logical { line, hang: 0 }
    }

    pub fn styled(text: impl Into<String>, style: Style) -> Logical {
        Logical::new(Line::from(Span::styled(text.into(), style)))
    }

    pub fn blank() -> Logical {
        Logical::new(Line::default())
    }
}

/// Columns a character takes in a terminal.
pub fn char_width(c: char) -> usize {
    if c.is_ascii() {
        return usize::from(!c.is_ascii_control());
    }
    let mut buf = [0u8; 4];
    Span::raw(&*c.encode_utf8(&mut buf)).width()
}

/// Columns a string takes.
pub fn str_width(s: &str) -> usize {
    if s.is_ascii() {
        return s.bytes().filter(|b| !b.is_ascii_control()).count();
    }
    Span::raw(s).width()
}

/// Text as it may reach the screen: tabs become spaces, escape sequences (a command's colours) and
/// other control characters are dropped, because a raw ESC written into the frame would corrupt
/// the terminal's state.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push_str("    "),
            '\u{1b}' => skip_escape(&mut chars),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips a CSI (`ESC [ … final`) or OSC (`ESC ] … BEL/ST`) sequence, or the one char after ESC.
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => {
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
        Some(']') => {
            while let Some(c) = chars.next() {
                if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                    break;
                }
            }
        }
        _ => {}
    }
}

/// Cuts `s` to at most `width` columns, ending with `…` when it was cut.
pub fn truncate(s: &str, width: usize) -> String {
    if str_width(s) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// One piece of a line: a word or a run of spaces, in one style.
struct Token<'a> {
    text: &'a str,
    style: Style,
    width: usize,
    space: bool,
}

fn tokens<'a>(line: &'a Line<'_>) -> Vec<Token<'a>> {
    let mut out = Vec::new();
    for span in &line.spans {
        let style = line.style.patch(span.style);
        let s: &str = &span.content;
        let mut start = 0;
        let mut space = None;
        for (i, c) in s.char_indices() {
            let is_space = c == ' ';
            if space.is_some_and(|sp| sp != is_space) {
                out.push(token(&s[start..i], style));
                start = i;
            }
            space = Some(is_space);
        }
        if start < s.len() {
            out.push(token(&s[start..], style));
        }
    }
    out
}

fn token(text: &str, style: Style) -> Token<'_> {
    Token {
        text,
        style,
        width: str_width(text),
        space: text.starts_with(' '),
    }
}

/// Rows being filled by the wrapper.
struct Rows {
    rows: Vec<Line<'static>>,
    current: Vec<Span<'static>>,
    used: usize,
    width: usize,
    hang: usize,
}

impl Rows {
    fn push(&mut self, text: &str, style: Style, width: usize) {
        if let Some(last) = self.current.last_mut() {
            if last.style == style {
                last.content.to_mut().push_str(text);
                self.used += width;
                return;
            }
        }
        self.current.push(Span::styled(text.to_string(), style));
        self.used += width;
    }

    fn break_row(&mut self) {
        let spans = std::mem::take(&mut self.current);
        self.rows.push(Line::from(spans));
        self.used = 0;
        if self.hang > 0 {
            self.current.push(Span::raw(" ".repeat(self.hang)));
            self.used = self.hang;
        }
    }

    /// Places a word wider than a row, splitting it by characters.
    fn push_long(&mut self, tok: &Token<'_>) {
        let mut piece = String::new();
        let mut piece_w = 0;
        for c in tok.text.chars() {
            let w = char_width(c);
            if self.used + piece_w + w > self.width && (self.used + piece_w) > self.hang {
                self.push(&piece, tok.style, piece_w);
                piece.clear();
                piece_w = 0;
                self.break_row();
            }
            piece.push(c);
            piece_w += w;
        }
        self.push(&piece, tok.style, piece_w);
    }
}

/// Word-wraps `line` to `width` columns; continuation rows are indented by `hang`. Spaces at a
/// break are dropped; a word longer than a row is split.
pub fn wrap(line: &Line<'_>, hang: usize, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let hang = if hang * 2 > width { 0 } else { hang };
    let mut rows = Rows {
        rows: Vec::new(),
        current: Vec::new(),
        used: 0,
        width,
        hang,
    };
    for tok in tokens(line) {
        if rows.used + tok.width <= width {
            rows.push(tok.text, tok.style, tok.width);
        } else if tok.space {
            rows.break_row();
        } else if hang + tok.width <= width && rows.used > hang {
            trim_trailing_spaces(&mut rows);
            rows.break_row();
            rows.push(tok.text, tok.style, tok.width);
        } else {
            rows.push_long(&tok);
        }
    }
    let last = Line::from(std::mem::take(&mut rows.current));
    rows.rows.push(last);
    rows.rows
}

fn trim_trailing_spaces(rows: &mut Rows) {
    while let Some(last) = rows.current.last_mut() {
        let trimmed = last.content.trim_end_matches(' ').len();
        let removed = last.content.len() - trimmed;
        if removed == 0 {
            break;
        }
        last.content.to_mut().truncate(trimmed);
        rows.used -= removed;
        if last.content.is_empty() {
            rows.current.pop();
        } else {
            break;
        }
    }
}

/// Wraps many logical lines.
pub fn wrap_all(lines: &[Logical], width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        out.extend(wrap(&l.line, l.hang, width));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn wraps_at_word_boundaries_and_drops_the_break_space() {
        let rows = wrap(&Line::from("the quick brown fox jumps"), 0, 10);
        assert_eq!(texts(&rows), ["the quick", "brown fox", "jumps"]);
    }

    #[test]
    fn continuation_rows_get_the_hang() {
        let rows = wrap(&Line::from("• one two three four"), 2, 10);
        assert_eq!(texts(&rows), ["• one two", "  three", "  four"]);
    }

    #[test]
    fn splits_a_word_longer_than_the_row() {
        let rows = wrap(&Line::from("abcdefghijkl"), 0, 5);
        assert_eq!(texts(&rows), ["abcde", "fghij", "kl"]);
    }

    #[test]
    fn keeps_styles_across_spans() {
        let line = Line::from(vec![
            Span::raw("plain "),
            Span::styled("bold words", Style::new().bold()),
        ]);
        let rows = wrap(&line, 0, 11);
        assert_eq!(texts(&rows), ["plain bold", "words"]);
        assert_eq!(rows[1].spans[0].style, Style::new().bold());
    }

    #[test]
    fn wide_characters_count_twice() {
        assert_eq!(str_width("日本"), 4);
        let rows = wrap(&Line::from("日本語テキスト"), 0, 6);
        assert_eq!(texts(&rows), ["日本語", "テキス", "ト"]);
    }

    #[test]
    fn sanitize_drops_escape_sequences() {
        assert_eq!(sanitize("\u{1b}[31mred\u{1b}[0m\tx\u{7}\r\n"), "red    x\n");
        assert_eq!(sanitize("\u{1b}]0;title\u{7}ok"), "ok");
    }

    #[test]
    fn truncate_marks_the_cut() {
        assert_eq!(truncate("hello world", 8), "hello w…");
        assert_eq!(truncate("short", 8), "short");
    }
}
