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

pub use approval_mode::Approval;
pub use effects::{Effects, Exit, Runs, Subject, ToolKind};
pub use effort::{Effort, UnknownEffort};
pub use future::BoxFuture;
pub use plan::{Plan, PlanStep, StepStatus};
pub use priority::{Priority, UnknownPriority};
pub use sandbox_mode::{SandboxMode, UnknownSandboxMode};
