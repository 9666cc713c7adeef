//! What every front end (the subcommands, the TUI, ACP) shares: building a session from the
//! command line (the [`session_builder::Factory`] the engine is handed), stop signals, the
//! subagents' spawner, one-line tool summaries, and the exit-code error.

pub mod mcp;
pub mod review;
pub mod session_builder;
pub mod setup;
pub mod stop_signals;
pub(crate) mod subagents;
pub(crate) mod tool_summary;
pub mod user_image;
pub(crate) mod workflow_job;

/// An error at the edge that maps to an exit code: 2 for usage and config, 1 otherwise.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
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

/// `YYYY-MM-DD HH:MM` (UTC) of a Unix time, as session lists show when a session started.
pub(crate) fn timestamp(secs: u64) -> String {
    let (y, m, d) = crate::agent::prompt::civil_from_days((secs / 86_400) as i64);
    let t = secs % 86_400;
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", t / 3600, t / 60 % 60)
}
