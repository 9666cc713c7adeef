//! Parsing the patch body into file operations. The grammar is Codex's `apply_patch` format;
//! the parser accepts the sloppiness models actually produce (padded markers, a missing `@@`
//! before the first chunk, bare blank lines as blank context, unified-diff `@@ -1,3 +1,4 @@`
//! headers) and rejects anything whose meaning would be a guess, naming the patch line.

use super::envelope::{self, Line};
use super::PatchError;

/// A parsed patch: its file operations in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    pub ops: Vec<FileOp>,
}

/// One `*** … File:` section. Paths are as written in the patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOp {
    /// Create a file that must not exist yet, with exactly `contents`.
    Add { path: String, contents: String },
    /// Remove an existing file.
    Delete { path: String },
    /// Edit an existing file chunk by chunk, optionally renaming it.
    Update {
        path: String,
        move_to: Option<String>,
        chunks: Vec<Chunk>,
    },
}

/// One `@@` chunk: `old` lines (context and `-`) to find, replaced by `new` (context and `+`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// `@@ <line>` locators, in order: the chunk lies at or after the last one found.
    pub anchors: Vec<String>,
    pub old: Vec<String>,
    pub new: Vec<String>,
    /// For each line of `new`, the index in `old` of the same context line: a context line
    /// matched leniently is written as the file has it, not as the patch quoted it.
    pub kept: Vec<Option<usize>>,
    /// `*** End of File` followed the chunk: it should match the last lines of the file.
    pub at_eof: bool,
    /// Patch line where the chunk starts, for messages.
    pub line: usize,
}

/// Parses a patch (wrappers allowed) without touching the filesystem.
pub fn parse(text: &str) -> Result<Patch, PatchError> {
    let lines = envelope::body(text)?;
    let mut parser = Parser {
        lines: &lines,
        pos: 0,
    };
    let mut ops = Vec::new();
    while let Some(line) = parser.next_nonblank() {
        if let Some(op) = parser.op(line)? {
            ops.push(op);
        }
    }
    if ops.is_empty() {
        return Err(PatchError::Empty);
    }
    Ok(Patch { ops })
}

