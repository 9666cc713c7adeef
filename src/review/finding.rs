//! Findings: what the model reports, how each is held to the diff, and the stable id that lets
//! reruns be compared and a dismissed finding stay quiet.

use super::diff::Diff;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

pub use crate::types::Priority;

/// One finding, as the model gives it (validated against docs/review.schema.json first) and as
/// the report carries it once reins has set its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Set by reins (the model's own id, if any, is replaced).
    #[serde(default)]
    pub id: String,
    pub path: String,
    pub line_start: u32,
    pub line_end: u32,
    pub priority: Priority,
    pub confidence: f64,
    pub title: String,
    pub explanation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_fix: Option<String>,
    /// A shell command that fails because of the problem (asked for where the project has
    /// checks); see [`super::repro`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproduce: Option<String>,
    /// Set by reins when the reproducing command failed as claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproduced: Option<Reproduced>,
}

/// A reproducing command that failed, as the report shows it (see [`super::repro`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reproduced {
    pub exit_code: i32,
    /// The end of its output.
    pub output: String,
}

/// The model's whole answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Answer {
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
    #[serde(default)]
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The change is correct as far as the review can tell.
    Correct,
    /// The change has at least one real problem.
    Incorrect,
}

/// A finding that is not reported, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dropped {
    pub finding: Finding,
    pub reason: String,
}

/// Holds each finding to the diff: a path not in the change, or lines outside its hunks' new
/// side, drops the finding with a note. Kept findings get their stable id; duplicates (the same
/// id from two parts of a split review) are kept once.
pub fn place(findings: Vec<Finding>, diff: &Diff) -> (Vec<Finding>, Vec<Dropped>) {
    let mut kept: Vec<Finding> = Vec::new();
    let mut dropped = Vec::new();
    let mut seen = BTreeSet::new();
    for mut f in findings {
        // Only reins says a command reproduced the problem.
        f.reproduced = None;
        if f.line_end < f.line_start {
            std::mem::swap(&mut f.line_start, &mut f.line_end);
        }
        let Some(file) = diff.file(&f.path) else {
            dropped.push(Dropped {
                reason: format!("{} is not part of the change", f.path),
                finding: f,
            });
            continue;
        };
        if f.line_start == 0 || !file.covers(f.line_start, f.line_end) {
            dropped.push(Dropped {
                reason: format!(
                    "lines {}-{} of {} are not on the new side of the diff",
                    f.line_start, f.line_end, f.path
                ),
                finding: f,
            });
            continue;
        }
        f.id = stable_id(&f.path, &file.lines(f.line_start, f.line_end), &f.title);
        if seen.insert(f.id.clone()) {
            kept.push(f);
        }
    }
    (kept, dropped)
}

/// `path`, the finding's lines and its title, each with whitespace collapsed (and the title's
/// case folded), hashed: the same problem keeps its id when the code around it moves or the
/// model words the title with other spacing.
pub fn stable_id(path: &str, lines: &[&str], title: &str) -> String {
    let collapse = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let body: Vec<String> = lines
        .iter()
        .map(|l| collapse(l))
        .filter(|l| !l.is_empty())
        .collect();
    let mut h = Sha256::new();
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body.join("\n").as_bytes());
    h.update([0]);
    h.update(collapse(title).to_lowercase().as_bytes());
    let digest = h.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("R{hex}")
}

/// The ids listed in `.reins/review-dismissed`: one per line, the first word counts, `#` starts
/// a comment (so a reason can follow the id).
pub fn dismissed_ids(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(path: &str, start: u32, end: u32, title: &str) -> Finding {
        Finding {
            id: "model-id".into(),
            path: path.into(),
            line_start: start,
            line_end: end,
            priority: Priority::P1,
            confidence: 0.9,
            title: title.into(),
            explanation: "e".into(),
            suggested_fix: None,
            reproduce: None,
            reproduced: None,
        }
    }

    const DIFF: &str = "diff --git a/a.py b/a.py
--- a/a.py
+++ b/a.py
@@ -10,3 +10,3 @@ def f():
     x = 1
-    return x
+    return x + 1
     pass
";

    #[test]
    fn findings_off_the_diff_are_dropped_with_a_reason() {
        let diff = Diff::parse(DIFF);
        let (kept, dropped) = place(
            vec![
                finding("a.py", 11, 11, "off by one"),
                finding("a.py", 40, 41, "elsewhere"),
                finding("b.py", 1, 1, "another file"),
                finding("a.py", 0, 0, "line zero"),
            ],
            &diff,
        );
        assert_eq!(kept.len(), 1);
        assert!(kept[0].id.starts_with('R') && kept[0].id != "model-id");
        let reasons: Vec<&str> = dropped.iter().map(|d| d.reason.as_str()).collect();
        assert_eq!(reasons.len(), 3);
        assert!(reasons[0].contains("not on the new side"), "{reasons:?}");
        assert!(reasons[1].contains("not part of the change"), "{reasons:?}");
    }

    #[test]
    fn the_id_survives_moved_lines_and_respaced_titles() {
        let a = stable_id("a.py", &["    return x + 1"], "Off by one");
        let b = stable_id("a.py", &["return  x + 1"], "off  by one");
        assert_eq!(a, b);
        assert_ne!(a, stable_id("b.py", &["return x + 1"], "off by one"));
        assert_ne!(a, stable_id("a.py", &["return x + 2"], "off by one"));
    }

    #[test]
    fn dismissed_ids_take_the_first_word_and_skip_comments() {
        let ids = dismissed_ids("# dismissed findings\nRabc  # not a bug\n\n  Rdef\n");
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), ["Rabc", "Rdef"]);
    }

    #[test]
    fn priorities_order_and_reach_thresholds() {
        assert!(Priority::P0.reaches(Priority::P1));
        assert!(Priority::P1.reaches(Priority::P1));
        assert!(!Priority::P2.reaches(Priority::P1));
        assert_eq!("p2".parse::<Priority>(), Ok(Priority::P2));
    }
}
