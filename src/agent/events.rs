//! What the core reports. Front ends consume these; `--json` is this stream serialised, one object
//! per line, with `type` naming the event.

use serde::{Deserialize, Serialize};

/// Maximum tool output carried in a `tool.result` event (the model still gets all of it).
pub const EVENT_OUTPUT_LIMIT: usize = 4096;

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
    },
    /// Streamed assistant text; front ends that show text live use it, `--json` skips it.
    #[serde(rename = "message.delta")]
    TextDelta { text: String },
    #[serde(rename = "message")]
    Message { role: String, text: String },
    #[serde(rename = "tool.call")]
    ToolCall {
        call_id: String,
        name: String,
        arguments: serde_json::Value,
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
    },
    #[serde(rename = "usage")]
    Usage {
        model: String,
        input_tokens: u64,
        cached_input_tokens: u64,
        output_tokens: u64,
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
        models: std::collections::BTreeMap<String, super::routing::ModelTotals>,
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
        !matches!(self, Event::TextDelta { .. })
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
}

impl Status {
    /// The process exit code a script can act on.
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Done => 0,
            Status::Error => 1,
            Status::MaxSteps | Status::Budget => 3,
            Status::ChecksFailed => 4,
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
                                    "output_tokens": 2, "cost_usd": 0.0077}}}),
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
}
