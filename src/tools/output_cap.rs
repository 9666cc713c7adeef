//! Bounded capture of command output: keeps the head and the tail, where compilers and test
//! runners put what matters, and counts what was dropped in between.

use std::collections::VecDeque;

pub struct HeadTail {
    limit: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: usize,
}

impl HeadTail {
    /// Keeps at most `limit` bytes: half from the start, half from the end.
    pub fn new(limit: usize) -> Self {
        HeadTail {
            limit,
            head: Vec::new(),
            tail: VecDeque::new(),
            total: 0,
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len();
        let head_room = (self.limit / 2).saturating_sub(self.head.len());
        let take = head_room.min(bytes.len());
        self.head.extend_from_slice(&bytes[..take]);
        bytes = &bytes[take..];
        let tail_cap = self.limit - self.limit / 2;
        self.tail.extend(bytes);
        while self.tail.len() > tail_cap {
            let excess = self.tail.len() - tail_cap;
            self.tail.drain(..excess);
        }
    }

    pub fn render(&self) -> String {
        let kept = self.head.len() + self.tail.len();
        let mut s = String::from_utf8_lossy(&self.head).into_owned();
        if self.total > kept {
            s.push_str(&format!(
                "\n[... {} bytes of output dropped; {} total; rerun with a filter (grep, tail) to see the middle ...]\n",
                self.total - kept,
                self.total
            ));
        }
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        s.push_str(&String::from_utf8_lossy(&tail));
        s
    }
}

/// The longest diff a file tool sends back: a 30 MB write must not put 30 MB in the context.
pub const MAX_DIFF_BYTES: usize = 32 * 1024;

/// The longest result any tool sends back to the model; above a full `read_file` page.
pub const MAX_RESULT_BYTES: usize = 320 * 1024;

/// `diff` cut to [`MAX_DIFF_BYTES`] at a line end, saying so and how to see the rest of `rel`.
pub fn cap_diff(diff: String, rel: &str) -> String {
    if diff.len() <= MAX_DIFF_BYTES {
        return diff;
    }
    let head = &diff[..floor_boundary(&diff, MAX_DIFF_BYTES)];
    let head = head.rfind('\n').map_or(head, |i| &head[..=i]);
    format!(
        "{head}[... diff cut at {} of {} bytes; the file was written in full: read `{rel}` with \
         read_file (offset, limit) to see the rest ...]\n",
        head.len(),
        diff.len()
    )
}

/// `text` cut to `limit` bytes, keeping its head and tail, saying what was dropped and what to
/// do next.
pub fn cap_result(text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let head = &text[..floor_boundary(&text, limit / 2)];
    let mut start = text.len() - (limit - head.len());
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!(
        "{head}\n[... {} bytes of the tool result dropped; {} total; ask for less (a narrower \
         path or pattern, an offset and limit) to see the middle ...]\n{}",
        start - head.len(),
        text.len(),
        &text[start..]
    )
}

/// The largest char boundary of `s` at or below `at`.
fn floor_boundary(s: &str, at: usize) -> usize {
    let mut i = at.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_output_is_kept_whole() {
        let mut h = HeadTail::new(100);
        h.push(b"hello ");
        h.push(b"world");
        assert_eq!(h.render(), "hello world");
    }

    #[test]
    fn long_output_keeps_head_and_tail_with_marker() {
        let mut h = HeadTail::new(10);
        for _ in 0..100 {
            h.push(b"0123456789");
        }
        let r = h.render();
        assert!(r.starts_with("01234"), "{r}");
        assert!(r.ends_with("56789"), "{r}");
        assert!(r.contains("990 bytes of output dropped"), "{r}");
    }

    #[test]
    fn a_long_diff_is_cut_at_a_line_end_with_a_way_to_see_more() {
        let diff: String = (0..10_000).map(|i| format!("+line {i}\n")).collect();
        let cut = cap_diff(diff, "big.txt");
        assert!(cut.len() < MAX_DIFF_BYTES + 200, "{}", cut.len());
        assert!(cut.contains("read `big.txt` with read_file"), "{cut}");
        assert!(cut.split("[...").next().unwrap().ends_with('\n'));
    }

    #[test]
    fn a_long_result_keeps_head_and_tail_on_char_boundaries() {
        let text = "é".repeat(1000);
        let cut = cap_result(text, 101);
        assert!(cut.starts_with("éé") && cut.ends_with("éé"), "{cut}");
        assert!(cut.contains("bytes of the tool result dropped"), "{cut}");
        assert_eq!(cap_result("short".into(), 101), "short");
    }
}
