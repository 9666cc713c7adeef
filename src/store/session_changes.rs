//! What a session changed, as the text users read: the session's diff, and the report of an
//! undo. `reins diff` / `reins undo` print it, and the engine sends it to the TUI's `/diff` and
//! `/undo` (run between turns, never beside a step that is checkpointing).

use super::{CheckpointError, CheckpointStore, RestoreReport};
use std::fmt::Write;
use std::path::Path;

/// The text `reins diff [--session ID]` prints: everything the session changed, as a unified diff.
pub fn diff_command(
    reins_home: &Path,
    workspace: &Path,
    session: Option<&str>,
) -> Result<String, CheckpointError> {
    let mut store = CheckpointStore::open(reins_home, workspace)?;
    let session = pick_session(&store, session)?;
    let diff = store.diff_session(&session)?;
    if diff.is_empty() {
        Ok(format!(
            "no changes since the first checkpoint of session {session}\n"
        ))
    } else {
        Ok(diff)
    }
}

/// The text `reins undo [--session ID] [--to N]` prints after restoring the workspace to the
/// checkpoint before the last step (default) or before step N.
pub fn undo_command(
    reins_home: &Path,
    workspace: &Path,
    session: Option<&str>,
    to: Option<u32>,
) -> Result<String, CheckpointError> {
    let mut store = CheckpointStore::open(reins_home, workspace)?;
    let session = pick_session(&store, session)?;
    let target = store.undo_target(&session, to)?;
    let report = store.restore(&session, &target)?;
    Ok(render_report(&session, &report))
}

/// The named session, else the one checkpointed most recently in this workspace.
fn pick_session(store: &CheckpointStore, session: Option<&str>) -> Result<String, CheckpointError> {
    match session {
        Some(id) => Ok(id.to_string()),
        None => store.latest_session()?.ok_or(CheckpointError::NoSession),
    }
}

fn render_report(session: &str, report: &RestoreReport) -> String {
    let target = &report.target;
    let what = if target.is_undo_point() {
        format!(
            "undo point {} (the state before an earlier undo)",
            target.step
        )
    } else {
        format!(
            "the checkpoint before step {} ({})",
            target.step, target.label
        )
    };
    let mut out = String::new();
    if report.paths.is_empty() {
        let _ = writeln!(
            out,
            "Session {session}: the workspace already matched {what}; nothing to restore."
        );
    } else {
        let n = report.paths.len();
        let files = if n == 1 { "file" } else { "files" };
        let _ = writeln!(out, "Restored {what} of session {session} ({n} {files}):");
        for p in &report.paths {
            let _ = writeln!(out, "  {:<10} {}", p.kind.as_str(), p.path);
        }
        if report
            .paths
            .iter()
            .any(|p| p.kind == crate::store::RestoreKind::Skipped)
        {
            let _ = writeln!(
                out,
                "Skipped files were left alone: an ignored file or a symlink is in their way."
            );
        }
    }
    let _ = writeln!(
        out,
        "The state before this undo is saved as undo point {}; `reins undo --session {session} --to {}` brings it back.",
        report.saved.step, report.saved.step
    );
    out
}
