//! The leaf every layer may name: small value types shared by config, the libraries, the engine
//! and the front ends. It imports nothing from the crate, so it can never be part of an import circle.

mod approval_mode;
mod effects;
mod effort;
mod future;
pub mod plan;
mod priority;
mod sandbox_mode;
pub mod usd;

pub use approval_mode::{Approval, SharedApproval};
pub use effects::{Effects, Exit, Runs, Subject, ToolKind};
pub use effort::{Effort, UnknownEffort};
pub use future::BoxFuture;
pub use plan::{Plan, PlanStep, StepStatus};
pub use priority::{Priority, UnknownPriority};
pub use sandbox_mode::{SandboxMode, UnknownSandboxMode};

/// The `model` of the `usage` event by which a parent session takes in what its subagents spent
/// (documented in the README). Each child's transcript carries the same requests per model, so a
/// sum over transcripts (the cost ledger) skips these lines rather than count them twice.
pub const SUBAGENTS_USAGE_MODEL: &str = "subagents";
