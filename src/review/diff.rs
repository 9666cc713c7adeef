//! The change under review, read from `git diff` output: per file, the hunks' new-side lines.
//! A finding is held to these lines: a location outside every hunk is not about the change.

use std::collections::BTreeMap;

/// One file of the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// The path on the new side (workspace-relative, as git prints it).
    pub path: String,
    /// The file's part of the diff text, headers included, for the model.
    pub text: String,
    /// New-side line number → its text, for every line a hunk shows on the new side (added and
    /// context lines).
    pub new_lines: BTreeMap<u32, String>,
    /// The new-side lines the change added.
    pub added: Vec<u32>,
}

impl FileDiff {
    /// Whether `start..=end` touches a line a hunk shows on the new side.
    pub fn covers(&self, start: u32, end: u32) -> bool {
        self.new_lines.range(start..=end).next().is_some()
    }

    /// The new-side text of `start..=end` (lines outside the hunks are skipped).
    pub fn lines(&self, start: u32, end: u32) -> Vec<&str> {
        self.new_lines
            .range(start..=end)
            .map(|(_, t)| t.as_str())
            .collect()
    }
}

/// The whole change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub files: Vec<FileDiff>,
}

impl Diff {
    pub fn file(&self, path: &str) -> Option<&FileDiff> {
        self.files.iter().find(|f| f.path == path)
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The diff text of every file, in order.
    pub fn text(&self) -> String {
        self.files.iter().map(|f| f.text.as_str()).collect()
    }

    /// Parses `git diff` output (unified, no colour). Deleted files are left out: nothing on
    /// their new side can carry a finding. Binary files have no hunks and are kept with none.
    pub fn parse(text: &str) -> Diff {
        let mut files = Vec::new();
        for section in split_files(text) {
            if let Some(file) = parse_file(&section) {
                files.push(file);
            }
        }
        Diff { files }
    }

    /// Splits the files into groups whose diff text stays under `limit` bytes, in order, so each
    /// group can be reviewed in a context of its own; a file over the limit is a group alone.
    pub fn groups(&self, limit: usize) -> Vec<Diff> {
        let mut groups: Vec<Diff> = Vec::new();
        let mut size = 0;
        for f in &self.files {
            let fits =
                groups.last().is_some_and(|g| !g.files.is_empty()) && size + f.text.len() <= limit;
            if !fits {
                groups.push(Diff::default());
                size = 0;
            }
            size += f.text.len();
            if let Some(g) = groups.last_mut() {
                g.files.push(f.clone());
            }
        }
        groups
    }
}

/// The diff cut at each `diff --git` line.
fn split_files(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("diff --git ") || out.is_empty() {
            out.push(String::new());
        }
        if let Some(cur) = out.last_mut() {
            cur.push_str(line);
        }
    }
    out.retain(|s| s.starts_with("diff --git "));
    out
}

fn parse_file(section: &str) -> Option<FileDiff> {
    let mut path = None;
    let mut new_lines = BTreeMap::new();
    let mut added = Vec::new();
    let mut next_new: Option<u32> = None;
    let mut in_hunk = false;
    for line in section.lines() {
        if !in_hunk {
            if let Some(p) = line.strip_prefix("+++ ") {
                if p == "/dev/null" {
                    return None;
                }
                path = Some(p.strip_prefix("b/").unwrap_or(p).to_string());
                continue;
            }
        }
        if let Some(start) = hunk_new_start(line) {
            next_new = Some(start);
            in_hunk = true;
            continue;
        }
        let Some(n) = next_new else { continue };
        match line.as_bytes().first() {
            Some(b'+') => {
                new_lines.insert(n, line[1..].to_string());
                added.push(n);
                next_new = Some(n + 1);
            }
            Some(b' ') => {
                new_lines.insert(n, line[1..].to_string());
                next_new = Some(n + 1);
            }
            // A removed line, or "\ No newline at end of file": nothing on the new side.
            Some(b'-') | Some(b'\\') => {}
            // An empty context line (some tools strip the leading space).
            None => {
                new_lines.insert(n, String::new());
                next_new = Some(n + 1);
            }
            _ => {}
        }
    }
    // A binary or mode-only change has no `+++` line: take the path from the header.
    let path = path.or_else(|| header_path(section))?;
    Some(FileDiff {
        path,
        text: section.to_string(),
        new_lines,
        added,
    })
}

/// `c` in `@@ -a,b +c,d @@`.
fn hunk_new_start(line: &str) -> Option<u32> {
    let rest = line.strip_prefix("@@ -")?;
    let (_, after) = rest.split_once(" +")?;
    let new = after.split(' ').next()?;
    new.split(',').next()?.parse().ok()
}

/// The `b/` path of a `diff --git a/x b/x` header (unquoted paths only).
fn header_path(section: &str) -> Option<String> {
    let first = section.lines().next()?;
    let (_, b) = first.rsplit_once(" b/")?;
    Some(b.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_FILES: &str = "diff --git a/src/a.rs b/src/a.rs
index 1111111..2222222 100644
--- a/src/a.rs
+++ b/src/a.rs
@@ -1,4 +1,5 @@
 fn a() {
-    let x = 1;
+    let x = 2;
+    let y = x;
 }
 
@@ -20,2 +21,2 @@ fn b() {
-    old();
+    new();
     end();
diff --git a/gone.rs b/gone.rs
deleted file mode 100644
--- a/gone.rs
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/new.txt b/new.txt
new file mode 100644
--- /dev/null
+++ b/new.txt
@@ -0,0 +1,2 @@
+one
+two
";

    #[test]
    fn new_side_lines_are_numbered_per_hunk() {
        let d = Diff::parse(TWO_FILES);
        let paths: Vec<&str> = d.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["src/a.rs", "new.txt"]);
        let a = &d.files[0];
        assert_eq!(a.added, [2, 3, 21]);
        assert_eq!(
            a.new_lines.get(&3).map(String::as_str),
            Some("    let y = x;")
        );
        assert_eq!(a.new_lines.get(&22).map(String::as_str), Some("    end();"));
        assert!(a.covers(3, 3) && a.covers(10, 21) && !a.covers(6, 20) && !a.covers(23, 40));
        assert_eq!(d.files[1].added, [1, 2]);
    }

    #[test]
    fn groups_stay_under_the_limit_and_keep_order() {
        let d = Diff::parse(TWO_FILES);
        let sizes: Vec<usize> = d.files.iter().map(|f| f.text.len()).collect();
        assert_eq!(d.groups(usize::MAX).len(), 1);
        let groups = d.groups(sizes[0]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].files[0].path, "src/a.rs");
        assert_eq!(groups[1].files[0].path, "new.txt");
        // A file larger than the limit is reviewed alone rather than dropped.
        assert_eq!(d.groups(1).len(), 2);
    }
}
