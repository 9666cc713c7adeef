//! The session's extensions as one participant of the turn: each moment (session start, a prompt,
//! a tool call, the model stopping) asks them in order and combines what they say. They are
//! shared with the recording sink, which shows every event to those that watch.

use super::events::{Emit, Event};
use super::extension::{Blocked, Extension, StopVerdict, ToolUse};
use crate::conversation::ToolCall;
use std::sync::Arc;

/// Checks, hooks and other participants, in the order they were configured.
#[derive(Clone)]
pub(super) struct Extensions(Arc<Vec<Box<dyn Extension>>>);

impl Extensions {
    pub(super) fn new(extensions: Vec<Box<dyn Extension>>) -> Self {
        Extensions(Arc::new(extensions))
    }

    /// The final answer's required format, from the first extension that sets one.
    pub(super) fn answer_format(&self) -> Option<crate::provider::AnswerFormat> {
        self.0.iter().find_map(|e| e.answer_format())
    }

    /// The workflow the session runs, for the transcript header.
    pub(super) fn workflow(&self) -> Option<String> {
        self.0.iter().find_map(|e| e.workflow()).map(str::to_string)
    }

    /// Shows an event to every extension that watches.
    pub(super) fn observe(&self, event: &Event) {
        for e in self.0.iter() {
            e.observe(event);
        }
    }

    /// Context the extensions add to a prompt: at session start, and for every prompt.
    pub(super) async fn context(&self, first: bool, task: &str, emit: Emit<'_>) -> Vec<String> {
        let mut out = Vec::new();
        for ext in self.0.iter() {
            if first {
                out.extend(ext.session_start(emit).await);
            }
            out.extend(ext.user_prompt(task, emit).await);
        }
        out
    }

    /// Lets every extension veto the call; the first refusal wins.
    pub(super) async fn pre_tool(
        &self,
        tool_use: &ToolUse<'_>,
        emit: Emit<'_>,
    ) -> Result<(), Blocked> {
        for ext in self.0.iter() {
            ext.pre_tool(tool_use, emit).await?;
        }
        Ok(())
    }

    /// Shows every extension a call's outcome (its output already redacted).
    pub(super) async fn post_tool(&self, call: &ToolCall, ok: bool, output: &str, emit: Emit<'_>) {
        for ext in self.0.iter() {
            ext.post_tool(call, ok, output, emit).await;
        }
    }

    /// Asks every extension whether the turn may end, after the model said `last_text`: their
    /// messages go to the model as one `Continue`; the first `Fail` (an answer that broke its
    /// contract for good) ends the turn. `unfinished` is set when any judged the work not done.
    pub(super) async fn stop(&self, last_text: &str, emit: Emit<'_>) -> StopVerdict {
        let mut messages = Vec::new();
        let mut unfinished = false;
        let mut failure = None;
        for ext in self.0.iter() {
            match ext.stop(last_text, emit).await {
                StopVerdict::Done => {}
                StopVerdict::Continue {
                    message,
                    unfinished: u,
                } => {
                    messages.push(message);
                    unfinished |= u;
                }
                StopVerdict::Fail { message } => failure = failure.or(Some(message)),
            }
        }
        match failure {
            Some(message) => StopVerdict::Fail { message },
            None if messages.is_empty() => StopVerdict::Done,
            None => StopVerdict::Continue {
                message: messages.join("\n\n"),
                unfinished,
            },
        }
    }
}
