//! What the core reports. Front ends consume these; `--json` is this stream serialised, one object
//! per line, with `type` naming the event.

use serde::{Deserialize, Serialize};

/// Maximum tool output carried in a `tool.result` event (the model still gets all of it).
pub const EVENT_OUTPUT_LIMIT: usize = 4096;

/// The version of the `--json` event stream, carried by every line as `schema_version` and
/// described by docs/events.schema.json. Raised when a field changes meaning or goes away; new
/// events and new optional fields keep it.
pub const EVENTS_SCHEMA_VERSION: u32 = 1;

/// Events also deserialize, so `reins eval` and tests read a `--json` stream back typed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    #[serde(rename = "session.started")]
    SessionStarted {
        session_id: String,
        cwd: String,
        model: String,
    },
    #[serde(rename = "route")]
    Route {
        step: u32,
        model: String,
        reason: String,
        /// What the request is for (`plan`, `act`, `fix`, `compact`, `side`): what routing rules
        /// match on, and what telemetry labels the request with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<crate::router::StepKind>,
    },
    /// Streamed assistant text; front ends that show text live use it, `--json` skips it.
    #[serde(rename = "message.delta")]
    TextDelta { text: String },
    /// Streamed reasoning (a summary or thinking text); like `message.delta`, live only.
    #[serde(rename = "reasoning.delta")]
    ReasoningDelta { text: String },
    /// What the model reasoned before its reply, readable part only (summaries, thinking).
    #[serde(rename = "reasoning")]
    Reasoning { model: String, text: String },
    #[serde(rename = "message")]
    Message { role: String, text: String },
    #[serde(rename = "tool.call")]
    ToolCall {
        call_id: String,
        name: String,
        arguments: serde_json::Value,
        /// What the tool declares the call does (read, search, edit, execute, fetch, other), so
        /// a front end shows any tool (an MCP server's too) without knowing its name. Absent for
        /// a tool the session does not have.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<crate::types::ToolKind>,
        /// The files the call names, workspace-relative.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        paths: Vec<String>,
    },
    #[serde(rename = "tool.result")]
    ToolResult {
        call_id: String,
        name: String,
        ok: bool,
        output: String,
        /// The exit code of the command the call ran (`shell`), when it exited.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        /// Workspace paths the call changed (file tools; commands' changes are in `checkpoint`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        changed_paths: Vec<String>,
        /// The call never ran: a permission rule, the approval policy, a hook or a workflow
        /// guard refused it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        denied: bool,
    },
    #[serde(rename = "usage")]
    Usage {
        model: String,
        input_tokens: u64,
        cached_input_tokens: u64,
        /// Input tokens written to the prompt cache (billed at the cache-write price).
        #[serde(default)]
        cache_write_tokens: u64,
        output_tokens: u64,
        /// The part of `output_tokens` spent reasoning.
        #[serde(default)]
        reasoning_tokens: u64,
        /// `null` when the prices or the usage are unknown.
        #[serde(serialize_with = "crate::types::usd::serialize_opt")]
        cost_usd: Option<f64>,
    },
    /// A tool call needs the user's approval.
    #[serde(rename = "approval.request")]
    ApprovalRequest(crate::sandbox::approval::Request),
    #[serde(rename = "approval.decision")]
    ApprovalDecision {
        id: String,
        #[serde(flatten)]
        answer: crate::sandbox::approval::Answer,
    },
    /// A check (`--check`, `[checks]`) ran after the model ended its turn.
    #[serde(rename = "check")]
    Check {
        command: String,
        passed: bool,
        exit_code: Option<i32>,
        duration_ms: u64,
        summary: String,
    },
    /// The workspace was checkpointed before a step that changed files.
    #[serde(rename = "checkpoint")]
    Checkpoint {
        id: String,
        step: u32,
        files_changed: Vec<String>,
    },
    /// An MCP server changed state (starting, ready, failed, restarting).
    #[serde(rename = "mcp.status")]
    McpStatus {
        server: String,
        state: String,
        error: Option<String>,
    },
    /// Something worth telling the user that is not an error (a hook's non-blocking failure).
    #[serde(rename = "warning")]
    Warning { message: String },
    /// The history was compacted to fit the context window.
    #[serde(rename = "compacted")]
    Compacted {
        tokens_before: u64,
        tokens_after: u64,
        /// What left the context, in words (the transcript still has all of it).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        dropped: Vec<String>,
        /// What was kept verbatim: the session state, the last user message, the recent items.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        kept: Vec<String>,
    },
    /// The model's plan, whole, after `update_plan` (and once when a session with a plan resumes).
    #[serde(rename = "plan")]
    Plan { steps: Vec<crate::types::PlanStep> },
    #[serde(rename = "error")]
    Error { message: String, retrying: bool },
    #[serde(rename = "session.finished")]
    SessionFinished {
        status: Status,
        steps: u32,
        input_tokens: u64,
        output_tokens: u64,
        #[serde(serialize_with = "crate::types::usd::serialize_opt")]
        cost_usd: Option<f64>,
        duration_ms: u64,
        /// Per-model breakdown.
        models: std::collections::BTreeMap<String, super::ledger::totals::ModelTotals>,
        /// Tool calls refused by a rule, the approval policy, a hook or a guard.
        #[serde(default)]
        denied_calls: u32,
        /// Check runs (`check` events) that failed, including those fixed later.
        #[serde(default)]
        failed_checks: u32,
    },
    /// The session reached 80% of its budget.
    #[serde(rename = "budget.warning")]
    BudgetWarning {
        #[serde(serialize_with = "crate::types::usd::serialize")]
        spent_usd: f64,
        #[serde(serialize_with = "crate::types::usd::serialize")]
        projected_usd: f64,
        #[serde(serialize_with = "crate::types::usd::serialize")]
        max_cost_usd: f64,
    },
}

