//! reins: a terminal coding agent. The binary in `main.rs` is a thin front; every behaviour lives in
//! one of these modules so that tests, benches and examples can drive it without a terminal.

// A panic in library code loses the session's state and the user's terminal; errors are
// returned instead. Tests may unwrap (clippy.toml allows it there).
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod acp;
pub mod agent;
pub mod cancel;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod config;
pub mod conversation;
pub mod diff;
pub mod engine;
pub mod eval;
pub mod frontend;
pub mod frontmatter;
pub mod fsutil;
pub mod hooks;
pub mod mcp;
pub mod output_schema;
pub mod patch;
pub mod process_group;
pub mod provider;
pub mod redact;
pub mod review;
pub mod router;
pub mod sandbox;
pub mod skills;
pub mod store;
pub mod subagent;
pub mod tools;
pub mod tui;
pub mod types;
pub mod workflow;
pub mod workspace;
pub mod workspace_file;
