//! Front ends over the agent core, and the setup they share.

pub mod checkpoint_cmd;
pub mod config_cmd;
pub mod config_defaults;
pub mod display;
pub mod eval_cmd;
pub mod exec;
pub mod first_word;
pub mod map_cmd;
pub mod mcp_cmd;
pub mod memory_cmd;
pub mod progress;
pub mod review_cmd;
pub mod run_cmd;
pub mod session_builder;
pub mod sessions_cmd;
pub mod setup;
pub mod shell_docs;
pub mod stop_signals;
pub mod subagents;
pub mod tool_cmd;
pub mod tool_summary;
pub mod trust_cmd;
pub mod tui;
pub mod usage_cmd;

/// An error at the edge that maps to an exit code: 2 for usage and config, 1 otherwise.
#[derive(Debug)]
pub struct ExitError {
    pub code: i32,
    pub message: String,
}

impl ExitError {
    pub fn usage(message: impl Into<String>) -> Self {
        ExitError {
            code: 2,
            message: message.into(),
        }
    }
    pub fn failure(message: impl Into<String>) -> Self {
        ExitError {
            code: 1,
            message: message.into(),
        }
    }
}

impl From<crate::config::ConfigError> for ExitError {
    fn from(e: crate::config::ConfigError) -> Self {
        ExitError::usage(e.to_string())
    }
}
