//! The unified diff of an update, built from the edits the patch made instead of re-diffing the
//! whole file. Only the replaced windows are diffed, so a 50-chunk patch on a 20,000-line file
//! costs 50 tiny diffs rather than one whole-file diff (which alone would blow the latency
//! budget). The output has the same shape as [`crate::diff::unified`]: `a/`/`b/` headers, three
//! lines of context, and `\ No newline at end of file` where the old file lacked one.

use std::ops::Range;

use similar::{
    capture_diff_slices, group_diff_ops, udiff::UnifiedHunkHeader, Algorithm, DiffOp, DiffTag,
};

/// Lines of context around each change, as in `crate::diff::unified`.
const CONTEXT: usize = 3;

/// Where an edit sits: `old_len` lines at `old_start` became `new_len` lines at `new_start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub old_start: usize,
    pub old_len: usize,
    pub new_start: usize,
    pub new_len: usize,
}

/// The diff of `old` → `new` for `path`, given the regions (in order) outside of which the two
/// are identical. `old_missing_newline`: the old file's last line had no line break.
pub fn render(
    path: &str,
    old: &[&str],
    new: &[&str],
    regions: &[Region],
    old_missing_newline: bool,
) -> String {
    let mut ops = ops(old, new, regions);
    if old_missing_newline {
        mark_last_line_changed(&mut ops, old.len());
    }
    let ops = merge(ops);
    if ops.iter().all(|op| op.tag() == DiffTag::Equal) {
        return String::new();
    }
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let last_old = old.len().checked_sub(1).filter(|_| old_missing_newline);
    for group in group_diff_ops(ops, CONTEXT) {
        out.push_str(&format!("{}\n", UnifiedHunkHeader::new(&group)));
        for op in &group {
            let (tag, old_range, new_range) = op.as_tag_tuple();
            if tag != DiffTag::Insert {
                let sign = if tag == DiffTag::Equal { ' ' } else { '-' };
                for i in old_range {
                    push_line(&mut out, sign, old[i], Some(i) == last_old);
                }
            }
            if matches!(tag, DiffTag::Insert | DiffTag::Replace) {
                for j in new_range {
                    push_line(&mut out, '+', new[j], false);
                }
            }
        }
    }
    out
}

fn push_line(out: &mut String, sign: char, line: &str, no_newline: bool) {
    out.push(sign);
    out.push_str(line);
    out.push('\n');
    if no_newline {
        out.push_str("\\ No newline at end of file\n");
    }
}

/// Diff operations over the whole file: equal runs between regions, real diffs inside them.
fn ops(old: &[&str], new: &[&str], regions: &[Region]) -> Vec<DiffOp> {
    let mut ops = Vec::new();
    let (mut o, mut n) = (0, 0);
    for r in regions {
        push_equal(&mut ops, o, n, r.old_start - o);
        let window = capture_diff_slices(
            Algorithm::Myers,
            &old[r.old_start..r.old_start + r.old_len],
            &new[r.new_start..r.new_start + r.new_len],
        );
        ops.extend(
            window
                .into_iter()
                .map(|op| shift(op, r.old_start, r.new_start)),
        );
        (o, n) = (r.old_start + r.old_len, r.new_start + r.new_len);
    }
    push_equal(&mut ops, o, n, old.len() - o);
    ops
}

/// `ops` with neighbours of the same kind joined: runs of equal lines split at region borders
/// become one (so context is trimmed to three lines), and adjacent changes become one replacement
/// (all `-` lines, then all `+` lines), as a whole-file diff would show them.
fn merge(ops: Vec<DiffOp>) -> Vec<DiffOp> {
    let mut merged: Vec<DiffOp> = Vec::with_capacity(ops.len());
    for op in ops {
        let (tag, old, new) = op.as_tag_tuple();
        let Some(last) = merged.last_mut() else {
            merged.push(op);
            continue;
        };
        let (last_tag, last_old, last_new) = last.as_tag_tuple();
        match (last_tag == DiffTag::Equal, tag == DiffTag::Equal) {
            (true, true) => {
                *last = DiffOp::Equal {
                    old_index: last_old.start,
                    new_index: last_new.start,
                    len: last_old.len() + old.len(),
                }
            }
            (false, false) => *last = change(last_old.start..old.end, last_new.start..new.end),
            _ => merged.push(op),
        }
    }
    merged
}

/// The change op replacing `old` lines with `new` lines.
fn change(old: Range<usize>, new: Range<usize>) -> DiffOp {
    let (old_index, old_len, new_index, new_len) = (old.start, old.len(), new.start, new.len());
    match (old_len, new_len) {
        (_, 0) => DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        },
        (0, _) => DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        },
        _ => DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        },
    }
}

