//! SARIF 2.1.0, the format code-scanning tools (GitHub code scanning among them) read.

use super::finding::{Finding, Priority};
use serde_json::{json, Value};

/// The SARIF level of a priority: P0 and P1 are errors, P2 a warning, P3 a note.
pub fn level(p: Priority) -> &'static str {
    match p {
        Priority::P0 | Priority::P1 => "error",
        Priority::P2 => "warning",
        Priority::P3 => "note",
    }
}

/// One run of reins holding the findings; each finding's stable id is its fingerprint, so
/// code scanning tracks it across runs.
pub fn log(findings: &[Finding]) -> Value {
    let rules: Vec<Value> = [Priority::P0, Priority::P1, Priority::P2, Priority::P3]
        .iter()
        .map(|p| {
            json!({
                "id": rule_id(*p),
                "name": format!("Review{}", p.label()),
                "shortDescription": {"text": format!("{} code review finding", p.label())},
                "defaultConfiguration": {"level": level(*p)},
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut text = format!("{}\n\n{}", f.title, f.explanation);
            if let Some(fix) = &f.suggested_fix {
                text.push_str(&format!("\n\nSuggested fix: {fix}"));
            }
            json!({
                "ruleId": rule_id(f.priority),
                "level": level(f.priority),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": f.line_start, "endLine": f.line_end},
                    }
                }],
                "partialFingerprints": {"reinsFindingId/v1": f.id},
                "properties": {"id": f.id, "priority": f.priority.label(), "confidence": f.confidence},
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "reins",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

fn rule_id(p: Priority) -> String {
    format!("reins.review.{}", p.label())
}
