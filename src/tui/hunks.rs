//! A unified diff read into files and hunks, and reverting one hunk in the workspace by applying
//! it in reverse: the hunk's new side is found in the file (where the header says, else the
//! nearest place it matches exactly) and replaced by its old side.

use crate::sandbox::beneath::Beneath;
use std::io::Read;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub header: String,
    pub old_start: usize,
    pub new_start: usize,
    /// Lines with their `' '`, `'+'`, `'-'` or `'\\'` marker.
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileDiff {
    /// `None` for a created file.
    pub old_path: Option<String>,
    /// `None` for a deleted file.
    pub new_path: Option<String>,
    pub hunks: Vec<Hunk>,
    /// Other lines (`new file mode`, `Binary files … differ`).
    pub notes: Vec<String>,
}

impl FileDiff {
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or("?")
    }

    /// Added and removed lines.
    pub fn counts(&self) -> (usize, usize) {
        let mut add = 0;
        let mut del = 0;
        for l in self.hunks.iter().flat_map(|h| &h.lines) {
            if l.starts_with('+') {
                add += 1;
            } else if l.starts_with('-') {
                del += 1;
            }
        }
        (add, del)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RevertError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the hunk no longer matches {path}: the file changed since the diff was made")]
    NoMatch { path: String },
}

/// Reads a git-style unified diff.
pub fn parse(diff: &str) -> Vec<FileDiff> {
    let mut files: Vec<FileDiff> = Vec::new();
    let mut lines = diff.lines().peekable();
    // Between `diff --git` and its `---` line, which then belongs to the same file.
    let mut git_header = false;
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            // The header names both sides; `---`/`+++` (absent for empty and binary files)
            // refine them.
            let (a, b) = rest.split_once(" b/").unwrap_or((rest, rest));
            files.push(FileDiff {
                old_path: side_path(a, "a/"),
                new_path: side_path(b, ""),
                ..FileDiff::default()
            });
            git_header = true;
        } else if let Some(p) = line.strip_prefix("--- ") {
            if !std::mem::take(&mut git_header) {
                files.push(FileDiff::default());
            }
            if let Some(f) = files.last_mut() {
                f.old_path = side_path(p, "a/");
            }
        } else if let Some(p) = line.strip_prefix("+++ ") {
            if let Some(f) = files.last_mut() {
                f.new_path = side_path(p, "b/");
            }
        } else if let Some((old_start, old_len, new_start, new_len)) = hunk_header(line) {
            let mut hunk = Hunk {
                header: line.to_string(),
                old_start,
                new_start,
                lines: Vec::new(),
            };
            let (mut old_left, mut new_left) = (old_len, new_len);
            while old_left + new_left > 0 || lines.peek().is_some_and(|l| l.starts_with('\\')) {
                let Some(l) = lines.next() else { break };
                match l.chars().next() {
                    Some('+') => new_left = new_left.saturating_sub(1),
                    Some('-') => old_left = old_left.saturating_sub(1),
                    Some('\\') => {}
                    _ => {
                        old_left = old_left.saturating_sub(1);
                        new_left = new_left.saturating_sub(1);
                    }
                }
                let l = if l.is_empty() { " " } else { l };
                hunk.lines.push(l.to_string());
            }
            if let Some(f) = files.last_mut() {
                f.hunks.push(hunk);
            }
        } else if let Some(f) = files.last_mut() {
            if line.starts_with("new file") {
                f.old_path = None;
            } else if line.starts_with("deleted file") {
                f.new_path = None;
            }
            f.notes.push(line.to_string());
        }
    }
    files
}

/// `a/x` → `x`; `/dev/null` → `None`.
fn side_path(p: &str, prefix: &str) -> Option<String> {
    let p = p.split('\t').next().unwrap_or(p).trim();
    if p == "/dev/null" {
        return None;
    }
    let p = unquote(p);
    Some(p.strip_prefix(prefix).unwrap_or(&p).to_string())
}

