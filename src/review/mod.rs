//! `reins review`: a code review whose findings hold. The change is read with git
//! ([`scope`]), reviewed by a read-only session whose answer must meet docs/review.schema.json
//! (through [`crate::output_schema`]), held to the diff's new side ([`finding::place`]), given stable
//! ids, confirmed by a second, independent pass, filtered by `.reins/review-dismissed`, and
//! reported for people, programs ([`report`]) and code scanning ([`sarif`]).
//!
//! This module knows no sessions: the front end (`commands::review`) runs them and hands the
//! answers here.

pub mod diff;
pub mod finding;
pub mod report;
pub mod repro;
pub mod sarif;
pub mod scope;

use crate::output_schema::{OutputSchema, SchemaError};
use diff::Diff;
use finding::{Dropped, Finding};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// Where a project lists the finding ids it has dismissed.
pub const DISMISSED_FILE: &str = ".reins/review-dismissed";

/// Diff bytes per part, unless `--part-size` says otherwise: about 15k tokens of diff, leaving
/// the model room to read the code around it.
pub const DEFAULT_PART_SIZE: usize = 60_000;

/// The schema the reviewing model's answer must meet (docs/review.schema.json).
pub fn answer_schema() -> Result<OutputSchema, SchemaError> {
    schema(
        "docs/review.schema.json",
        include_str!("../../docs/review.schema.json"),
    )
    .map(|s| s.named("review"))
}

/// The schema of the verifying pass's answer.
pub fn verify_schema() -> Result<OutputSchema, SchemaError> {
    schema(
        "the review verification schema",
        include_str!("verify.schema.json"),
    )
    .map(|s| s.named("review_verification"))
}

fn schema(name: &str, text: &str) -> Result<OutputSchema, SchemaError> {
    let value = serde_json::from_str(text).map_err(|source| SchemaError::NotJson {
        path: name.into(),
        source,
    })?;
    OutputSchema::from_value(name, value)
}

/// The task of the reviewing session for one part of the diff. `repro` names the project's
/// checks and the time limit when findings may carry a reproducing command.
pub fn review_prompt(
    scope: &scope::Scope,
    part: usize,
    parts: usize,
    diff: &Diff,
    repro: Option<(&[String], std::time::Duration)>,
) -> String {
    let repro_note = match repro {
        Some((checks, limit)) if !checks.is_empty() => {
            include_str!("../../prompts/review_repro.md")
                .replace(
                    "{checks}",
                    &checks
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
                .replace("{seconds}", &limit.as_secs().max(1).to_string())
        }
        _ => "- do not give `reproduce`: the project has no checks to base one on.\n".to_string(),
    };
    let part_note = if parts > 1 {
        format!(
            "The change is large, so it is reviewed in {parts} parts; this is part {part} of {parts}, with these files: {}. Report findings in these files only.",
            diff.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(", ")
        )
    } else {
        String::new()
    };
    include_str!("../../prompts/review.md")
        .replace(
            "{scope}",
            &format!("The change under review: {}.", scope.describe()),
        )
        .replace("{repro}", repro_note.trim_end())
        .replace("{part}", &part_note)
        .replace("{diff}", &diff.text())
}

/// The task of the verifying session: the findings with their ids, and the diff they are about.
pub fn verify_prompt(findings: &[Finding], diff: &Diff) -> String {
    let listed: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let mut v = serde_json::json!({
                "id": f.id, "path": f.path, "line_start": f.line_start, "line_end": f.line_end,
                "priority": f.priority, "title": f.title, "explanation": f.explanation,
            });
            if let (Some(cmd), Some(r)) = (&f.reproduce, &f.reproduced) {
                v["reproduced"] = serde_json::json!({
                    "command": cmd, "exit_code": r.exit_code, "output_tail": r.output,
                });
            }
            v
        })
        .collect();
    let paths: BTreeSet<&str> = findings.iter().map(|f| f.path.as_str()).collect();
    let relevant = Diff {
        files: diff
            .files
            .iter()
            .filter(|f| paths.contains(f.path.as_str()))
            .cloned()
            .collect(),
    };
    include_str!("../../prompts/review_verify.md")
        .replace(
            "{findings}",
            &serde_json::to_string_pretty(&listed).unwrap_or_default(),
        )
        .replace("{diff}", &relevant.text())
}

/// One judgement of the verifying pass.
#[derive(Debug, Clone, Deserialize)]
pub struct VerifyVerdict {
    pub id: String,
    pub confirmed: bool,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VerifyAnswer {
    pub verdicts: Vec<VerifyVerdict>,
}

/// Keeps the findings the second pass confirmed; one it rejected or did not judge is dropped with
/// the reason, so silence never counts as agreement.
pub fn apply_verdicts(
    findings: Vec<Finding>,
    answer: &VerifyAnswer,
) -> (Vec<Finding>, Vec<Dropped>) {
    let by_id: BTreeMap<&str, &VerifyVerdict> =
        answer.verdicts.iter().map(|v| (v.id.as_str(), v)).collect();
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for f in findings {
        match by_id.get(f.id.as_str()) {
            Some(v) if v.confirmed => kept.push(f),
            Some(v) => dropped.push(Dropped {
                reason: format!("rejected by the verify pass: {}", v.reason),
                finding: f,
            }),
            None => dropped.push(Dropped {
                reason: "the verify pass did not confirm it".into(),
                finding: f,
            }),
        }
    }
    (kept, dropped)
}

/// Takes out the findings whose ids are dismissed; returns how many were.
pub fn dismiss(findings: &mut Vec<Finding>, dismissed: &BTreeSet<String>) -> usize {
    let before = findings.len();
    findings.retain(|f| !dismissed.contains(&f.id));
    before - findings.len()
}

/// Most important first, then by place.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.priority, &a.path, a.line_start).cmp(&(b.priority, &b.path, b.line_start))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use finding::Priority;

    fn f(id: &str) -> Finding {
        Finding {
            id: id.into(),
            path: "a".into(),
            line_start: 1,
            line_end: 1,
            priority: Priority::P1,
            confidence: 1.0,
            title: "t".into(),
            explanation: "e".into(),
            suggested_fix: None,
            reproduce: None,
            reproduced: None,
        }
    }

    #[test]
    fn unjudged_and_rejected_findings_are_dropped() {
        let answer = VerifyAnswer {
            verdicts: vec![
                VerifyVerdict {
                    id: "R1".into(),
                    confirmed: true,
                    reason: "yes".into(),
                },
                VerifyVerdict {
                    id: "R2".into(),
                    confirmed: false,
                    reason: "no such path".into(),
                },
            ],
        };
        let (kept, dropped) = apply_verdicts(vec![f("R1"), f("R2"), f("R3")], &answer);
        assert_eq!(
            kept.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            ["R1"]
        );
        assert!(dropped[0].reason.contains("no such path"));
        assert!(dropped[1].reason.contains("did not confirm"));
    }

    #[test]
    fn the_published_schemas_compile() {
        answer_schema().expect("docs/review.schema.json");
        verify_schema().expect("verify schema");
    }
}
