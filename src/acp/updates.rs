//! reins events as ACP session updates: streamed text as agent message chunks, each tool call as
//! a tool call (kind, title, locations, proposed diff) that later completes or fails with its
//! output or the real change. Events an editor has no place for (routing, checkpoints, checks,
//! warnings) go to the log on stderr.

use super::snapshots::Snapshots;
use super::tool_view;
use crate::agent::Event;
use crate::sandbox::approval::Request;
use crate::types::{PlanStep, StepStatus};
use agent_client_protocol::v1::schema::{
    ContentBlock, ContentChunk, Cost, Plan, PlanEntry, PlanEntryPriority, PlanEntryStatus,
    SessionUpdate, ToolCall, ToolCallContent, ToolCallStatus, ToolCallUpdate, ToolCallUpdateFields,
    UsageUpdate,
};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Turns one session's events into updates; holds what the mapping must remember.
pub struct Translator {
    snapshots: Snapshots,
    /// What each running call's `tool.call` declared (kind, paths), for its permission question.
    calls: HashMap<String, Declared>,
    /// Text of the current assistant message was streamed, so its final `message` is a repeat.
    streamed: bool,
    /// The last error that was not retried: what a failed turn reports.
    last_error: Option<String>,
}

impl Translator {
    pub fn new(snapshots: Snapshots) -> Self {
        Translator {
            snapshots,
            calls: HashMap::new(),
            streamed: false,
            last_error: None,
        }
    }

