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
}
