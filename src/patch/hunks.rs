//! One file's chunks applied in memory. Every chunk is located in the original lines (in patch
//! order, each at or after where the previous one ended), then all replacements are spliced in a
//! single pass, so the cost is one search per chunk plus one copy of the file, however many
//! chunks there are.

use super::hint;
use super::parse::Chunk;
use super::seek::{Found, Haystack, SeekError};
use super::text::Lines;
use super::udiff::{self, Region};
use super::PatchError;

/// A located chunk: replace `remove` lines at `start` with the chunk's new lines.
struct Edit<'c> {
    start: usize,
    remove: usize,
    chunk: &'c Chunk,
    /// Where the next chunk's search begins.
    resume: usize,
}

/// A file's new text and the unified diff that produced it.
pub struct Updated {
    pub text: String,
    pub diff: String,
}

/// Applies `chunks` to `content`. `path` names the file in messages, `diff_path` in the diff
/// (they differ when the file is also moved).
pub fn apply_chunks(
    path: &str,
    diff_path: &str,
    content: &str,
    chunks: &[Chunk],
) -> Result<Updated, PatchError> {
    let file = Lines::split(content);
    let hay = Haystack::new(&file.lines);
    let mut edits = Vec::with_capacity(chunks.len());
    let mut cursor = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        let at = Place {
            hay: &hay,
            path,
            number: i + 1,
            chunk,
            cursor,
        };
        let edit = at.locate()?;
        cursor = edit.resume;
        edits.push(edit);
    }
    // Unanchored pure additions go to the end of the file whatever their order in the patch.
    edits.sort_by_key(|e| e.start);
    let spliced = splice(&file, content.len(), &edits);
    let diff = udiff::render(
        diff_path,
        &file.lines,
        &spliced.lines,
        &spliced.regions,
        file.missing_final_newline(),
    );
    Ok(Updated {
        text: spliced.text,
        diff,
    })
}

/// The result of splicing: the new text, its lines, and where each edit landed.
struct Spliced<'a> {
    text: String,
    lines: Vec<&'a str>,
    regions: Vec<Region>,
}

/// Builds the new file in one pass: untouched stretches are copied as raw spans, and each edit's
/// lines are written with context lines taken from the file (see [`Chunk::kept`]).
fn splice<'a>(file: &Lines<'a>, size: usize, edits: &[Edit<'a>]) -> Spliced<'a> {
    let added: usize = edits
        .iter()
        .flat_map(|e| &e.chunk.new)
        .map(|l| l.len() + 2)
        .sum();
    let mut out = file.writer(size + added + 2);
    let mut lines = Vec::with_capacity(file.lines.len() + edits.len());
    let mut regions = Vec::with_capacity(edits.len());
    let mut pos = 0;
    for edit in edits {
        // Each chunk is searched from where the previous one ended, so edits never overlap.
        debug_assert!(edit.start >= pos, "overlapping edits");
        out.original(pos, edit.start);
        lines.extend_from_slice(&file.lines[pos..edit.start]);
        let new_start = lines.len();
        for (k, line) in edit.chunk.new.iter().enumerate() {
            let kept = edit.chunk.kept.get(k).copied().flatten();
            let line = match kept.filter(|&j| j < edit.remove) {
                Some(j) => file.lines[edit.start + j],
                None => line.as_str(),
            };
            out.line(line);
            lines.push(line);
        }
        regions.push(Region {
            old_start: edit.start,
            old_len: edit.remove,
            new_start,
            new_len: lines.len() - new_start,
        });
        pos = edit.start + edit.remove;
    }
    out.original(pos, file.lines.len());
    lines.extend_from_slice(&file.lines[pos..]);
    Spliced {
        text: out.finish(),
        lines,
        regions,
    }
}

/// One chunk being located, with what messages need to name it.
struct Place<'p, 'h, 'c> {
    hay: &'p Haystack<'h>,
    path: &'p str,
    number: usize,
    chunk: &'c Chunk,
    cursor: usize,
}

