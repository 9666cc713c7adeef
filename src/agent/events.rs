//! What the core reports. Front ends consume these; `--json` is this stream serialised, one object
//! per line, with `type` naming the event.

use serde::Serialize;

/// Maximum tool output carried in a `tool.result` event (the model still gets all of it).
pub const EVENT_OUTPUT_LIMIT: usize = 4096;

#[derive(Debug, Clone, Serialize)]
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
        #[serde(skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        /// Workspace paths the call changed (file tools; commands' changes are in `checkpoint`).
        #[serde(skip_serializing_if = "Vec::is_empty")]
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
    },
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

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
