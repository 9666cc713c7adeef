//! Unified diffs of file contents, the form every write tool reports its change in, so the model and
//! the user review edits the same way they would review a commit.

use similar::TextDiff;

/// A unified diff of `old` → `new` for `path`, with git-style `a/` and `b/` headers.
/// `None` for either side means the file did not exist (created or deleted).
pub fn unified(path: &str, old: Option<&str>, new: Option<&str>) -> String {
    let before = old.unwrap_or("");
    let after = new.unwrap_or("");
    if old.is_some() && new.is_some() && before == after {
        return String::new();
    }
    let a = if old.is_some() {
        format!("a/{path}")
    } else {
        "/dev/null".to_string()
    };
    let b = if new.is_some() {
        format!("b/{path}")
    } else {
        "/dev/null".to_string()
    };
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

/// Counts of added and removed lines in a unified diff, for one-line summaries (`+3 −1`).
pub fn line_counts(diff: &str) -> (usize, usize) {
    diff.lines().fold((0, 0), |(add, del), line| {
        if line.starts_with("+++") || line.starts_with("---") {
            (add, del)
        } else if line.starts_with('+') {
            (add + 1, del)
        } else if line.starts_with('-') {
            (add, del + 1)
        } else {
            (add, del)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_of_a_modified_file_has_headers_and_hunks() {
        let d = unified("src/a.rs", Some("one\ntwo\n"), Some("one\nthree\n"));
        assert!(d.contains("--- a/src/a.rs"), "{d}");
        assert!(d.contains("+++ b/src/a.rs"), "{d}");
        assert!(d.contains("-two\n+three"), "{d}");
        assert_eq!(line_counts(&d), (1, 1));
    }

    #[test]
    fn created_file_diffs_against_dev_null() {
        let d = unified("n.txt", None, Some("x\n"));
        assert!(d.starts_with("--- /dev/null\n+++ b/n.txt"), "{d}");
    }

    #[test]
    fn unchanged_file_has_empty_diff() {
        assert_eq!(unified("a", Some("x\n"), Some("x\n")), "");
    }
}
