//! `reins diff` and `reins undo`: review or take back what a session did to the workspace, from
//! the checkpoints recorded before its steps. Both default to the workspace's latest session.
//!
//! `reins undo` restores the checkpoint taken before the session's last step; run again, it goes
//! back one more step each time. Every undo first saves the current state as an undo point with
//! its own number (one past the session's highest step), printed in the report, so
//! `reins undo --to N` with that number undoes the undo.

use crate::cli::CheckpointsCommand;
use crate::store::session_changes::{diff_command, undo_command};
use crate::store::{CheckpointError, GcOutcome, Retention};
use std::fmt::Write;
use std::path::Path;

/// `reins diff` from the command line.
pub fn diff(
    session: Option<&str>,
    global: crate::cli::GlobalArgs,
) -> Result<i32, crate::frontend::ExitError> {
    let ws = crate::frontend::setup::workspace(&global)?;
    let text = diff_command(ws.home()?, &ws.root, session).map_err(exit_error)?;
    print!("{text}");
    Ok(0)
}

/// `reins undo` from the command line.
pub fn undo(
    session: Option<&str>,
    to: Option<u32>,
    global: crate::cli::GlobalArgs,
) -> Result<i32, crate::frontend::ExitError> {
    let ws = crate::frontend::setup::workspace(&global)?;
    let text = undo_command(ws.home()?, &ws.root, session, to).map_err(exit_error)?;
    print!("{text}");
    Ok(0)
}

/// `reins checkpoints gc`.
pub fn run(
    cmd: CheckpointsCommand,
    global: crate::cli::GlobalArgs,
) -> Result<i32, crate::frontend::ExitError> {
    let CheckpointsCommand::Gc {
        keep_sessions,
        keep_days,
        dry_run,
    } = cmd;
    let ws = crate::frontend::setup::workspace(&global)?;
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
fn exit_error(e: CheckpointError) -> crate::frontend::ExitError {
    match e {
        CheckpointError::NoSession
        | CheckpointError::UnknownSession { .. }
        | CheckpointError::InvalidSessionId { .. }
        | CheckpointError::StepOutOfRange { .. }
        | CheckpointError::NothingToUndo { .. } => crate::frontend::ExitError::usage(e.to_string()),
        other => crate::frontend::ExitError::failure(other.to_string()),
    }
}