/// A `***` line, recognised on its trimmed text; keywords are matched case-insensitively.
#[derive(Debug, PartialEq, Eq)]
enum Marker<'a> {
    Add(&'a str),
    Update(&'a str),
    Delete(&'a str),
    MoveTo(&'a str),
    EndOfFile,
    /// `*** Begin Patch` / `*** End Patch` inside the body: two patches sent back to back.
    Seam,
    Unknown,
}

fn marker(text: &str) -> Option<Marker<'_>> {
    let rest = text.trim().strip_prefix("***")?.trim_start();
    let (keyword, path) = match rest.split_once(':') {
        Some((keyword, path)) => (keyword.trim(), Some(path.trim())),
        None => (rest.trim(), None),
    };
    let is = |word: &str| keyword.eq_ignore_ascii_case(word);
    Some(match path {
        Some(p) if is("add file") => Marker::Add(p),
        Some(p) if is("update file") => Marker::Update(p),
        Some(p) if is("delete file") => Marker::Delete(p),
        Some(p) if is("move to") => Marker::MoveTo(p),
        None if is("end of file") => Marker::EndOfFile,
        None if is("begin patch") || is("end patch") => Marker::Seam,
        _ => Marker::Unknown,
    })
}

const HEADERS: &str =
    "`*** Add File: <path>`, `*** Update File: <path>` or `*** Delete File: <path>`";

fn syntax(line: usize, message: String) -> PatchError {
    PatchError::Syntax { line, message }
}

struct Parser<'p, 'a> {
    lines: &'p [Line<'a>],
    pos: usize,
}

/// What a chunk line contributes.
enum ChunkLine<'a> {
    Context(&'a str),
    Add(&'a str),
    Remove(&'a str),
    Ignore,
}

impl<'a> Parser<'_, 'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    fn next_nonblank(&mut self) -> Option<Line<'a>> {
        while let Some(line) = self.peek() {
            self.pos += 1;
            if !line.text.trim().is_empty() {
                return Some(line);
            }
        }
        None
    }

    /// The operation headed by `line`; `None` for a seam between concatenated patches.
    fn op(&mut self, line: Line<'a>) -> Result<Option<FileOp>, PatchError> {
        let found = line.text.trim();
        match marker(line.text) {
            Some(Marker::Add(path)) => self.add(line, path).map(Some),
            Some(Marker::Delete(path)) => Ok(Some(FileOp::Delete { path: path_of(line, path)? })),
            Some(Marker::Update(path)) => self.update(line, path).map(Some),
            Some(Marker::Seam) => Ok(None),
            Some(Marker::MoveTo(_)) => Err(syntax(
                line.no,
                format!("`{found}` must directly follow an `*** Update File: <path>` line"),
            )),
            Some(Marker::EndOfFile) => Err(syntax(
                line.no,
                "`*** End of File` may only follow the last line of a chunk in an `*** Update File:` section".into(),
            )),
            Some(Marker::Unknown) => Err(syntax(
                line.no,
                format!("unknown header `{found}`; each section starts with {HEADERS}"),
            )),
            None => Err(syntax(
                line.no,
                format!("expected a section header ({HEADERS}), found `{found}`"),
            )),
        }
    }

    /// `*** Add File:` followed by `+` lines; bare blank lines inside count as empty lines.
    fn add(&mut self, header: Line<'a>, path: &str) -> Result<FileOp, PatchError> {
        let path = path_of(header, path)?;
        let mut lines: Vec<&str> = Vec::new();
        let mut blanks = 0;
        while let Some(line) = self.peek() {
            if let Some(content) = line.text.strip_prefix('+') {
                lines.extend(std::iter::repeat_n("", blanks));
                blanks = 0;
                lines.push(content);
            } else if line.text.trim().is_empty() {
                blanks += 1;
            } else if marker(line.text).is_some() {
                break;
            } else {
                return Err(syntax(
                    line.no,
                    format!(
                        "in `*** Add File: {path}`, the line `{}` does not start with `+`; every \
                         line of a new file is written as `+<line>`",
                        line.text
                    ),
                ));
            }
            self.pos += 1;
        }
        let mut contents = lines.join("\n");
        if !lines.is_empty() {
            contents.push('\n');
        }
        Ok(FileOp::Add { path, contents })
    }

    /// `*** Update File:`, an optional `*** Move to:`, then chunks up to the next header.
    fn update(&mut self, header: Line<'a>, path: &str) -> Result<FileOp, PatchError> {
        let path = path_of(header, path)?;
        let move_to = match self.peek().map(|l| (l, marker(l.text))) {
            Some((line, Some(Marker::MoveTo(dest)))) => {
                self.pos += 1;
                Some(path_of(line, dest)?)
            }
            _ => None,
        };
        let mut chunks = Vec::new();
        while let Some(line) = self.peek() {
            let text = line.text.trim_start();
            if text.is_empty() {
                self.pos += 1;
            } else if text.starts_with("@@") {
                chunks.push(self.chunk(&path, chunks.len() + 1)?);
            } else if marker(line.text).is_some() {
                break;
            } else if chunks.is_empty() && starts_chunk(line.text) {
                chunks.push(self.chunk(&path, 1)?);
            } else {
                return Err(syntax(
                    line.no,
                    format!(
                        "in `*** Update File: {path}`, expected an `@@` chunk header or another \
                         section ({HEADERS}), found `{}`",
                        line.text
                    ),
                ));
            }
        }
        if chunks.is_empty() && move_to.is_none() {
            return Err(syntax(
                header.no,
                format!(
                    "`*** Update File: {path}` has no chunks; add `@@` chunks with ` ` context, \
                     `-` removed and `+` added lines"
                ),
            ));
        }
        Ok(FileOp::Update {
            path,
            move_to,
            chunks,
        })
    }

    /// One chunk: its `@@` lines (if any), then prefixed lines up to the next `@@` or `***`.
    fn chunk(&mut self, path: &str, number: usize) -> Result<Chunk, PatchError> {
        let line = self.peek().map_or(0, |l| l.no);
        let mut chunk = Chunk {
            anchors: Vec::new(),
            old: Vec::new(),
            new: Vec::new(),
            kept: Vec::new(),
            at_eof: false,
            line,
        };
        while let Some(l) = self
            .peek()
            .filter(|l| l.text.trim_start().starts_with("@@"))
        {
            chunk.anchors.extend(anchor(l.text.trim_start()));
            self.pos += 1;
        }
        let mut trailing_blanks = 0;
        while let Some(l) = self.peek() {
            if l.text.starts_with("***") || l.text.starts_with("@@") {
                chunk.at_eof = marker(l.text) == Some(Marker::EndOfFile);
                self.pos += usize::from(chunk.at_eof);
                break;
            }
            let blank = l.text.trim().is_empty();
            match chunk_line(l.text) {
                Some(ChunkLine::Context(text)) => {
                    chunk.kept.push(Some(chunk.old.len()));
                    chunk.old.push(text.to_string());
                    chunk.new.push(text.to_string());
                }
                Some(ChunkLine::Add(text)) => {
                    chunk.kept.push(None);
                    chunk.new.push(text.to_string());
                }
                Some(ChunkLine::Remove(text)) => chunk.old.push(text.to_string()),
                Some(ChunkLine::Ignore) => {}
                None => return Err(bad_chunk_line(l, path, number)),
            }
            trailing_blanks = if blank { trailing_blanks + 1 } else { 0 };
            self.pos += 1;
        }
        // Blank lines before the next header are usually spacing, not context; dropping context
        // never moves where a chunk applies, it only makes the match less specific.
        chunk.old.truncate(chunk.old.len() - trailing_blanks);
        chunk.new.truncate(chunk.new.len() - trailing_blanks);
        chunk.kept.truncate(chunk.new.len());
        if chunk.old.is_empty() && chunk.new.is_empty() {
            return Err(syntax(
                line,
                format!("chunk {number} of `*** Update File: {path}` has no lines; give it ` `, `-` and `+` lines or remove it"),
            ));
        }
        Ok(chunk)
    }
}

/// Whether a line can open a chunk that lacks its `@@`.
fn starts_chunk(text: &str) -> bool {
    text.starts_with([' ', '+', '-'])
}

/// The meaning of a line inside a chunk; `None` when it has no valid prefix.
fn chunk_line(text: &str) -> Option<ChunkLine<'_>> {
    if text.trim().is_empty() {
        return Some(ChunkLine::Context(""));
    }
    if text.starts_with("\\ No newline") {
        return Some(ChunkLine::Ignore);
    }
    let mut chars = text.chars();
    let kind = chars.next()?;
    let rest = chars.as_str();
    match kind {
        ' ' => Some(ChunkLine::Context(rest)),
        '+' => Some(ChunkLine::Add(rest)),
        '-' => Some(ChunkLine::Remove(rest)),
        _ => None,
    }
}

fn bad_chunk_line(line: Line<'_>, path: &str, number: usize) -> PatchError {
    syntax(
        line.no,
        format!(
            "in chunk {number} of `*** Update File: {path}`, the line `{}` has no prefix; every \
             chunk line starts with ` ` (unchanged context), `-` (removed) or `+` (added), and an \
             empty line counts as an empty context line",
            line.text
        ),
    )
}

/// The locator text of an `@@` line, if any. A unified-diff range (`@@ -3,4 +3,5 @@ fn f`) is
/// dropped, keeping any text after it, since line numbers from the model are not trusted.
fn anchor(text: &str) -> Option<String> {
    let rest = text.strip_prefix("@@")?.trim();
    let rest = match rest.strip_prefix('-').and_then(|r| r.split_once("@@")) {
        Some((range, after)) if is_hunk_range(range) => after.trim(),
        _ => rest,
    };
    (!rest.is_empty()).then(|| rest.to_string())
}

/// Whether `text` is the `3,4 +3,5 ` part of a unified-diff hunk header.
fn is_hunk_range(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ',' | '+' | ' '))
}

