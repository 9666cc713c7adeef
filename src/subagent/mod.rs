//! Subagents: the `task` tool starts child sessions of the one engine, each with its own context
//! window, tools (read-only unless its agent definition says otherwise), transcript and step
//! limit, and hands their final answers back to the parent. Children share the parent's budget
//! through [`crate::agent::spend::SharedSpend`] and its cancel signal, so `--max-cost` and Ctrl-C
//! hold for the whole family. Children cannot start children of their own.

mod definition;
mod tool;

pub use definition::{discover, AgentDef};
pub use tool::TaskTool;

use crate::agent::Session;

/// How many children of one `task` call run at the same time.
pub const MAX_PARALLEL: usize = 4;
/// Tasks one call may hand out.
pub const MAX_TASKS: usize = 8;
/// The tool's name, which children never get (no grandchildren).
pub const TOOL_NAME: &str = "task";

/// A child session the front end could not build (its model, route, transcript or tools).
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct SpawnError {
    pub agent: String,
    pub reason: String,
}

/// What the front end provides to open a child session: built like its own sessions, with the
/// agent's tools, model and limits, sharing the parent's budget ledger and cancel signal.
pub trait Spawn: Send + Sync {
    fn child(&self, def: &AgentDef) -> Result<Session, SpawnError>;
    /// The built-in tools a child gets when its agent names none (those that only read).
    fn read_only_tools(&self) -> Vec<String>;
}