impl Event {
    /// Whether the event belongs in the `--json` stream.
    pub fn is_public(&self) -> bool {
        !matches!(self, Event::TextDelta { .. } | Event::ReasoningDelta { .. })
    }

    /// The event as one `--json` line: its fields and `schema_version`.
    pub fn to_json_line(&self) -> serde_json::Result<String> {
        #[derive(Serialize)]
        struct Line<'a> {
            #[serde(flatten)]
            event: &'a Event,
            schema_version: u32,
        }
        serde_json::to_string(&Line {
            event: self,
            schema_version: EVENTS_SCHEMA_VERSION,
        })
    }
}

/// The one line a person sees for a `compacted` event: the token figures, what was dropped and
/// what was kept verbatim.
pub fn compaction_line(before: u64, after: u64, dropped: &[String], kept: &[String]) -> String {
    let mut line = format!("compacted the conversation: ~{before} → ~{after} tokens");
    if !dropped.is_empty() {
        line.push_str(&format!("; dropped {}", dropped.join("; ")));
    }
    if !kept.is_empty() {
        line.push_str(&format!("; kept verbatim: {}", kept.join(", ")));
    }
    if !dropped.is_empty() {
        line.push_str(" (the transcript keeps everything)");
    }
    line
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Done,
    Error,
    MaxSteps,
    /// `--max-cost` would have been crossed by the next request.
    Budget,
    /// The checks still failed when steps or budget ran out.
    ChecksFailed,
    Interrupted,
    /// The final answer did not match `--output-schema` after the model was given the errors.
    OutputInvalid,
    /// A tool call was refused and the session was told to stop on one (`--deny-exit`).
    Denied,
}

impl Status {
    /// The process exit code a script can act on.
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Done => 0,
            Status::Error => 1,
            Status::MaxSteps | Status::Budget => 3,
            Status::ChecksFailed => 4,
            Status::OutputInvalid => 5,
            Status::Denied => 6,
            Status::Interrupted => 130,
        }
    }
}

/// Cuts `s` to at most `limit` bytes on a char boundary, saying how much was cut.
pub fn clip(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_string();
    }
    let mut end = limit;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} more bytes]", &s[..end], s.len() - end)
}