/// git's C-style quoting of unusual paths: `"a/caf\303\251.txt"` → `a/café.txt`.
fn unquote(p: &str) -> String {
    let Some(inner) = p.strip_prefix('"').and_then(|q| q.strip_suffix('"')) else {
        return p.to_string();
    };
    let mut bytes = Vec::with_capacity(inner.len());
    let mut it = inner.bytes().peekable();
    while let Some(b) = it.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match it.next() {
            Some(d @ b'0'..=b'7') => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(n @ b'0'..=b'7') = it.peek().copied() {
                        v = v * 8 + u32::from(n - b'0');
                        it.next();
                    }
                }
                bytes.push(v as u8);
            }
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(other) => bytes.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `@@ -a,b +c,d @@` → (a, b, c, d); a missing length is 1.
fn hunk_header(line: &str) -> Option<(usize, usize, usize, usize)> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let range = |r: &str| -> Option<(usize, usize)> {
        match r.split_once(',') {
            Some((s, l)) => Some((s.parse().ok()?, l.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (a, b) = range(old)?;
    let (c, d) = range(new)?;
    Some((a, b, c, d))
}

/// The two sides of a hunk, and whether each ends without a newline at the end of the file.
struct Sides {
    old: Vec<String>,
    new: Vec<String>,
    old_no_eol: bool,
    new_no_eol: bool,
}

fn sides(h: &Hunk) -> Sides {
    let mut s = Sides {
        old: Vec::new(),
        new: Vec::new(),
        old_no_eol: false,
        new_no_eol: false,
    };
    let mut last = ' ';
    for l in &h.lines {
        let (mark, text) = l.split_at(l.chars().next().map_or(0, char::len_utf8));
        match mark {
            "+" => s.new.push(text.to_string()),
            "-" => s.old.push(text.to_string()),
            "\\" => match last {
                '+' => s.new_no_eol = true,
                '-' => s.old_no_eol = true,
                _ => {
                    s.new_no_eol = true;
                    s.old_no_eol = true;
                }
            },
            _ => {
                s.old.push(text.to_string());
                s.new.push(text.to_string());
            }
        }
        if mark != "\\" {
            last = mark.chars().next().unwrap_or(' ');
        }
    }
    s
}

/// Reverts `hunk` of `file` in the workspace at `root`.
pub fn revert(root: &Path, file: &FileDiff, hunk: &Hunk) -> Result<(), RevertError> {
    let s = sides(hunk);
    let path = file.path().to_string();
    // The path comes from a diff: it must stay inside the workspace like any tool's path, and
    // it is read and written through a handle of the root, so a link swapped in is refused.
    let no_match = || RevertError::NoMatch { path: path.clone() };
    let root = root.canonicalize().map_err(|_| no_match())?;
    let full = crate::sandbox::paths::resolve(&root, &path).map_err(|_| no_match())?;
    let rel = full.strip_prefix(&root).map_err(|_| no_match())?;
    let fs = Beneath::open(&root).map_err(|source| RevertError::Read {
        path: path.clone(),
        source,
    })?;
    let write_err = |source| RevertError::Write {
        path: path.clone(),
        source,
    };
    let write = |text: String| {
        if let Some(parent) = rel.parent() {
            fs.create_dir_all(parent).map_err(write_err)?;
        }
        fs.write_atomic(rel, text.as_bytes(), None)
            .map_err(write_err)
    };
    if file.new_path.is_none() {
        return write(join(&s.old, !s.old_no_eol));
    }
    let mut current = String::new();
    fs.open_regular(rel)
        .and_then(|(mut f, _)| f.read_to_string(&mut current))
        .map_err(|source| RevertError::Read {
            path: path.clone(),
            source,
        })?;
    if file.old_path.is_none() && file.hunks.len() == 1 {
        return fs.remove_file(rel).map_err(write_err);
    }
    let had_eol = current.ends_with('\n');
    let crlf = current.contains("\r\n");
    let mut lines: Vec<String> = current.lines().map(str::to_string).collect();
    let expected = if s.new.is_empty() {
        hunk.new_start
    } else {
        hunk.new_start.saturating_sub(1)
    };
    let at = find(&lines, &s.new, expected).ok_or(RevertError::NoMatch { path: path.clone() })?;
    let reaches_end = at + s.new.len() == lines.len();
    lines.splice(at..at + s.new.len(), s.old.iter().cloned());
    let eol = if reaches_end { !s.old_no_eol } else { had_eol };
    let text = join(&lines, eol && !lines.is_empty());
    write(if crlf {
        text.replace('\n', "\r\n")
    } else {
        text
    })
}

fn join(lines: &[String], eol: bool) -> String {
    let mut out = lines.join("\n");
    if eol && !lines.is_empty() {
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[test]
fn quoted_paths_are_unquoted() {
    assert_eq!(unquote("\"a/caf\\303\\251.txt\""), "a/café.txt");
    assert_eq!(unquote("a/plain.txt"), "a/plain.txt");
}

/// Where `needle` occurs in `lines`, the match nearest `expected` first.
fn find(lines: &[String], needle: &[String], expected: usize) -> Option<usize> {
    if needle.is_empty() {
        return (expected <= lines.len()).then_some(expected);
    }
    let fits = |i: usize| i + needle.len() <= lines.len() && lines[i..i + needle.len()] == *needle;
    (0..=lines.len()).find_map(|d| {
        [expected.checked_sub(d), Some(expected + d)]
            .into_iter()
            .flatten()
            .find(|&i| fits(i))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff_of(path: &str, old: &str, new: &str) -> String {
        crate::diff::unified(path, Some(old), Some(new))
    }

    #[test]
    fn parses_files_and_hunks() {
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let new = old.replace("line 2\n", "two\n").replace("line 18\n", "");
        let d = format!(
            "{}{}",
            diff_of("a.txt", &old, &new),
            diff_of("b.txt", "x\n", "y\n")
        );
        let files = parse(&d);
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path(), "a.txt");
        assert_eq!(files[0].hunks.len(), 2);
        assert_eq!(files[0].counts(), (1, 2));
        assert_eq!(files[1].path(), "b.txt");
    }

    #[test]
    fn reverting_one_hunk_leaves_the_other() {
        let dir = tempfile::tempdir().unwrap();
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let new = old.replace("line 2\n", "two\n").replace("line 18\n", "");
        std::fs::write(dir.path().join("a.txt"), &new).unwrap();
        let files = parse(&diff_of("a.txt", &old, &new));
        revert(dir.path(), &files[0], &files[0].hunks[1]).unwrap();
        let now = std::fs::read_to_string(dir.path().join("a.txt")).unwrap();
        assert_eq!(now, old.replace("line 2\n", "two\n"));
    }

    #[test]
    fn reverting_finds_a_hunk_that_moved() {
        let dir = tempfile::tempdir().unwrap();
        let old = "a\nb\nc\nd\n";
        let new = "a\nb\nC\nd\n";
        std::fs::write(dir.path().join("f"), format!("x\ny\n{new}")).unwrap();
        let files = parse(&diff_of("f", old, new));
        revert(dir.path(), &files[0], &files[0].hunks[0]).unwrap();
        let now = std::fs::read_to_string(dir.path().join("f")).unwrap();
        assert_eq!(now, format!("x\ny\n{old}"));
    }

    #[test]
    fn a_missing_newline_at_the_end_is_restored() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), "a\nb\n").unwrap();
        let files = parse(&diff_of("f", "a\nb", "a\nb\n"));
        revert(dir.path(), &files[0], &files[0].hunks[0]).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("f")).unwrap(),
            "a\nb"
        );
    }

    #[test]
    fn created_and_deleted_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("new.txt"), "hi\n").unwrap();
        let created = parse(&crate::diff::unified("new.txt", None, Some("hi\n")));
        revert(dir.path(), &created[0], &created[0].hunks[0]).unwrap();
        assert!(!dir.path().join("new.txt").exists());
        let deleted = parse(&crate::diff::unified("old.txt", Some("bye\n"), None));
        revert(dir.path(), &deleted[0], &deleted[0].hunks[0]).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("old.txt")).unwrap(),
            "bye\n"
        );
    }

    #[test]
    fn a_changed_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), "something else\n").unwrap();
        let files = parse(&diff_of("f", "a\n", "b\n"));
        assert!(matches!(
            revert(dir.path(), &files[0], &files[0].hunks[0]),
            Err(RevertError::NoMatch { .. })
        ));
    }
}
