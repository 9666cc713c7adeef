//! What a front end hands over to build a session, grouped by the job each part serves: the model
//! side (which model answers and with what prompt), the tool side (what the model may call and what
//! checks each call), and the record side (who the session is, where it is written, and what a
//! resume brings back). A front end fills each part where it knows it; the session takes each part
//! apart into the component that owns that job.

use super::extension::Extension;
use super::repo_map_step::StartMap;
use super::routing::Routing;
use super::spend::SharedSpend;
use crate::conversation::Item;
use crate::provider::RetryPolicy;
use crate::redact::Redactor;
use crate::router::Budget;
use crate::sandbox::approval::{Approver, Gate};
use crate::store::transcript::TranscriptWriter;
use crate::tools::{Registry, ToolContext};
use std::sync::Arc;

/// What a session is made of.
pub struct SessionSetup {
    pub model: ModelSetup,
    pub tools: ToolSetup,
    pub record: RecordSetup,
    /// Checks, hooks and other participants, called at their moments of the turn.
    pub extensions: Vec<Box<dyn Extension>>,
    /// The most the session (with its subagents) may spend (`--max-cost`, `max_cost`).
    pub budget: Option<Budget>,
    /// The ledger this session shares with its subagents (or its parent and siblings): budget
    /// checks read its total.
    pub spend: Option<Arc<SharedSpend>>,
}

/// The model side: which model serves each request, how a request is retried, the prompt it
/// carries, and how far the history may grow before it is compacted.
pub struct ModelSetup {
    /// Which model serves each step.
    pub routing: Routing,
    pub retry: RetryPolicy,
    /// Model requests allowed in one user turn.
    pub max_steps: u32,
    /// The system prompt with instructions and memory: the stable prefix of every request.
    pub system: String,
    /// Rebuilds `system` after compaction (memory and instructions are re-read).
    pub system_builder: Option<Box<dyn Fn() -> String + Send + Sync>>,
    /// Compact when the next request would pass this share of the model's context window.
    pub compact_threshold: f64,
    /// Whether and how big a repository map the first request carries.
    pub start_map: Option<StartMap>,
}

/// The tool side: what the model may call, what every call may use, and what stands between a
/// call and its effect (the gate and who answers it, the redactor on its output, the checkpoint
/// before it).
pub struct ToolSetup {
    pub registry: Registry,
    pub context: ToolContext,
    /// Permission rules and approval policy, checked before every tool call.
    pub gate: Gate,
    /// Who answers when the gate asks.
    pub approver: Box<dyn Approver>,
    /// Removes secrets from tool output before the model (and the transcript) sees it.
    pub redactor: Redactor,
    /// Where the workspace is checkpointed before steps that change it (`None`: no undo);
    /// possibly still being opened.
    pub checkpoints: Option<crate::store::Checkpoints>,
}

/// The record side: the session's id, its transcript, and what a resumed session brings back.
pub struct RecordSetup {
    pub id: String,
    pub transcript: Option<TranscriptWriter>,
    /// The agent's name when this session is a subagent, recorded in the transcript header.
    pub subagent: Option<String>,
    /// What an earlier session left, when this continues it (its transcript already has a
    /// header).
    pub resume: Option<Resumed>,
}

/// What a resumed session brings back from its transcript.
pub struct Resumed {
    pub history: Vec<Item>,
    /// The plan, as the transcript last recorded it.
    pub plan: Option<crate::types::Plan>,
    /// The thread's last saved state (`session.state`), when the transcript has one.
    pub state: Option<serde_json::Value>,
    /// The session's first prompt: the thread's goal when no state was saved.
    pub first_prompt: String,
}

impl RecordSetup {
    /// A new session's record side: nothing to resume.
    pub fn new(id: String, transcript: Option<TranscriptWriter>) -> Self {
        RecordSetup {
            id,
            transcript,
            subagent: None,
            resume: None,
        }
    }
}
