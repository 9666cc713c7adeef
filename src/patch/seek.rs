//! Locating a block of lines in a file, from strict to lenient. Each pass compares lines under a
//! looser equivalence (exact, then ignoring trailing whitespace, then surrounding whitespace, then
//! also Unicode lookalikes) and the first pass with any match decides: one match is the place, two
//! are an error, because a guessed location silently corrupts a file. Reusable by any tool that
//! must find "this snippet" in a file (the edit tool), not only by `apply_patch`.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::ops::Range;

use super::normalize;

/// How loosely lines were compared when a match was found, strictest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Leniency {
    /// Byte-for-byte equal lines.
    Exact,
    /// Equal once trailing whitespace is ignored (editors and models drop it).
    TrailingWhitespace,
    /// Equal once leading and trailing whitespace is ignored (re-indented copies).
    Whitespace,
    /// Equal once whitespace is trimmed and typographic lookalikes are folded to ASCII.
    Lookalikes,
}

impl Leniency {
    /// Every pass, in the order they are tried.
    pub const PASSES: [Leniency; 4] = [
        Leniency::Exact,
        Leniency::TrailingWhitespace,
        Leniency::Whitespace,
        Leniency::Lookalikes,
    ];

    /// The form of `line` this pass compares.
    pub fn key(self, line: &str) -> Cow<'_, str> {
        match self {
            Leniency::Exact => Cow::Borrowed(line),
            Leniency::TrailingWhitespace => Cow::Borrowed(line.trim_end()),
            Leniency::Whitespace => Cow::Borrowed(line.trim()),
            Leniency::Lookalikes => normalize::fold(line),
        }
    }

    /// Words for messages: "matches {describe} at lines …".
    pub fn describe(self) -> &'static str {
        match self {
            Leniency::Exact => "exactly",
            Leniency::TrailingWhitespace => "(ignoring trailing whitespace)",
            Leniency::Whitespace => "(ignoring indentation and trailing whitespace)",
            Leniency::Lookalikes => "(ignoring whitespace and Unicode punctuation lookalikes)",
        }
    }
}

/// Where a block was found: the index of its first line, and the pass that found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub leniency: Leniency,
}

/// Why no single place was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SeekError {
    #[error("the lines were not found")]
    NotFound,
    /// The first two 0-based start lines of the pass that matched more than once.
    #[error("the lines match {} at lines {} and {}", leniency.describe(), first + 1, second + 1)]
    Ambiguous {
        first: usize,
        second: usize,
        leniency: Leniency,
    },
}

/// The lines of one file, with each pass's view computed on first use and then kept, so a file
/// searched by many chunks normalises and fingerprints each line at most once per pass.
pub struct Haystack<'a> {
    lines: &'a [&'a str],
    views: [OnceCell<View<'a>>; 4],
}

/// The file as one pass compares it.
struct View<'a> {
    /// The compared form of each line; empty for the exact pass, which uses the lines themselves.
    keys: Vec<Cow<'a, str>>,
    /// A fingerprint of each compared line: scanning compares integers and only confirms
    /// fingerprint hits on the text, which keeps a scan of a large file to a few microseconds.
    prints: Vec<u64>,
}