/// Where events go; a closure for exec, a channel for the TUI.
pub type Emit<'a> = &'a mut (dyn FnMut(Event) + Send);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The `--json` stream reads back into the same events: what eval and tests rely on.
    #[test]
    fn events_read_back_from_their_json_lines() {
        let lines = [
            json!({"type": "session.started", "session_id": "s1", "cwd": "/w", "model": "m"}),
            json!({"type": "tool.result", "call_id": "c", "name": "shell", "ok": true, "output": "x", "exit_code": 2}),
            json!({"type": "tool.result", "call_id": "c", "name": "read_file", "ok": true, "output": "x"}),
            json!({"type": "approval.request", "id": "c", "tool": "shell", "arguments": {"command": "ls"}, "reason": "r"}),
            json!({"type": "approval.decision", "id": "c", "decision": "deny", "note": null}),
            json!({"type": "session.finished", "status": "max_steps", "steps": 3, "input_tokens": 10,
                   "output_tokens": 2, "cost_usd": 0.0077, "duration_ms": 5,
                   "models": {"m": {"requests": 1, "input_tokens": 10, "cached_input_tokens": 0,
                                    "cache_write_tokens": 0, "output_tokens": 2,
                                    "reasoning_tokens": 0, "cost_usd": 0.0077}},
                   "denied_calls": 1, "failed_checks": 2}),
            json!({"type": "usage", "model": "m", "input_tokens": 10, "cached_input_tokens": 4,
                   "cache_write_tokens": 2, "output_tokens": 3, "reasoning_tokens": 1,
                   "cost_usd": null}),
            json!({"type": "reasoning", "model": "m", "text": "Thinking about it."}),
        ];
        for line in lines {
            let event: Event = serde_json::from_value(line.clone()).expect("an event");
            assert_eq!(serde_json::to_value(&event).expect("serialises"), line);
        }
        let finished: Event = serde_json::from_str(
            r#"{"type":"session.finished","status":"budget","steps":1,"input_tokens":0,"output_tokens":0,"cost_usd":null,"duration_ms":0,"models":{}}"#,
        )
        .expect("an event");
        assert!(matches!(
            finished,
            Event::SessionFinished {
                status: Status::Budget,
                ..
            }
        ));
    }

    /// One event of every kind. The match has no catch-all, so a new event cannot be added
    /// without a sample here, and so without passing the published schema below.
    fn samples() -> Vec<Event> {
        let all = vec![
            Event::SessionStarted {
                session_id: "s".into(),
                cwd: "/w".into(),
                model: "m".into(),
            },
            Event::Route {
                step: 1,
                model: "m".into(),
                reason: "r".into(),
                kind: Some(crate::router::StepKind::Fix),
            },
            Event::TextDelta { text: "t".into() },
            Event::ReasoningDelta { text: "r".into() },
            Event::Reasoning {
                model: "m".into(),
                text: "r".into(),
            },
            Event::Message {
                role: "assistant".into(),
                text: "t".into(),
            },
            Event::ToolCall {
                call_id: "c".into(),
                name: "edit_file".into(),
                arguments: json!({"path": "a"}),
                kind: Some(crate::types::ToolKind::Edit),
                paths: vec!["a".into()],
            },
            Event::ToolResult {
                call_id: "c".into(),
                name: "shell".into(),
                ok: false,
                output: "o".into(),
                exit_code: Some(1),
                changed_paths: vec!["a".into()],
                denied: true,
            },
            Event::Usage {
                model: "m".into(),
                input_tokens: 1,
                cached_input_tokens: 0,
                cache_write_tokens: 0,
                output_tokens: 1,
                reasoning_tokens: 0,
                cost_usd: None,
            },
            Event::ApprovalRequest(crate::sandbox::approval::Request {
                id: "c".into(),
                tool: "shell".into(),
                arguments: json!({}),
                reason: "r".into(),
                always: "the command `ls`".into(),
            }),
            Event::ApprovalDecision {
                id: "c".into(),
                answer: crate::sandbox::approval::Answer::Rule {
                    rule: "shell(ls)".into(),
                },
            },
            Event::Check {
                command: "true".into(),
                passed: true,
                exit_code: None,
                duration_ms: 1,
                summary: String::new(),
            },
            Event::Checkpoint {
                id: "k".into(),
                step: 1,
                files_changed: vec![],
            },
            Event::McpStatus {
                server: "s".into(),
                state: "ready".into(),
                error: None,
            },
            Event::Warning {
                message: "w".into(),
            },
            Event::Compacted {
                tokens_before: 2,
                tokens_after: 1,
                dropped: vec!["old output".into()],
                kept: vec!["the goal".into()],
            },
            Event::Plan {
                steps: vec![crate::types::PlanStep {
                    step: "read".into(),
                    status: crate::types::StepStatus::InProgress,
                }],
            },
            Event::Error {
                message: "e".into(),
                retrying: false,
            },
            Event::SessionFinished {
                status: Status::Denied,
                steps: 1,
                input_tokens: 1,
                output_tokens: 1,
                cost_usd: Some(0.1),
                duration_ms: 1,
                models: Default::default(),
                denied_calls: 1,
                failed_checks: 0,
            },
            Event::BudgetWarning {
                spent_usd: 1.0,
                projected_usd: 1.0,
                max_cost_usd: 2.0,
            },
        ];
        for e in &all {
            match e {
                Event::SessionStarted { .. }
                | Event::Route { .. }
                | Event::TextDelta { .. }
                | Event::ReasoningDelta { .. }
                | Event::Reasoning { .. }
                | Event::Message { .. }
                | Event::ToolCall { .. }
                | Event::ToolResult { .. }
                | Event::Usage { .. }
                | Event::ApprovalRequest(_)
                | Event::ApprovalDecision { .. }
                | Event::Check { .. }
                | Event::Checkpoint { .. }
                | Event::McpStatus { .. }
                | Event::Warning { .. }
                | Event::Compacted { .. }
                | Event::Plan { .. }
                | Event::Error { .. }
                | Event::SessionFinished { .. }
                | Event::BudgetWarning { .. } => {}
            }
        }
        all
    }

    /// docs/events.schema.json describes every public event as `--json` writes it.
    #[test]
    fn every_public_event_meets_the_published_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/events.schema.json")).expect("JSON");
        let validator = jsonschema::validator_for(&schema).expect("a valid schema");
        for event in samples().iter().filter(|e| e.is_public()) {
            let line: serde_json::Value =
                serde_json::from_str(&event.to_json_line().expect("serialises")).expect("JSON");
            assert_eq!(line["schema_version"], EVENTS_SCHEMA_VERSION);
            let errors: Vec<String> = validator
                .iter_errors(&line)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{line}: {errors:?}");
        }
    }
}
