//! What every front end (the subcommands, the TUI, ACP) shares: building a session from the
//! command line (the [`session_builder::Factory`] the engine is handed), stop signals, the
//! subagents' spawner, one-line tool summaries, and the exit-code error.

pub mod session_builder;
pub mod setup;
pub mod stop_signals;
pub mod subagents;
pub mod tool_summary;

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