impl<'a> Haystack<'a> {
    pub fn new(lines: &'a [&'a str]) -> Self {
        Self {
            lines,
            views: Default::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn lines(&self) -> &'a [&'a str] {
        self.lines
    }

    /// The unique start of `block` at index `from` or later, trying each pass in turn. With
    /// `at_eof` the block must end at the last line. An empty block matches at `from`.
    pub fn find(&self, block: &[&str], from: usize, at_eof: bool) -> Result<Found, SeekError> {
        if block.is_empty() {
            return Ok(Found {
                start: from.min(self.len()),
                leniency: Leniency::Exact,
            });
        }
        let Some(starts) = self.starts(block.len(), from, at_eof) else {
            return Err(SeekError::NotFound);
        };
        for leniency in Leniency::PASSES {
            let keys: Vec<Cow<'_, str>> = block.iter().map(|l| leniency.key(l)).collect();
            match self.scan(leniency, &keys, starts.clone(), 2).as_slice() {
                [] => continue,
                [start] => {
                    return Ok(Found {
                        start: *start,
                        leniency,
                    })
                }
                [first, second, ..] => {
                    return Err(SeekError::Ambiguous {
                        first: *first,
                        second: *second,
                        leniency,
                    })
                }
            }
        }
        Err(SeekError::NotFound)
    }

    /// The first line at `from` or later equal to `line` under the strictest pass that finds one.
    /// Used for `@@` locators, which point at the nearest occurrence rather than a unique one.
    pub fn find_line(&self, line: &str, from: usize) -> Option<usize> {
        let starts = self.starts(1, from, false)?;
        Leniency::PASSES.into_iter().find_map(|leniency| {
            let key = [leniency.key(line)];
            self.scan(leniency, &key, starts.clone(), 1)
                .first()
                .copied()
        })
    }

    /// The lines in their most lenient form, for diagnostics that look for near misses.
    pub fn folded(&self) -> &[Cow<'a, str>] {
        &self.view(Leniency::Lookalikes).keys
    }

    /// The view for `leniency`, computed on first use.
    fn view(&self, leniency: Leniency) -> &View<'a> {
        self.views[leniency as usize].get_or_init(|| {
            if leniency == Leniency::Exact {
                let prints = self.lines.iter().map(|l| fingerprint(l)).collect();
                return View {
                    keys: Vec::new(),
                    prints,
                };
            }
            let keys: Vec<Cow<'a, str>> = self.lines.iter().map(|l| leniency.key(l)).collect();
            let prints = keys.iter().map(|k| fingerprint(k)).collect();
            View { keys, prints }
        })
    }

    /// Candidate start indices for a block of `len` lines, or `None` when none fits.
    fn starts(&self, len: usize, from: usize, at_eof: bool) -> Option<Range<usize>> {
        let last = self.lines.len().checked_sub(len)?;
        if at_eof {
            return (from <= last).then_some(last..last + 1);
        }
        (from <= last).then_some(from..last + 1)
    }

    /// Up to `limit` start indices where `keys` match under `leniency`.
    fn scan(
        &self,
        leniency: Leniency,
        keys: &[Cow<'_, str>],
        starts: Range<usize>,
        limit: usize,
    ) -> Vec<usize> {
        let view = self.view(leniency);
        if leniency == Leniency::Exact {
            scan(self.lines, &view.prints, keys, starts, limit)
        } else {
            scan(&view.keys, &view.prints, keys, starts, limit)
        }
    }
}

/// The starts in `starts` where every key equals the line at the same offset, at most `limit`.
/// Candidates are found on fingerprints and confirmed on the text. Generic so the exact pass
/// compares the file's own slices with no intermediate copies.
fn scan<T: AsRef<str>>(
    hay: &[T],
    prints: &[u64],
    keys: &[Cow<'_, str>],
    starts: Range<usize>,
    limit: usize,
) -> Vec<usize> {
    let want: Vec<u64> = keys.iter().map(|k| fingerprint(k)).collect();
    let mut hits = Vec::new();
    let mut start = starts.start;
    while let Some(offset) = prints[start..starts.end].iter().position(|&p| p == want[0]) {
        start += offset;
        let window = start..start + keys.len();
        let same = prints[window.clone()] == want[..]
            && hay[window]
                .iter()
                .zip(keys)
                .all(|(h, k)| h.as_ref() == k.as_ref());
        if same {
            hits.push(start);
            if hits.len() == limit {
                break;
            }
        }
        start += 1;
    }
    hits
}

/// A fast 64-bit hash of a line, a word at a time (the FxHash mix). Not collision-proof, and it
/// need not be: equal fingerprints are always confirmed by comparing the text.
fn fingerprint(line: &str) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(K);
    let bytes = line.as_bytes();
    let mut chunks = bytes.chunks_exact(8);
    let mut h = mix(0, bytes.len() as u64);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = mix(h, u64::from_le_bytes(word));
    }
    let rest = chunks.remainder();
    let mut word = [0u8; 8];
    word[..rest.len()].copy_from_slice(rest);
    mix(h, u64::from_le_bytes(word))
}