    /// The updates for `event` (often none).
    pub fn updates(&mut self, event: Event) -> Vec<SessionUpdate> {
        match event {
            Event::TextDelta { text } if !text.is_empty() => {
                self.streamed = true;
                vec![agent_text(text)]
            }
            Event::ReasoningDelta { text } if !text.is_empty() => {
                vec![SessionUpdate::AgentThoughtChunk(ContentChunk::new(
                    ContentBlock::from(text),
                ))]
            }
            Event::Plan { steps } => vec![SessionUpdate::Plan(plan(steps))],
            Event::Message { role, text } if role == "assistant" => {
                let streamed = std::mem::take(&mut self.streamed);
                if streamed || text.is_empty() {
                    Vec::new()
                } else {
                    vec![agent_text(text)]
                }
            }
            Event::ToolCall {
                call_id,
                name,
                arguments,
                kind,
                paths,
            } => {
                let declared = Declared { kind, paths };
                let call = self.tool_call(&call_id, &name, &arguments, &declared);
                self.calls.insert(call_id, declared);
                vec![SessionUpdate::ToolCall(call)]
            }
            Event::ToolResult {
                call_id,
                ok,
                output,
                ..
            } => vec![SessionUpdate::ToolCallUpdate(
                self.tool_result(&call_id, ok, &output),
            )],
            Event::Error { message, retrying } => {
                super::log(&format!(
                    "error{}: {message}",
                    if retrying { " (retrying)" } else { "" }
                ));
                if !retrying {
                    self.last_error = Some(message);
                }
                Vec::new()
            }
            Event::Warning { message } => {
                super::log(&format!("warning: {message}"));
                Vec::new()
            }
            Event::Check {
                command, passed, ..
            } => {
                super::log(&format!(
                    "check `{command}` {}",
                    if passed { "passed" } else { "failed" }
                ));
                Vec::new()
            }
            Event::McpStatus {
                server,
                state,
                error,
            } => {
                let why = error.map(|e| format!(": {e}")).unwrap_or_default();
                super::log(&format!("MCP server {server}: {state}{why}"));
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The error a failed turn reports, cleared for the next turn.
    pub fn take_error(&mut self) -> Option<String> {
        self.streamed = false;
        self.last_error.take()
    }

    /// A new tool call, running. Edits show the change they state (whole files come when the
    /// call completes or asks for approval).
    fn tool_call(&self, call_id: &str, name: &str, args: &Value, declared: &Declared) -> ToolCall {
        let root = self.snapshots.root();
        let content = match name {
            "edit_file" | "apply_patch" => {
                tool_view::proposed_diffs(name, args, root, &|_| None::<String>)
            }
            _ => Vec::new(),
        };
        ToolCall::new(call_id.to_string(), tool_view::title(name, args))
            .name(name.to_string())
            .kind(tool_view::kind(declared.kind))
            .status(ToolCallStatus::InProgress)
            .locations(tool_view::locations(&declared.paths, root))
            .content(content)
            .raw_input(args.clone())
    }

    /// What the permission question for `request` shows: the call, and for an edit the change
    /// it makes (see [`Question::fields`]).
    pub fn question(&self, request: &Request) -> Question {
        let (name, args) = (&request.tool, &request.arguments);
        let root = self.snapshots.root();
        let declared = self.calls.get(&request.id);
        let fields = ToolCallUpdateFields::new()
            .title(tool_view::title(name, args))
            .kind(tool_view::kind(declared.and_then(|d| d.kind)))
            .status(ToolCallStatus::Pending)
            .locations(tool_view::locations(
                declared.map_or(&[][..], |d| &d.paths),
                root,
            ));
        Question {
            fields,
            snapshots: self.snapshots.clone(),
            call_id: request.id.clone(),
            tool: name.clone(),
            arguments: args.clone(),
        }
    }

    /// A call ended: an edit that worked shows each changed file before and after; anything
    /// else shows its output.
    fn tool_result(&mut self, call_id: &str, ok: bool, output: &str) -> ToolCallUpdate {
        self.calls.remove(call_id);
        let applied = tool_view::applied_diffs(&self.snapshots.finish(call_id));
        let content = if ok && !applied.is_empty() {
            applied
        } else {
            vec![ToolCallContent::from(ContentBlock::from(
                super::prompt::fenced(output),
            ))]
        };
        let status = if ok {
            ToolCallStatus::Completed
        } else {
            ToolCallStatus::Failed
        };
        ToolCallUpdate::new(
            call_id.to_string(),
            ToolCallUpdateFields::new()
                .status(status)
                .content(content)
                .raw_output(json!({ "ok": ok, "output": output })),
        )
    }
}

/// A permission question being prepared: what is known of the call, and what it takes to show
/// its change.
pub struct Question {
    fields: ToolCallUpdateFields,
    snapshots: Snapshots,
    call_id: String,
    tool: String,
    arguments: Value,
}

impl Question {
    /// The question's fields. For an edit, the diff is the change to each file as the editor
    /// has it (read now, when it serves reads: the gate decided to ask, so the path passed every
    /// rule) or else as the disk had it just before the call.
    pub async fn fields(self) -> ToolCallUpdateFields {
        self.snapshots.read_editor_before(&self.call_id).await;
        let before = |path: &str| self.snapshots.before(&self.call_id, path);
        let root = self.snapshots.root();
        let diffs = tool_view::proposed_diffs(&self.tool, &self.arguments, root, &before);
        if diffs.is_empty() {
            self.fields
        } else {
            self.fields.content(diffs)
        }
    }
}

/// What a call's tool declared about it.
struct Declared {
    kind: Option<crate::types::ToolKind>,
    /// Workspace-relative.
    paths: Vec<String>,
}

/// How full the context is and what the session cost, when the window is known.
pub fn usage(state: &super::bridge::State) -> Option<SessionUpdate> {
    let window = state.context_window?;
    let mut update = UsageUpdate::new(state.context_tokens, window);
    if let Some(cost) = state.cost {
        update = update.cost(Cost::new(cost, "USD"));
    }
    Some(SessionUpdate::UsageUpdate(update))
}

/// The plan as ACP shows it: every update replaces the whole list, as reins' plan events do.
fn plan(steps: Vec<PlanStep>) -> Plan {
    let status = |s: StepStatus| match s {
        StepStatus::Pending => PlanEntryStatus::Pending,
        StepStatus::InProgress => PlanEntryStatus::InProgress,
        StepStatus::Done => PlanEntryStatus::Completed,
    };
    Plan::new(
        steps
            .into_iter()
            .map(|s| PlanEntry::new(s.step, PlanEntryPriority::Medium, status(s.status)))
            .collect(),
    )
}

fn agent_text(text: String) -> SessionUpdate {
    SessionUpdate::AgentMessageChunk(ContentChunk::new(ContentBlock::from(text)))
}

pub fn user_text(text: String) -> SessionUpdate {
    SessionUpdate::UserMessageChunk(ContentChunk::new(ContentBlock::from(text)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::SandboxPolicy;
    use crate::types::SandboxMode;

    fn translator(root: &std::path::Path) -> Translator {
        let root = root.canonicalize().unwrap();
        let policy = SandboxPolicy::new(SandboxMode::WorkspaceWrite, false, &root, Vec::new());
        Translator::new(Snapshots::new(root, policy, None))
    }

    #[test]
    fn reasoning_streams_as_thought_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = translator(dir.path());
        let up = t.updates(Event::ReasoningDelta {
            text: "checking the tests first".into(),
        });
        assert!(
            matches!(&up[..], [SessionUpdate::AgentThoughtChunk(c)]
                if c.content == ContentBlock::from("checking the tests first".to_string())),
            "{up:?}"
        );
        assert!(t
            .updates(Event::ReasoningDelta {
                text: String::new()
            })
            .is_empty());
    }

    #[test]
    fn streamed_text_is_not_repeated_by_the_final_message() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = translator(dir.path());
        let text = |s: &str| Event::TextDelta { text: s.into() };
        assert_eq!(t.updates(text("Hel")).len(), 1);
        assert_eq!(t.updates(text("lo")).len(), 1);
        let message = |s: &str| Event::Message {
            role: "assistant".into(),
            text: s.into(),
        };
        assert!(t.updates(message("Hello")).is_empty());
        // A message that was not streamed is sent whole.
        assert_eq!(t.updates(message("Bye")).len(), 1);
    }

    #[test]
    fn a_failed_call_shows_its_output() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = translator(dir.path());
        let up = t.updates(Event::ToolResult {
            call_id: "c".into(),
            name: "shell".into(),
            ok: false,
            output: "error: not permitted".into(),
            exit_code: None,
            changed_paths: Vec::new(),
            denied: false,
        });
        let [SessionUpdate::ToolCallUpdate(u)] = up.as_slice() else {
            panic!("{up:?}")
        };
        assert_eq!(u.fields.status, Some(ToolCallStatus::Failed));
        let text = serde_json::to_string(&u.fields.content).unwrap();
        assert!(text.contains("not permitted"), "{text}");
    }
}
