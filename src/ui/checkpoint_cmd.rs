//! `reins diff` and `reins undo`: review or take back what a session did to the workspace, from
//! the checkpoints recorded before its steps. Both default to the workspace's latest session.
//!
//! `reins undo` restores the checkpoint taken before the session's last step; run again, it goes
//! back one more step each time. Every undo first saves the current state as an undo point with
//! its own number (one past the session's highest step), printed in the report, so
//! `reins undo --to N` with that number undoes the undo.

use crate::cli::CheckpointsCommand;
use crate::store::{CheckpointError, CheckpointStore, GcOutcome, RestoreReport, Retention};
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

/// `reins diff` from the command line.
pub fn diff(
    session: Option<&str>,
    global: crate::cli::GlobalArgs,
) -> Result<i32, super::ExitError> {
    let ws = super::setup::workspace(&global)?;
    let text = diff_command(ws.home()?, &ws.root, session).map_err(exit_error)?;
    print!("{text}");
    Ok(0)
}

/// `reins undo` from the command line.
pub fn undo(
    session: Option<&str>,
    to: Option<u32>,
    global: crate::cli::GlobalArgs,
) -> Result<i32, super::ExitError> {
    let ws = super::setup::workspace(&global)?;
    let text = undo_command(ws.home()?, &ws.root, session, to).map_err(exit_error)?;
    print!("{text}");
    Ok(0)
}

/// `reins checkpoints gc`.
pub fn run(
    cmd: CheckpointsCommand,
    global: crate::cli::GlobalArgs,
) -> Result<i32, super::ExitError> {
    let CheckpointsCommand::Gc {
        keep_sessions,
        keep_days,
        dry_run,
    } = cmd;
    let ws = super::setup::workspace(&global)?;
    let configured = &ws.loaded.config.checkpoints;
    let defaults = Retention::default();
    let retention = Retention {
        keep_sessions: keep_sessions
            .or(configured.keep_sessions)
            .unwrap_or(defaults.keep_sessions),
        keep_days: keep_days
            .or(configured.keep_days)
            .unwrap_or(defaults.keep_days),
    };
    let text = gc_command(ws.home()?, retention, dry_run).map_err(exit_error)?;
    print!("{text}");
    Ok(0)
}

/// The text `reins checkpoints gc` prints: one line per workspace store, then the total.
pub fn gc_command(
    reins_home: &Path,
    retention: Retention,
    dry_run: bool,
) -> Result<String, CheckpointError> {
    let reports = crate::store::collect_garbage(reins_home, retention, dry_run)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Keeping the last {} sessions per workspace, none older than {} days{}.",
        retention.keep_sessions,
        retention.keep_days,
        if dry_run {
            " (dry run: nothing removed)"
        } else {
            ""
        }
    );
    let (mut before, mut after) = (0, 0);
    for r in &reports {
        let place = r.workspace.display();
        match &r.outcome {
            GcOutcome::InUse => {
                let _ = writeln!(
                    out,
                    "  {place}: in use by a running session; left alone (run gc again after it)"
                );
            }
            GcOutcome::Collected {
                removed,
                kept,
                bytes_before,
                bytes_after,
            } => {
                before += bytes_before;
                after += bytes_after;
                let verb = if dry_run { "would remove" } else { "removed" };
                let _ = writeln!(
                    out,
                    "  {place}: {verb} {} sessions, kept {kept}; {} -> {}",
                    removed.len(),
                    human_bytes(*bytes_before),
                    human_bytes(*bytes_after)
                );
            }
        }
    }
    if reports.is_empty() {
        let _ = writeln!(out, "  no checkpoint stores yet");
    } else {
        let _ = writeln!(
            out,
            "Total: {} -> {}",
            human_bytes(before),
            human_bytes(after)
        );
    }
    Ok(out)
}

/// `1.5 MiB`-style sizes.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Mistakes in what was asked are usage errors (2); failures of the store are 1.
fn exit_error(e: CheckpointError) -> super::ExitError {
    match e {
        CheckpointError::NoSession
        | CheckpointError::UnknownSession { .. }
        | CheckpointError::InvalidSessionId { .. }
        | CheckpointError::StepOutOfRange { .. }
        | CheckpointError::NothingToUndo { .. } => super::ExitError::usage(e.to_string()),
        other => super::ExitError::failure(other.to_string()),
    }
}
