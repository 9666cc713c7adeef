//! Assistant Markdown that grows while it streams. Re-rendering the whole message on every frame
//! would cost O(message) per frame (and syntect is not cheap), so the text is cut at block
//! boundaries — a blank line outside a code fence, followed by a line that starts a new block —
//! and every finished block is rendered and wrapped once. Only the open tail is redone per frame.

use super::super::markdown;
use super::super::theme::Theme;
use super::super::wrap::{wrap_all, Logical};
use ratatui::text::Line;

#[derive(Default)]
pub struct MarkdownStream {
    text: String,
    /// `text[..stable_end]` is rendered into `stable` and will not change.
    stable_end: usize,
    stable: Vec<Logical>,
    scanner: Scanner,
    wrapped: Wrapped,
    tail: Option<Tail>,
}

/// Where the boundary scan stands.
#[derive(Default)]
struct Scanner {
    /// The next byte to look at (always the start of a line).
    pos: usize,
    in_fence: bool,
    /// The end of a blank line, waiting to see whether the next line starts a new block.
    candidate: Option<usize>,
}

/// `stable` wrapped at `width`; `count` logical lines of it so far.
#[derive(Default)]
struct Wrapped {
    width: u16,
    count: usize,
    rows: Vec<Line<'static>>,
}

struct Tail {
    width: u16,
    len: usize,
    stable_end: usize,
    rows: Vec<Line<'static>>,
}

impl MarkdownStream {
    pub fn new(text: &str, theme: &Theme) -> Self {
        let mut s = MarkdownStream::default();
        s.push(text, theme);
        s
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn push(&mut self, delta: &str, theme: &Theme) {
        self.text.push_str(delta);
        while let Some(boundary) = self.next_boundary() {
            self.commit(boundary, theme);
        }
    }

    /// Replaces the text (the final message differs from what streamed, or a retry restarts it).
    pub fn replace(&mut self, text: &str, theme: &Theme) {
        *self = MarkdownStream::default();
        self.push(text, theme);
    }

    /// The message is complete: everything becomes stable.
    pub fn finish(&mut self, theme: &Theme) {
        if self.stable_end < self.text.len() {
            self.commit(self.text.len(), theme);
        }
        self.scanner.pos = self.text.len();
    }

    fn commit(&mut self, end: usize, theme: &Theme) {
        let block = markdown::render(&self.text[self.stable_end..end], theme);
        if !block.is_empty() {
            if !self.stable.is_empty() {
                self.stable.push(Logical::blank());
            }
            self.stable.extend(block);
        }
        self.stable_end = end;
    }

    /// Scans complete lines for the next block boundary.
    fn next_boundary(&mut self) -> Option<usize> {
        let sc = &mut self.scanner;
        while let Some(nl) = self.text[sc.pos..].find('\n') {
            let start = sc.pos;
            let end = start + nl + 1;
            let line = &self.text[start..end - 1];
            sc.pos = end;
            let blank = line.trim().is_empty();
            if let Some(at) = sc.candidate {
                if blank {
                    continue;
                }
                sc.candidate = None;
                if !line.starts_with([' ', '\t']) {
                    // Re-scan this line after committing: it may open a fence.
                    sc.pos = start;
                    return Some(at);
                }
            }
            if is_fence(line) {
                sc.in_fence = !sc.in_fence;
            } else if blank && !sc.in_fence {
                sc.candidate = Some(end);
            }
        }
        // A partial line already shows whether it starts a new block.
        let partial = &self.text[sc.pos..];
        match sc.candidate {
            Some(at) if !partial.is_empty() && !partial.starts_with([' ', '\t']) => {
                sc.candidate = None;
                Some(at)
            }
            _ => None,
        }
    }

    /// The wrapped rows: finished blocks (cached) then the open tail.
    pub fn rows(&mut self, width: u16, theme: &Theme) -> (&[Line<'static>], &[Line<'static>]) {
        self.wrap_stable(width);
        self.wrap_tail(width, theme);
        let tail = self.tail.as_ref().map_or(&[][..], |t| &t.rows[..]);
        (&self.wrapped.rows, tail)
    }

    fn wrap_stable(&mut self, width: u16) {
        let w = &mut self.wrapped;
        if w.width != width {
            *w = Wrapped {
                width,
                ..Wrapped::default()
            };
        }
        if w.count < self.stable.len() {
            w.rows
                .extend(wrap_all(&self.stable[w.count..], usize::from(width)));
            w.count = self.stable.len();
        }
    }

    fn wrap_tail(&mut self, width: u16, theme: &Theme) {
        let fresh = self.tail.as_ref().is_some_and(|t| {
            t.width == width && t.len == self.text.len() && t.stable_end == self.stable_end
        });
        if fresh {
            return;
        }
        let rest = &self.text[self.stable_end..];
        let mut rows = Vec::new();
        let logical = markdown::render(rest, theme);
        if !logical.is_empty() {
            if !self.stable.is_empty() {
                rows.push(Line::default());
            }
            rows.extend(wrap_all(&logical, usize::from(width)));
        }
        self.tail = Some(Tail {
            width,
            len: self.text.len(),
            stable_end: self.stable_end,
            rows,
        });
    }
}

/// A code fence opener or closer (up to three spaces of indent, as CommonMark allows).
fn is_fence(line: &str) -> bool {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let t = line.trim_start_matches(' ');
    indent <= 3 && (t.starts_with("```") || t.starts_with("~~~"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_rows(s: &mut MarkdownStream, width: u16) -> Vec<String> {
        let theme = Theme::plain();
        let (a, b) = s.rows(width, &theme);
        a.iter().chain(b).map(|l| l.to_string()).collect()
    }

    #[test]
    fn streamed_text_renders_like_the_whole_text() {
        let md = "# Plan\n\nFirst paragraph.\n\n- a\n- b\n\n```rust\nfn x() {}\n\nfn y() {}\n```\n\nDone.";
        let theme = Theme::plain();
        let mut streamed = MarkdownStream::default();
        for c in md.chars() {
            streamed.push(&c.to_string(), &theme);
        }
        let mut whole = MarkdownStream {
            text: md.to_string(),
            ..MarkdownStream::default()
        };
        whole.finish(&theme);
        assert_eq!(all_rows(&mut streamed, 40), all_rows(&mut whole, 40));
    }

    #[test]
    fn blocks_before_the_tail_become_stable() {
        let theme = Theme::plain();
        let mut s = MarkdownStream::new("one\n\ntwo\n\nthr", &theme);
        assert_eq!(&s.text[..s.stable_end], "one\n\ntwo\n\n");
        s.push("ee", &theme);
        assert_eq!(all_rows(&mut s, 20), ["one", "", "two", "", "three"]);
    }

    #[test]
    fn a_blank_line_inside_a_fence_is_not_a_boundary() {
        let theme = Theme::plain();
        let s = MarkdownStream::new("```\na\n\nb\n", &theme);
        assert_eq!(s.stable_end, 0);
    }
}