/// A section's path, trimmed; an empty one is an error naming the header.
fn path_of(line: Line<'_>, path: &str) -> Result<String, PatchError> {
    let path = path.trim();
    if path.is_empty() {
        return Err(syntax(
            line.no,
            format!(
                "`{}` names no file; put the path after the colon",
                line.text.trim()
            ),
        ));
    }
    Ok(path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(body: &str) -> Vec<FileOp> {
        match parse(&format!("*** Begin Patch\n{body}*** End Patch\n")) {
            Ok(patch) => patch.ops,
            Err(e) => panic!("{e}"),
        }
    }

    fn error(body: &str) -> String {
        match parse(&format!("*** Begin Patch\n{body}*** End Patch\n")) {
            Ok(patch) => panic!("parsed: {patch:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn chunks(op: &FileOp) -> &[Chunk] {
        match op {
            FileOp::Update { chunks, .. } => chunks,
            other => panic!("not an update: {other:?}"),
        }
    }

    #[test]
    fn add_file_collects_plus_lines_with_a_final_newline() {
        let got = ops("*** Add File: a/b.txt\n+one\n+\n+two\n");
        assert_eq!(
            got,
            [FileOp::Add {
                path: "a/b.txt".into(),
                contents: "one\n\ntwo\n".into()
            }]
        );
    }

    #[test]
    fn add_file_with_no_lines_is_empty() {
        let got = ops("*** Add File: e\n*** Delete File: d\n");
        assert_eq!(
            got[0],
            FileOp::Add {
                path: "e".into(),
                contents: String::new()
            }
        );
        assert_eq!(got[1], FileOp::Delete { path: "d".into() });
    }

    #[test]
    fn blank_lines_inside_an_added_file_are_kept_but_trailing_ones_dropped() {
        let got = ops("*** Add File: a\n+x\n\n+y\n\n*** Delete File: b\n");
        assert_eq!(
            got[0],
            FileOp::Add {
                path: "a".into(),
                contents: "x\n\ny\n".into()
            }
        );
    }

    #[test]
    fn update_with_move_and_several_chunks() {
        let got =
            ops("*** Update File: a.rs\n*** Move to: b.rs\n@@ fn one()\n-x\n+y\n@@\n ctx\n-z\n");
        let FileOp::Update {
            path,
            move_to,
            chunks,
        } = &got[0]
        else {
            panic!("{got:?}")
        };
        assert_eq!((path.as_str(), move_to.as_deref()), ("a.rs", Some("b.rs")));
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].anchors, ["fn one()"]);
        assert_eq!(
            (chunks[0].old.clone(), chunks[0].new.clone()),
            (vec!["x".into()], vec!["y".into()])
        );
        assert!(chunks[1].anchors.is_empty());
        assert_eq!(chunks[1].old, ["ctx", "z"]);
        assert_eq!(chunks[1].new, ["ctx"]);
    }

    #[test]
    fn first_chunk_may_omit_its_at_at_line() {
        let got = ops("*** Update File: a\n x\n-y\n+z\n");
        assert_eq!(chunks(&got[0])[0].old, ["x", "y"]);
    }

    #[test]
    fn empty_line_in_a_chunk_is_empty_context_and_trailing_blanks_are_spacing() {
        let got = ops("*** Update File: a\n@@\n x\n\n-y\n+z\n\n\n*** Delete File: b\n");
        let chunk = &chunks(&got[0])[0];
        assert_eq!(chunk.old, ["x", "", "y"]);
        assert_eq!(chunk.new, ["x", "", "z"]);
    }

    #[test]
    fn end_of_file_marker_flags_the_chunk() {
        let got = ops("*** Update File: a\n@@\n-x\n+y\n*** End of File  \n");
        assert!(chunks(&got[0])[0].at_eof);
    }

    #[test]
    fn chained_and_unified_diff_at_at_lines_become_anchors() {
        let got = ops("*** Update File: a\n@@ class A\n@@   def b\n-x\n@@ -10,2 +10,3 @@ fn c\n-y\n@@ -1 +1 @@\n-z\n");
        let c = chunks(&got[0]);
        assert_eq!(c[0].anchors, ["class A", "def b"]);
        assert_eq!(c[1].anchors, ["fn c"]);
        assert!(c[2].anchors.is_empty());
    }

    #[test]
    fn markers_tolerate_padding_and_case() {
        let got =
            ops("  *** update file:  a.txt  \n@@\n-x\n*** End of File \n   *** DELETE FILE: b\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], FileOp::Delete { path: "b".into() });
    }

    #[test]
    fn padded_header_after_a_move_starts_a_section() {
        let got = ops("*** Update File: a\n*** Move to: b\n  *** Delete File: c\n");
        assert_eq!(got.len(), 2);
        assert_eq!(chunks(&got[0]).len(), 0);
    }

    #[test]
    fn padded_marker_inside_a_chunk_is_context() {
        let got = ops("*** Update File: a\n@@\n *** Add File: x\n-y\n");
        assert_eq!(chunks(&got[0])[0].old, ["*** Add File: x", "y"]);
    }

    #[test]
    fn concatenated_patches_are_read_as_one() {
        let got = ops("*** Delete File: a\n*** End Patch\n*** Begin Patch\n*** Delete File: b\n");
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn crlf_patch_text_is_parsed() {
        let text = "*** Begin Patch\r\n*** Update File: a\r\n@@\r\n-x\r\n+y\r\n*** End Patch\r\n";
        let patch = parse(text).map_err(|e| e.to_string());
        let op = &patch.as_ref().map(|p| p.ops[0].clone());
        assert_eq!(
            op.as_ref().map(|o| chunks(o)[0].new.clone()),
            Ok(vec!["y".to_string()])
        );
    }

    #[test]
    fn unknown_header_is_named() {
        let e = error("*** Modify File: a\n+x\n");
        assert!(e.contains("unknown header `*** Modify File: a`"), "{e}");
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn unprefixed_chunk_line_names_file_chunk_and_line() {
        let e = error("*** Update File: src/a.rs\n@@\n-x\n+y\n@@\n x\nnot prefixed\n");
        assert!(e.contains("chunk 2 of `*** Update File: src/a.rs`"), "{e}");
        assert!(e.contains("`not prefixed`"), "{e}");
        assert!(e.contains("line 8"), "{e}");
    }

    #[test]
    fn unprefixed_line_in_an_added_file_is_an_error() {
        let e = error("*** Add File: a\n+x\ny\n");
        assert!(e.contains("does not start with `+`"), "{e}");
    }

    #[test]
    fn update_without_chunks_is_an_error() {
        let e = error("*** Update File: a\n*** Delete File: b\n");
        assert!(e.contains("has no chunks"), "{e}");
    }

    #[test]
    fn move_without_update_and_stray_end_of_file_are_errors() {
        assert!(error("*** Move to: b\n").contains("must directly follow"));
        assert!(error("*** Delete File: a\n*** End of File\n").contains("End of File"));
    }

    #[test]
    fn header_without_path_is_an_error() {
        assert!(error("*** Delete File:   \n").contains("names no file"));
    }

    #[test]
    fn text_outside_a_section_is_an_error() {
        let e = error("hello\n");
        assert!(e.contains("expected a section header"), "{e}");
    }

    #[test]
    fn empty_patch_is_an_error() {
        assert!(matches!(
            parse("*** Begin Patch\n*** End Patch"),
            Err(PatchError::Empty)
        ));
        assert!(matches!(parse(""), Err(PatchError::Empty)));
    }
}
