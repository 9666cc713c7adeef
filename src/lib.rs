//! reins: a terminal coding agent. The binary in `main.rs` is a thin front; every behaviour lives in
//! one of these modules so that tests, benches and examples can drive it without a terminal.

// A panic in library code loses the session's state and the user's terminal; errors are
// returned instead. Tests may unwrap (clippy.toml allows it there).
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod acp;
pub mod agent;
pub(crate) mod batch;
pub mod cancel;
pub(crate) mod checks;
pub mod cli;
pub mod commands;
pub mod config;
pub mod conversation;
pub mod diff;
pub mod engine;
pub(crate) mod eval;
pub mod fanout;
pub mod frontend;
pub(crate) mod frontmatter;
pub(crate) mod fsutil;
pub(crate) mod hooks;
pub mod mcp;
pub(crate) mod output_schema;
pub mod patch;
pub(crate) mod process_group;
pub(crate) mod provider;
pub(crate) mod redact;
pub mod review;
pub mod router;
pub mod sandbox;
pub(crate) mod skills;
mod small_walk;
pub mod store;
pub(crate) mod subagent;
pub mod telemetry;
pub mod tools;
pub mod tui;
pub mod types;
pub mod workflow;
pub mod workspace;
pub(crate) mod workspace_file;
