//! The permission gate every tool call passes before it runs: the `[permissions]` rules first
//! (deny beats ask beats allow), then the approval policy decides what happens to calls no rule
//! names. The sandbox still confines whatever is allowed.

use super::rules::{Decision, Rules};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// When the user is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Approval {
    /// Nothing is ever asked: what would need approval is refused (headless runs).
    #[default]
    Never,
    /// Commands not matched by an allow rule ask; reads and sandboxed writes run.
    OnRequest,
    /// Every write and every command not matched by an allow rule asks.
    Untrusted,
}

impl std::str::FromStr for Approval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "never" => Ok(Approval::Never),
            "on-request" => Ok(Approval::OnRequest),
            "untrusted" => Ok(Approval::Untrusted),
            other => Err(format!(
                "unknown approval mode `{other}`: expected never, on-request or untrusted"
            )),
        }
    }
}

/// The user's answer to an approval request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Answer {
    Once,
    /// Allow this call and the same one for the rest of the session.
    Always,
    Deny {
        note: Option<String>,
    },
}

/// One question for the user.
#[derive(Debug, Clone, Serialize)]
pub struct Request {
    pub id: String,
    pub tool: String,
    pub arguments: serde_json::Value,
    pub reason: String,
}

/// A front end that can answer approval requests.
pub trait Approver: Send + Sync {
    fn ask<'a>(&'a self, request: &'a Request) -> crate::provider::BoxFuture<'a, Answer>;
}

/// The headless answer: never ask, refuse what would need asking.
pub struct NeverAsk;

impl Approver for NeverAsk {
    fn ask<'a>(&'a self, request: &'a Request) -> crate::provider::BoxFuture<'a, Answer> {
        let note = format!(
            "{}; reins exec never asks. The user can allow it with a rule in [permissions].allow (e.g. `{}`)",
            request.reason,
            suggest_rule(&request.tool, &request.arguments)
        );
        Box::pin(async move { Answer::Deny { note: Some(note) } })
    }
}

fn suggest_rule(tool: &str, args: &serde_json::Value) -> String {
    match (tool, args.get("command").and_then(|c| c.as_str())) {
        ("shell", Some(cmd)) => format!("shell({}*)", cmd.split_whitespace().next().unwrap_or("")),
        (mcp, _) if mcp.contains("__") => format!("mcp({mcp})"),
        _ => tool.to_string(),
    }
}

/// What a call is checked as: the command line of `shell`, the paths of file tools, the
/// `SERVER__TOOL` name of MCP tools.
pub fn subjects(tool: &str, args: &serde_json::Value) -> Vec<String> {
    let field = |k: &str| args.get(k).and_then(|v| v.as_str()).map(str::to_string);
    match tool {
        "shell" => field("command").into_iter().collect(),
        mcp if mcp.contains("__") => vec![mcp.to_string()],
        "apply_patch" => field("patch")
            .and_then(|p| crate::patch::parse(&p).ok())
            .map(|p| p.ops.iter().flat_map(op_paths).collect())
            .unwrap_or_default(),
        _ => field("path").into_iter().collect(),
    }
}

fn op_paths(op: &crate::patch::FileOp) -> Vec<String> {
    use crate::patch::FileOp;
    match op {
        FileOp::Add { path, .. } | FileOp::Delete { path } => vec![path.clone()],
        FileOp::Update { path, move_to, .. } => std::iter::once(path.clone())
            .chain(move_to.clone())
            .collect(),
    }
}

/// Decides allow / ask / deny for one call.
pub struct Gate {
    rules: Rules,
    approval: Approval,
    /// `always` answers add allow rules for the rest of the session.
    session_allow: Mutex<Vec<String>>,
}

impl Gate {
    pub fn new(rules: Rules, approval: Approval) -> Self {
        Gate {
            rules,
            approval,
            session_allow: Mutex::new(Vec::new()),
        }
    }

