//! A text file as lines for matching, remembering what splitting set aside (a byte-order mark, the
//! line endings, a missing final newline) so the rewritten file keeps the user's conventions:
//! unchanged lines are copied as raw spans, endings and all, and new lines get the file's style.

/// The lines of a file without their terminators, borrowed from its text.
pub struct Lines<'a> {
    bom: bool,
    eol: &'static str,
    /// The text after any byte-order mark; every line is a slice of it.
    body: &'a str,
    pub lines: Vec<&'a str>,
}

impl<'a> Lines<'a> {
    /// Splits `content`; the style for new lines is taken from the first line break.
    pub fn split(content: &'a str) -> Self {
        let (bom, body) = match content.strip_prefix('\u{feff}') {
            Some(rest) => (true, rest),
            None => (false, content),
        };
        let crlf = body.find('\n').is_some_and(|i| body[..i].ends_with('\r'));
        let lines = if body.is_empty() {
            Vec::new()
        } else {
            let body = body.strip_suffix('\n').unwrap_or(body);
            body.split('\n')
                .map(|l| {
                    if crlf {
                        l.strip_suffix('\r').unwrap_or(l)
                    } else {
                        l
                    }
                })
                .collect()
        };
        let eol = if crlf { "\r\n" } else { "\n" };
        Self {
            bom,
            eol,
            body,
            lines,
        }
    }

    /// Whether the last line lacks a line break (diffs say so; written files gain one).
    pub fn missing_final_newline(&self) -> bool {
        !self.body.is_empty() && !self.body.ends_with('\n')
    }

    /// A writer producing a file in this file's conventions, sized for about `capacity` bytes.
    pub fn writer(&self, capacity: usize) -> Writer<'_, 'a> {
        let mut out = String::with_capacity(capacity);
        if self.bom {
            out.push('\u{feff}');
        }
        Writer { file: self, out }
    }

    /// Byte offset of line `i` in `body`: lines are slices of it, so addresses tell.
    fn offset(&self, i: usize) -> usize {
        self.lines[i].as_ptr() as usize - self.body.as_ptr() as usize
    }
}

/// Builds a file's new text: spans of original lines and new lines, every line terminated.
pub struct Writer<'f, 'a> {
    file: &'f Lines<'a>,
    out: String,
}

impl Writer<'_, '_> {
    /// Appends a new line with the file's line ending.
    pub fn line(&mut self, line: &str) {
        self.out.push_str(line);
        self.out.push_str(self.file.eol);
    }

    /// Appends original lines `from..to` exactly as they were, in one copy.
    pub fn original(&mut self, from: usize, to: usize) {
        let file = self.file;
        if from >= to {
            return;
        }
        let end = if to < file.lines.len() {
            file.offset(to)
        } else {
            file.body.len()
        };
        self.out.push_str(&file.body[file.offset(from)..end]);
        if to == file.lines.len() && file.missing_final_newline() {
            self.out.push_str(file.eol);
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(content: &str) -> String {
        let file = Lines::split(content);
        let mut w = file.writer(content.len());
        w.original(0, file.lines.len());
        w.finish()
    }

    #[test]
    fn lf_file_splits_without_terminators() {
        assert_eq!(Lines::split("a\nb\n").lines, ["a", "b"]);
        assert_eq!(Lines::split("a\nb").lines, ["a", "b"]);
        assert_eq!(Lines::split("\n").lines, [""]);
        assert!(Lines::split("").lines.is_empty());
    }

    #[test]
    fn crlf_file_keeps_crlf_for_old_and_new_lines() {
        let file = Lines::split("a\r\nb\r\n");
        assert_eq!(file.lines, ["a", "b"]);
        let mut w = file.writer(0);
        w.original(0, 1);
        w.line("new");
        w.original(1, 2);
        assert_eq!(w.finish(), "a\r\nnew\r\nb\r\n");
    }

    #[test]
    fn mixed_line_endings_of_untouched_lines_survive() {
        assert_eq!(round_trip("a\r\nb\nc\r\n"), "a\r\nb\nc\r\n");
    }

    #[test]
    fn missing_final_newline_is_added() {
        assert!(Lines::split("a\nb").missing_final_newline());
        assert_eq!(round_trip("a\nb"), "a\nb\n");
        assert_eq!(round_trip("a\r\nb"), "a\r\nb\r\n");
    }

    #[test]
    fn byte_order_mark_is_kept_out_of_lines_but_written_back() {
        assert_eq!(Lines::split("\u{feff}a\n").lines, ["a"]);
        assert_eq!(round_trip("\u{feff}a\n"), "\u{feff}a\n");
    }

    #[test]
    fn stray_carriage_return_in_an_lf_file_is_content() {
        assert_eq!(Lines::split("a\nb\r\n").lines, ["a", "b\r"]);
    }
}
