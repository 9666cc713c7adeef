//! The end-of-turn sync of the files the turn's edits replaced (see
//! [`crate::sandbox::beneath::unsynced`]): once per file, however many edits it had, and off the
//! session's thread.

use super::events::{Emit, Event};
use crate::tools::ToolContext;

/// Waits until the files edited in this turn are on disk; a warning names one that may not be.
pub(super) async fn sync_edits(tools: &ToolContext, emit: Emit<'_>) {
    let fs = std::sync::Arc::clone(&tools.fs);
    let synced = tokio::task::spawn_blocking(move || fs.sync_edits()).await;
    if let Ok(Err(e)) = synced {
        emit(Event::Warning {
            message: format!("{e}; check the disk, then read the file before relying on it"),
        });
    }
}
