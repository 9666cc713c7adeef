//! Points where other parts of reins take part in a session without the turn loop knowing them:
//! checks that judge whether the work is done, user hooks, and anything else that must see a
//! prompt, guard or follow a tool call, or have a say when the model stops. Each method has a
//! no-op default, so an extension implements only the moments it cares about.

use super::events::Event;
use crate::conversation::ToolCall;
use crate::types::{BoxFuture, Effects, Subject};

/// Where an extension reports what it did (check results, hook warnings).
pub type Report<'a> = &'a mut (dyn FnMut(Event) + Send);

/// What an extension says when the model ends its turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopVerdict {
    /// Nothing to add: the turn may end.
    Done,
    /// Give the model this message and go on (a `fix` step). `unfinished` marks work judged not
    /// done (failing checks): a session that then runs out of steps or budget ends `checks_failed`.
    Continue { message: String, unfinished: bool },
    /// The answer is final and does not meet its contract (`--output-schema` after the allowed
    /// corrections): the turn ends as `output_invalid`, with `message` as its error.
    Fail { message: String },
}

/// An extension's refusal of a tool call. The model reads it as the call's result, so `reason`
/// says what to do instead; `by` names who refused, so the model (and the user reading the
/// transcript) knows whether to change the approach or ask for a rule to change.
#[derive(Debug, thiserror::Error)]
#[error("blocked by {by}: {reason}")]
pub struct Blocked {
    /// Who refused, as a sentence reads it: "a hook", "the workflow `fix-tests`".
    pub by: String,
    /// Why: the extension's own error, or a hook's words.
    #[source]
    pub reason: Box<dyn std::error::Error + Send + Sync>,
}

impl Blocked {
    pub fn new(
        by: impl Into<String>,
        reason: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Blocked {
            by: by.into(),
            reason: reason.into(),
        }
    }
}

/// A call about to run, with what its tool declares about it (extensions act on the
/// declaration, never on the tool's name).
pub struct ToolUse<'a> {
    pub call: &'a ToolCall,
    pub effects: Effects,
    /// What permission rules see: the command line, the paths (workspace-relative once they
    /// resolve), or an MCP tool's own name.
    pub subjects: &'a [Subject],
}

/// One participant in a session.
pub trait Extension: Send + Sync {
    /// At session start; returned text is added as context for the model.
    fn session_start<'a>(&'a self, _report: Report<'a>) -> BoxFuture<'a, Option<String>> {
        Box::pin(async { None })
    }

    /// Before a user prompt reaches the model; returned text is appended as context.
    fn user_prompt<'a>(
        &'a self,
        _prompt: &'a str,
        _report: Report<'a>,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async { None })
    }

    /// Before a tool runs; `Err` refuses the call and goes to the model as its result.
    fn pre_tool<'a>(
        &'a self,
        _call: &'a ToolUse<'a>,
        _report: Report<'a>,
    ) -> BoxFuture<'a, Result<(), Blocked>> {
        Box::pin(async { Ok(()) })
    }

    /// After a tool ran, with its output and whether it succeeded.
    fn post_tool<'a>(
        &'a self,
        _call: &'a ToolCall,
        _ok: bool,
        _output: &'a str,
        _report: Report<'a>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// The workflow this participant runs the session for, recorded in the transcript header
    /// so the cost ledger (`reins usage --by workflow`) can group by it.
    fn workflow(&self) -> Option<&str> {
        None
    }

    /// Every event of the session as it happens, live deltas included, after the transcript has
    /// it: for participants that only watch (telemetry). Called on the session's thread between
    /// steps, so it must return at once; anything slow belongs on a thread of its own.
    fn observe(&self, _event: &Event) {}

    /// The JSON Schema the final answer must meet, sent as native structured output to models
    /// that take one (`--output-schema`, review). The first extension with one wins.
    fn answer_format(&self) -> Option<crate::provider::AnswerFormat> {
        None
    }

    /// When the model answers without tool calls.
    fn stop<'a>(
        &'a self,
        _last_message: &'a str,
        _report: Report<'a>,
    ) -> BoxFuture<'a, StopVerdict> {
        Box::pin(async { StopVerdict::Done })
    }
}