    /// Allows everything no rule denies (tests and `tool run`).
    pub fn permissive() -> Self {
        Gate::new(Rules::default(), Approval::Never)
    }

    pub fn approval(&self) -> Approval {
        self.approval
    }

    /// Changes the policy mid-session (the TUI's `/approval MODE`); rules and `always` answers stay.
    pub fn set_approval(&mut self, approval: Approval) {
        self.approval = approval;
    }

    /// The strictest decision over every subject of a call (a patch names several files).
    pub fn decide_all(&self, tool: &str, subjects: &[String], mutates: bool) -> Decision {
        if subjects.is_empty() {
            return self.decide(tool, None, mutates);
        }
        let mut worst = Decision::Allow;
        for s in subjects {
            match self.decide(tool, Some(s), mutates) {
                d @ Decision::Deny(_) => return d,
                d @ Decision::Ask(_) => worst = d,
                Decision::Allow => {}
            }
        }
        worst
    }

    /// The decision for `tool` on `subject` (command line or workspace-relative path).
    pub fn decide(&self, tool: &str, subject: Option<&str>, mutates: bool) -> Decision {
        match self.rules.evaluate(tool, subject) {
            Some(Decision::Allow) => return Decision::Allow,
            Some(d) => return d,
            None => {}
        }
        if self.session_allowed(tool, subject) {
            return Decision::Allow;
        }
        let is_command = tool == "shell" || tool.contains("__");
        match self.approval {
            Approval::Never => Decision::Allow,
            Approval::OnRequest if is_command => {
                Decision::Ask(format!("`{tool}` is not covered by an allow rule"))
            }
            Approval::Untrusted if is_command || mutates => Decision::Ask(
                "approval = untrusted asks before every write and command not allowed by a rule"
                    .to_string(),
            ),
            _ => Decision::Allow,
        }
    }

    /// Records an `always` answer: the same tool and subject run without asking from now on.
    pub fn allow_for_session(&self, tool: &str, subject: Option<&str>) {
        if let Ok(mut list) = self.session_allow.lock() {
            list.push(format!("{tool}\u{0}{}", subject.unwrap_or("")));
        }
    }

    fn session_allowed(&self, tool: &str, subject: Option<&str>) -> bool {
        let key = format!("{tool}\u{0}{}", subject.unwrap_or(""));
        self.session_allow
            .lock()
            .map(|l| l.contains(&key))
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(approval: Approval) -> Gate {
        let rules = Rules::parse(
            &["shell(cargo test*)".into()],
            &["shell(git push*)".into()],
            &["shell(rm -rf /*)".into()],
        )
        .unwrap();
        Gate::new(rules, approval)
    }

    #[test]
    fn rules_come_first_in_every_mode() {
        for a in [Approval::Never, Approval::OnRequest, Approval::Untrusted] {
            assert_eq!(
                gate(a).decide("shell", Some("cargo test -q"), true),
                Decision::Allow
            );
            assert!(matches!(
                gate(a).decide("shell", Some("git push origin"), true),
                Decision::Ask(_)
            ));
            assert!(matches!(
                gate(a).decide("shell", Some("rm -rf /"), true),
                Decision::Deny(_)
            ));
        }
    }

    #[test]
    fn on_request_asks_for_unlisted_commands_only() {
        let g = gate(Approval::OnRequest);
        assert!(matches!(
            g.decide("shell", Some("make"), true),
            Decision::Ask(_)
        ));
        assert_eq!(g.decide("write_file", Some("a.txt"), true), Decision::Allow);
        g.allow_for_session("shell", Some("make"));
        assert_eq!(g.decide("shell", Some("make"), true), Decision::Allow);
    }

    #[test]
    fn untrusted_asks_for_writes() {
        assert!(matches!(
            gate(Approval::Untrusted).decide("edit_file", Some("a.rs"), true),
            Decision::Ask(_)
        ));
        assert_eq!(
            gate(Approval::Untrusted).decide("read_file", Some("a.rs"), false),
            Decision::Allow
        );
    }
}
