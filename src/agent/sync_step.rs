//! The end-of-turn sync of the files the turn's edits replaced (see
//! [`crate::sandbox::beneath::unsynced`]): once per file, however many edits it had, off the
//! session's thread and while the turn's last checkpoint is recorded.

use super::events::{Emit, Event};
use crate::sandbox::beneath::unsynced::SyncError;
use crate::tools::ToolContext;

/// The sync of the files edited in this turn, started (see [`start`]).
pub(super) struct EditsSync(tokio::task::JoinHandle<Result<(), SyncError>>);

/// Starts syncing the files edited in this turn, off the session's thread, so that the disk's
/// wait runs while the turn's end records its checkpoint; [`finish`] waits for it.
pub(super) fn start(tools: &ToolContext) -> EditsSync {
    let fs = std::sync::Arc::clone(&tools.fs);
    EditsSync(tokio::task::spawn_blocking(move || fs.sync_edits()))
}

/// Waits until the files edited in this turn are on disk; a warning names one that may not be.
pub(super) async fn finish(sync: EditsSync, emit: Emit<'_>) {
    if let Ok(Err(e)) = sync.0.await {
        emit(Event::Warning {
            message: format!("{e}; check the disk, then read the file before relying on it"),
        });
    }
}
