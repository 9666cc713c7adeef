//! The review's result and its three faces: the terminal, `--json`, and GitHub annotations.

use super::finding::{Dropped, Finding, Priority, Verdict};
use serde::Serialize;

/// Raised when a field of the `--json` report changes meaning or goes away. 2: `verdict` may be
/// `inconclusive`.
pub const REPORT_SCHEMA_VERSION: u32 = 2;

/// The review's conclusion, after every check had its say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing was raised (or only what `.reins/review-dismissed` silences) and every reviewing
    /// pass called the change correct.
    Correct,
    /// At least one finding held.
    Incorrect,
    /// No finding held, but the review was not clean: a pass called the change incorrect without
    /// naming a finding, or a raised finding was dropped (off the diff, rejected by the verify
    /// pass, its reproducing command passed). "Correct" would claim more than the review showed.
    Inconclusive,
}

impl Outcome {
    /// The conclusion from what survived: findings decide first; without them, the change is
    /// called correct only when nothing raised was dropped and no pass said `incorrect` with an
    /// empty list (`said`; a pass that named findings is judged by them). Dismissed findings are
    /// the project's own call and count as nothing raised.
    pub fn of(findings: &[Finding], dropped: &[Dropped], said: Verdict) -> Outcome {
        if !findings.is_empty() {
            Outcome::Incorrect
        } else if said == Verdict::Correct && dropped.is_empty() {
            Outcome::Correct
        } else {
            Outcome::Inconclusive
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Outcome::Correct => "correct",
            Outcome::Incorrect => "incorrect",
            Outcome::Inconclusive => "inconclusive",
        }
    }
}

/// What a review found, after every check.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    /// What was reviewed (`uncommitted changes`, `commit abc123`...).
    pub scope: String,
    pub verdict: Outcome,
    pub summary: String,
    /// The findings that held: on the diff, confirmed (unless `--no-verify`), not dismissed;
    /// most important first.
    pub findings: Vec<Finding>,
    /// Findings left out, each with the reason.
    pub dropped: Vec<Dropped>,
    /// How many findings `.reins/review-dismissed` silenced.
    pub dismissed: usize,
    /// Whether the second pass judged the findings.
    pub verified: bool,
    /// Files in the change, and the parts it was reviewed in.
    pub files: usize,
    pub parts: usize,
    #[serde(serialize_with = "crate::types::usd::serialize_opt")]
    pub cost_usd: Option<f64>,
}

impl Report {
    /// Whether a finding reaches `threshold`.
    pub fn fails(&self, threshold: Option<Priority>) -> bool {
        threshold.is_some_and(|t| self.findings.iter().any(|f| f.priority.reaches(t)))
    }

    /// The report for a person: findings first, then what was left out.
    pub fn human(&self, clean: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        let verdict = match self.verdict {
            Outcome::Correct => "looks correct".to_string(),
            Outcome::Incorrect => "has problems".to_string(),
            Outcome::Inconclusive => format!(
                "inconclusive, {} raised but none held",
                match self.dropped.len() {
                    0 => "problems were".to_string(),
                    1 => "1 finding was".to_string(),
                    n => format!("{n} findings were"),
                }
            ),
        };
        out.push_str(&format!(
            "Review of {}: {} ({} file{}{})\n",
            self.scope,
            verdict,
            self.files,
            if self.files == 1 { "" } else { "s" },
            if self.parts > 1 {
                format!(", in {} parts", self.parts)
            } else {
                String::new()
            }
        ));
        if !self.summary.trim().is_empty() {
            out.push_str(&format!("\n{}\n", clean(self.summary.trim())));
        }
        if self.findings.is_empty() {
            out.push_str("\nNo findings.\n");
        }
        for f in &self.findings {
            let lines = if f.line_start == f.line_end {
                f.line_start.to_string()
            } else {
                format!("{}-{}", f.line_start, f.line_end)
            };
            out.push_str(&format!(
                "\n[{}] {}:{} {}  (confidence {:.2}, {})\n",
                f.priority.label(),
                clean(&f.path),
                lines,
                clean(&f.title),
                f.confidence,
                f.id
            ));
            for line in clean(f.explanation.trim()).lines() {
                out.push_str(&format!("    {line}\n"));
            }
            if let (Some(cmd), Some(r)) = (&f.reproduce, &f.reproduced) {
                out.push_str(&format!(
                    "    Reproduced: `{}` exited {}\n",
                    clean(cmd.trim()),
                    r.exit_code
                ));
            }
            if let Some(fix) = &f.suggested_fix {
                out.push_str("    Suggested fix:\n");
                for line in clean(fix.trim()).lines() {
                    out.push_str(&format!("      {line}\n"));
                }
            }
        }
        let mut notes = Vec::new();
        if !self.verified {
            notes.push("not verified (--no-verify)".to_string());
        }
        if self.dismissed > 0 {
            notes.push(format!(
                "{} dismissed in .reins/review-dismissed",
                self.dismissed
            ));
        }
        if !self.dropped.is_empty() {
            notes.push(format!("{} dropped", self.dropped.len()));
        }
        if !notes.is_empty() {
            out.push_str(&format!("\n({})\n", notes.join("; ")));
        }
        out
    }

