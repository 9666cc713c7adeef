//! Per-step model routing: which `[models.*]` entry serves the next request, and why.
//!
//! A pure library (no I/O, no clock, no config loading) so that the session loop, the tests and
//! the benchmark drive exactly the same code. The session owns the facts (tool results, cost,
//! context fill) and hands them over as [`Signals`]; the [`Router`] owns only its ladder state.
//!
//! Order of a decision: a user-pinned model, then the first matching rule, then the ladder
//! (`default`, escalated by consecutive failures and stepped back down by consecutive successes).

mod budget;
mod config;
mod error;
mod ladder;
mod loops;
mod route;
mod rules;
mod select;
mod signals;
mod step;
mod validate;

pub use crate::config::prices::{lookup as lookup_prices, Prices};
pub use budget::{Budget, BudgetCheck};
pub use config::{RouterConfig, Rule};
pub use error::RouterError;
pub use loops::{canonical_json, LoopDetector, LOOP_REPEATS};
pub use route::Router;
pub use select::select;
pub use signals::{context_fill_pct, Decision, Signals};
pub use step::{failure_note, is_hard_failure, step_kind, tool_outcome, StepKind, ToolOutcome};
