//! What can go wrong with checkpoints, worded for the person at the terminal: each message says
//! what to do next where there is something to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("checkpoint repository: {0}")]
    Git(#[from] git2::Error),
    #[error("no session with checkpoints in this workspace; run reins exec first")]
    NoSession,
    #[error("no checkpoints for session `{id}` in this workspace; {}", sessions_hint(.available))]
    UnknownSession { id: String, available: Vec<String> },
    #[error("invalid session id `{0}`: use letters, digits, `-`, `_` and `.`")]
    InvalidSessionId(String),
    #[error("no checkpoint before step {step} in session `{session}`; {available}")]
    StepOutOfRange {
        session: String,
        step: u32,
        available: String,
    },
    #[error("nothing to undo: {0}")]
    NothingToUndo(String),
    #[error(
        "checkpoint directory {} belongs to workspace {}, not {}; move it aside to start afresh",
        .shadow.display(), .recorded.display(), .workspace.display()
    )]
    WorkspaceMismatch {
        shadow: PathBuf,
        recorded: PathBuf,
        workspace: PathBuf,
    },
    #[error("corrupt checkpoint data: {0}")]
    Corrupt(String),
    #[error(
        "another process moved the checkpoints of `{refname}` meanwhile (is the same session \
         open twice?); this turn's steps are not recorded, the other process's are kept"
    )]
    RefMoved { refname: String },
}

fn sessions_hint(available: &[String]) -> String {
    if available.is_empty() {
        "there are none yet; run reins exec first".to_string()
    } else {
        format!("sessions here: {}", available.join(", "))
    }
}

/// Wraps an I/O error with what was being done to which path, for `map_err`; the message is only
/// formatted when there is an error, so it costs nothing in the per-file hot loop.
pub(crate) fn io_err<'a>(
    what: &'a str,
    path: &'a std::path::Path,
) -> impl FnOnce(std::io::Error) -> CheckpointError + 'a {
    move |source| CheckpointError::Io {
        context: format!("{what} {}", path.display()),
        source,
    }
}