fn push_equal(ops: &mut Vec<DiffOp>, old_index: usize, new_index: usize, len: usize) {
    if len > 0 {
        ops.push(DiffOp::Equal {
            old_index,
            new_index,
            len,
        });
    }
}

/// `op` moved from window coordinates to file coordinates.
fn shift(op: DiffOp, by_old: usize, by_new: usize) -> DiffOp {
    match op {
        DiffOp::Equal {
            old_index,
            new_index,
            len,
        } => DiffOp::Equal {
            old_index: old_index + by_old,
            new_index: new_index + by_new,
            len,
        },
        DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        } => DiffOp::Delete {
            old_index: old_index + by_old,
            old_len,
            new_index: new_index + by_new,
        },
        DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        } => DiffOp::Insert {
            old_index: old_index + by_old,
            new_index: new_index + by_new,
            new_len,
        },
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => DiffOp::Replace {
            old_index: old_index + by_old,
            old_len,
            new_index: new_index + by_new,
            new_len,
        },
    }
}

/// The old last line lacked its line break and the written file has one, so an "equal" last
/// line is in fact changed: split it off as a one-line replacement, as a whole-file diff shows it.
fn mark_last_line_changed(ops: &mut Vec<DiffOp>, old_len: usize) {
    let Some(last) = old_len.checked_sub(1) else {
        return;
    };
    let Some(at) = ops.iter().position(|op| op.old_range().contains(&last)) else {
        return;
    };
    let DiffOp::Equal {
        old_index,
        new_index,
        len,
    } = ops[at]
    else {
        return;
    };
    let replace = DiffOp::Replace {
        old_index: last,
        old_len: 1,
        new_index: new_index + len - 1,
        new_len: 1,
    };
    if len == 1 {
        ops[at] = replace;
    } else {
        ops[at] = DiffOp::Equal {
            old_index,
            new_index,
            len: len - 1,
        };
        ops.insert(at + 1, replace);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Diffs two texts by treating one region covering both whole files, checked against the
    /// crate's whole-file diff.
    fn both(old: &str, new: &str, region: Region) -> (String, String) {
        let old_lines: Vec<&str> = old.lines().collect();
        let new_lines: Vec<&str> = new.lines().collect();
        let missing = !old.is_empty() && !old.ends_with('\n');
        let ours = render("f.txt", &old_lines, &new_lines, &[region], missing);
        (ours, crate::diff::unified("f.txt", Some(old), Some(new)))
    }

    fn region(old_start: usize, old_len: usize, new_start: usize, new_len: usize) -> Region {
        Region {
            old_start,
            old_len,
            new_start,
            new_len,
        }
    }

    #[test]
    fn matches_the_whole_file_diff_for_a_replacement() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n";
        let (ours, theirs) = both(old, new, region(3, 3, 3, 3));
        assert_eq!(ours, theirs);
    }

    #[test]
    fn matches_the_whole_file_diff_for_far_apart_regions() {
        let old: String = (0..40).map(|i| format!("{i}\n")).collect();
        let new = old
            .replace("\n5\n", "\nfive\n")
            .replace("\n30\n", "\n30\nthirty-and-a-bit\n");
        let old_lines: Vec<&str> = old.lines().collect();
        let new_lines: Vec<&str> = new.lines().collect();
        let regions = [region(4, 3, 4, 3), region(29, 3, 29, 4)];
        let ours = render("f.txt", &old_lines, &new_lines, &regions, false);
        assert_eq!(ours, crate::diff::unified("f.txt", Some(&old), Some(&new)));
        assert_eq!(ours.matches("@@ -").count(), 2, "{ours}");
    }

    #[test]
    fn matches_the_whole_file_diff_when_the_old_file_lacked_a_final_newline() {
        let (ours, theirs) = both("a\nb\nc", "a\nB\nc\n", region(1, 1, 1, 1));
        assert_eq!(ours, theirs);
        let (ours, theirs) = both("a\nb", "a\nb\nc\n", region(2, 0, 2, 1));
        assert_eq!(ours, theirs);
    }

    #[test]
    fn unchanged_text_has_an_empty_diff() {
        assert_eq!(
            render("f", &["a"], &["a"], &[region(0, 1, 0, 1)], false),
            ""
        );
        assert_eq!(render("f", &["a"], &["a"], &[], false), "");
    }

    #[test]
    fn insertion_into_an_empty_file() {
        let (ours, theirs) = both("", "x\ny\n", region(0, 0, 0, 2));
        assert_eq!(ours, theirs);
    }
}