impl<'c> Place<'_, '_, 'c> {
    fn locate(&self) -> Result<Edit<'c>, PatchError> {
        let anchor = self.anchor()?;
        let chunk = self.chunk;
        if chunk.old.is_empty() {
            let start = match anchor {
                Some(line) if !chunk.at_eof => line + 1,
                _ => self.hay.len(),
            };
            let resume = if anchor.is_some() { start } else { self.cursor };
            return Ok(Edit {
                start,
                remove: 0,
                chunk,
                resume,
            });
        }
        // The chunk may begin on the anchor line itself: models often repeat it as context.
        let from = anchor.unwrap_or(self.cursor);
        let old: Vec<&str> = chunk.old.iter().map(String::as_str).collect();
        let found = self
            .find(&old, from)
            .map_err(|e| self.seek_error(e, &old, anchor))?;
        Ok(Edit {
            start: found.start,
            remove: old.len(),
            chunk,
            resume: found.start + old.len(),
        })
    }

    /// With `*** End of File`, a match at the end is preferred; elsewhere is accepted if unique.
    fn find(&self, old: &[&str], from: usize) -> Result<Found, SeekError> {
        if self.chunk.at_eof {
            match self.hay.find(old, from, true) {
                Err(SeekError::NotFound) => {}
                other => return other,
            }
        }
        self.hay.find(old, from, false)
    }

    /// The index of the last `@@` locator line, each found after the previous one.
    fn anchor(&self) -> Result<Option<usize>, PatchError> {
        let mut found = None;
        let mut from = self.cursor;
        for anchor in &self.chunk.anchors {
            let Some(line) = self.hay.find_line(anchor, from) else {
                return Err(PatchError::AnchorNotFound {
                    path: self.path.to_string(),
                    chunk: self.number,
                    line: self.chunk.line,
                    anchor: anchor.clone(),
                    scope: self.scope(found),
                });
            };
            found = Some(line);
            from = line + 1;
        }
        Ok(found)
    }

    fn seek_error(&self, error: SeekError, old: &[&str], anchor: Option<usize>) -> PatchError {
        let (path, chunk, line) = (self.path.to_string(), self.number, self.chunk.line);
        let scope = self.scope(anchor);
        let head = hint::head(&self.chunk.old, &self.chunk.new);
        match error {
            SeekError::Ambiguous {
                first,
                second,
                leniency,
            } => PatchError::Ambiguous {
                path,
                chunk,
                line,
                head,
                how: leniency.describe(),
                first: first + 1,
                second: second + 1,
                scope,
            },
            SeekError::NotFound => PatchError::NoMatch {
                path,
                chunk,
                line,
                head,
                scope,
                closest: self
                    .out_of_order(old, anchor)
                    .unwrap_or_else(|| hint::closest(self.hay, old)),
            },
        }
    }

    /// Explains a chunk that exists, but only before where the search started.
    fn out_of_order(&self, old: &[&str], anchor: Option<usize>) -> Option<String> {
        let from = anchor.unwrap_or(self.cursor);
        let earlier = self
            .hay
            .find(old, 0, false)
            .ok()
            .filter(|f| f.start < from)?;
        let why = match anchor {
            Some(a) => format!(
                "above its `@@` line (line {}): the chunk must follow the line its `@@` names",
                a + 1
            ),
            None => "before the previous chunk: chunks of one file must appear in the order of \
                     their lines in the file, so reorder them"
                .to_string(),
        };
        Some(format!("It matches at line {}, {why}.", earlier.start + 1))
    }

    /// Where the search ran, for messages: from an `@@` line (index), or after the previous chunk.
    fn scope(&self, anchor: Option<usize>) -> String {
        match anchor {
            Some(line) => format!(" in the file from its `@@` line (line {}) on", line + 1),
            None if self.cursor == 0 => " in the file".to_string(),
            None => format!(
                " in the file after line {}, where the previous chunk ended (chunks are searched \
                 in order)",
                self.cursor
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chunk whose new lines equal to an old line are taken as that context line.
    fn chunk(anchors: &[&str], old: &[&str], new: &[&str], at_eof: bool) -> Chunk {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        let kept = new
            .iter()
            .map(|n| old.iter().position(|o| o == n))
            .collect();
        Chunk {
            anchors: owned(anchors),
            old: owned(old),
            new: owned(new),
            kept,
            at_eof,
            line: 3,
        }
    }

    fn run(content: &str, chunks: &[Chunk]) -> String {
        apply_chunks("f", "f", content, chunks).map_or_else(|e| format!("error: {e}"), |u| u.text)
    }

    #[test]
    fn chunks_replace_their_lines_in_order() {
        let chunks = [
            chunk(&[], &["b"], &["B"], false),
            chunk(&[], &["d"], &["D1", "D2"], false),
        ];
        assert_eq!(run("a\nb\nc\nd\n", &chunks), "a\nB\nc\nD1\nD2\n");
    }

    #[test]
    fn pure_addition_appends_at_the_end_or_after_its_anchor() {
        assert_eq!(run("a\nb", &[chunk(&[], &[], &["z"], false)]), "a\nb\nz\n");
        assert_eq!(
            run("a\nb\n", &[chunk(&["a"], &[], &["z"], false)]),
            "a\nz\nb\n"
        );
    }

    #[test]
    fn anchor_narrows_the_search_and_may_be_the_first_context_line() {
        let file = "fn a() {\n    x\n}\nfn b() {\n    x\n}\n";
        let after_b = run(file, &[chunk(&["fn b() {"], &["    x"], &["    y"], false)]);
        assert_eq!(after_b, "fn a() {\n    x\n}\nfn b() {\n    y\n}\n");
        let on_b = run(
            file,
            &[chunk(
                &["fn b() {"],
                &["fn b() {", "    x"],
                &["fn b() {", "    y"],
                false,
            )],
        );
        assert_eq!(on_b, after_b);
    }

    #[test]
    fn end_of_file_chunk_prefers_the_last_lines() {
        let got = run("x\ny\nx\n", &[chunk(&[], &["x"], &["z"], true)]);
        assert_eq!(got, "x\ny\nz\n");
    }

    #[test]
    fn ambiguous_chunk_is_an_error_naming_both_lines() {
        let got = run("x\ny\nx\n", &[chunk(&[], &["x"], &["z"], false)]);
        assert!(
            got.contains("chunk 1 (patch line 3, whose first expected line is `x`)"),
            "{got}"
        );
        assert!(got.contains("exactly at lines 1 and 3"), "{got}");
    }

    #[test]
    fn out_of_order_chunks_are_explained() {
        let chunks = [
            chunk(&[], &["c"], &["C"], false),
            chunk(&[], &["a"], &["A"], false),
        ];
        let got = run("a\nb\nc\n", &chunks);
        assert!(
            got.contains("matches at line 1, before the previous chunk"),
            "{got}"
        );
    }

    #[test]
    fn missing_anchor_is_an_error() {
        let got = run("a\n", &[chunk(&["fn nope"], &["a"], &["b"], false)]);
        assert!(got.contains("`@@ fn nope`"), "{got}");
    }

    #[test]
    fn leniently_matched_context_is_written_as_the_file_has_it() {
        let got = run(
            "x = \"a\"  \ny\n",
            &[chunk(
                &[],
                &["x = \u{201c}a\u{201d}", "y"],
                &["x = \u{201c}a\u{201d}", "z"],
                false,
            )],
        );
        assert_eq!(got, "x = \"a\"  \nz\n");
    }

    #[test]
    fn crlf_content_stays_crlf() {
        assert_eq!(
            run("a\r\nb\r\n", &[chunk(&[], &["b"], &["c"], false)]),
            "a\r\nc\r\n"
        );
    }

    #[test]
    fn diff_shows_only_the_changed_lines_with_context() {
        let content: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let chunks = [chunk(&[], &["10"], &["ten"], false)];
        let updated = apply_chunks("f", "g", &content, &chunks).map_err(|e| e.to_string());
        let diff = updated.map(|u| u.diff);
        assert_eq!(
            diff.as_deref(),
            Ok("--- a/g\n+++ b/g\n@@ -7,7 +7,7 @@\n 7\n 8\n 9\n-10\n+ten\n 11\n 12\n 13\n")
        );
    }

    #[test]
    fn deleting_every_line_leaves_an_empty_file() {
        assert_eq!(run("a\n", &[chunk(&[], &["a"], &[], false)]), "");
    }
}