/// Finds the one place `block` occurs in `lines`, strict to lenient; for tools that replace a
/// quoted snippet. Ambiguity is an error rather than a pick.
pub fn find_unique(lines: &[&str], block: &[&str]) -> Result<Found, SeekError> {
    Haystack::new(lines).find(block, 0, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &[&str] = &[
        "fn a() {",
        "    one();",
        "}",
        "",
        "fn b() {",
        "    two();  ",
        "}",
    ];

    #[test]
    fn exact_match_wins_and_reports_its_pass() {
        let found = find_unique(FILE, &["fn b() {"]);
        assert_eq!(
            found,
            Ok(Found {
                start: 4,
                leniency: Leniency::Exact
            })
        );
    }

    #[test]
    fn trailing_whitespace_is_tolerated_in_a_later_pass() {
        let found = find_unique(FILE, &["fn b() {", "    two();"]);
        assert_eq!(
            found,
            Ok(Found {
                start: 4,
                leniency: Leniency::TrailingWhitespace
            })
        );
    }

    #[test]
    fn reindented_lines_match_in_the_whitespace_pass() {
        let found = find_unique(FILE, &["fn a() {", "one();", "}"]);
        assert_eq!(
            found,
            Ok(Found {
                start: 0,
                leniency: Leniency::Whitespace
            })
        );
    }

    #[test]
    fn unicode_lookalikes_match_in_the_last_pass() {
        let file = ["let s = \"a - b\";", "x"];
        let found = find_unique(&file, &["let s = \u{201c}a \u{2013} b\u{201d};"]);
        assert_eq!(
            found,
            Ok(Found {
                start: 0,
                leniency: Leniency::Lookalikes
            })
        );
    }

    #[test]
    fn two_matches_in_the_same_pass_are_ambiguous() {
        let found = find_unique(FILE, &["}"]);
        assert_eq!(
            found,
            Err(SeekError::Ambiguous {
                first: 2,
                second: 6,
                leniency: Leniency::Exact
            })
        );
    }

    #[test]
    fn a_unique_strict_match_beats_lenient_duplicates() {
        let file = ["x();", "  x();", "x();  "];
        assert_eq!(
            find_unique(&file, &["  x();"]),
            Ok(Found {
                start: 1,
                leniency: Leniency::Exact
            })
        );
    }

    #[test]
    fn search_starts_at_from() {
        let hay = Haystack::new(FILE);
        assert_eq!(hay.find(&["}"], 3, false).map(|f| f.start), Ok(6));
    }

    #[test]
    fn end_of_file_anchor_only_matches_the_last_lines() {
        let hay = Haystack::new(FILE);
        assert_eq!(hay.find(&["}"], 0, true).map(|f| f.start), Ok(6));
        assert_eq!(hay.find(&["fn a() {"], 0, true), Err(SeekError::NotFound));
    }

    #[test]
    fn missing_and_oversized_blocks_are_not_found() {
        assert_eq!(find_unique(FILE, &["nope"]), Err(SeekError::NotFound));
        assert_eq!(find_unique(&["a"], &["a", "b"]), Err(SeekError::NotFound));
    }

    #[test]
    fn empty_block_matches_where_the_search_starts() {
        let hay = Haystack::new(FILE);
        assert_eq!(
            hay.find(&[], 3, false),
            Ok(Found {
                start: 3,
                leniency: Leniency::Exact
            })
        );
    }

    #[test]
    fn fingerprints_distinguish_lines_and_depend_on_every_byte() {
        assert_eq!(fingerprint("abcdefghij"), fingerprint("abcdefghij"));
        assert_ne!(fingerprint("abcdefghij"), fingerprint("abcdefghik"));
        assert_ne!(fingerprint(""), fingerprint("\0"));
    }

    #[test]
    fn find_line_takes_the_first_occurrence_after_from() {
        let hay = Haystack::new(FILE);
        assert_eq!(hay.find_line("}", 0), Some(2));
        assert_eq!(hay.find_line("  fn b() {", 1), Some(4));
        assert_eq!(hay.find_line("fn c()", 0), None);
    }
}
