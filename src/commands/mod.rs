//! The subcommands (`reins exec`, `run`, `review`, `eval`, `tool`, `config`, ...): each parses
//! its arguments, builds what it needs through [`crate::frontend`], and drives the engine or a
//! library once. The interactive UI is [`crate::tui`], the editor protocol [`crate::acp`].

pub mod batch;
pub mod checkpoint;
pub mod config;
pub(crate) mod config_defaults;
pub(crate) mod display;
pub mod eval;
pub mod exec;
pub mod first_word;
pub mod map;
pub mod mcp;
pub mod memory;
pub mod models;
mod plan_out;
pub(crate) mod progress;
mod report_out;
pub mod review;
pub mod run;
pub mod sessions;
pub mod shell_docs;
pub mod tool;
pub mod trust;
pub mod usage;
pub mod worktrees;