    /// Notes on the dropped findings, one line each.
    pub fn dropped_notes(&self, clean: impl Fn(&str) -> String) -> Vec<String> {
        self.dropped
            .iter()
            .map(|d| {
                clean(&format!(
                    "dropped {} {}:{}: {} ({})",
                    d.finding.priority.label(),
                    d.finding.path,
                    d.finding.line_start,
                    d.finding.title,
                    d.reason
                ))
            })
            .collect()
    }

    /// GitHub Actions workflow commands, one per finding (`::error file=…,line=…::…`). Model text
    /// is escaped the way the runner unescapes it, so a finding cannot end its line early and
    /// smuggle in a command of its own (`::add-mask::`, `::stop-commands::`).
    pub fn annotations(&self) -> Vec<String> {
        self.findings
            .iter()
            .map(|f| {
                let level = match f.priority {
                    Priority::P0 | Priority::P1 => "error",
                    Priority::P2 => "warning",
                    Priority::P3 => "notice",
                };
                format!(
                    "::{level} file={},line={},endLine={},title={}::{}",
                    escape_property(&f.path),
                    f.line_start,
                    f.line_end,
                    escape_property(&format!("{} {}", f.priority.label(), f.title)),
                    escape_data(&f.explanation)
                )
            })
            .collect()
    }
}

/// A workflow command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(title: &str, explanation: &str) -> Report {
        Report {
            schema_version: REPORT_SCHEMA_VERSION,
            scope: "commit x".into(),
            verdict: Outcome::Incorrect,
            summary: String::new(),
            findings: vec![Finding {
                id: "R1".into(),
                path: "src/a,b.rs".into(),
                line_start: 3,
                line_end: 4,
                priority: Priority::P2,
                confidence: 0.5,
                title: title.into(),
                explanation: explanation.into(),
                suggested_fix: None,
                reproduce: None,
                reproduced: None,
            }],
            dropped: vec![],
            dismissed: 0,
            verified: true,
            files: 1,
            parts: 1,
            cost_usd: None,
        }
    }

    #[test]
    fn annotations_cannot_smuggle_a_second_command() {
        let r = report(
            "a: b",
            "50% wrong\n::add-mask::secret\r\n::stop-commands::x",
        );
        let lines = r.annotations();
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert!(!line.contains('\n') && !line.contains('\r'), "{line}");
        assert!(
            line.starts_with("::warning file=src/a%2Cb.rs,line=3,endLine=4,title=P2 a%3A b::"),
            "{line}"
        );
        assert!(line.contains("50%25 wrong%0A::add-mask::secret"), "{line}");
    }

    #[test]
    fn no_surviving_finding_is_not_a_clean_bill() {
        let r = report("t", "e");
        let dropped = vec![Dropped {
            finding: r.findings[0].clone(),
            reason: "rejected".into(),
        }];
        assert_eq!(
            Outcome::of(&r.findings, &[], Verdict::Correct),
            Outcome::Incorrect
        );
        assert_eq!(Outcome::of(&[], &[], Verdict::Correct), Outcome::Correct);
        assert_eq!(
            Outcome::of(&[], &dropped, Verdict::Correct),
            Outcome::Inconclusive
        );
        assert_eq!(
            Outcome::of(&[], &[], Verdict::Incorrect),
            Outcome::Inconclusive
        );
        let mut r = report("t", "e");
        r.findings.clear();
        r.dropped = dropped;
        r.verdict = Outcome::Inconclusive;
        assert!(r
            .human(str::to_string)
            .contains("inconclusive, 1 finding was raised but none held"));
    }

    #[test]
    fn fail_on_counts_findings_at_or_above_the_threshold() {
        let r = report("t", "e");
        assert!(r.fails(Some(Priority::P2)) && r.fails(Some(Priority::P3)));
        assert!(!r.fails(Some(Priority::P1)) && !r.fails(None));
    }
}
