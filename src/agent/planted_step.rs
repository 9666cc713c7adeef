//! The end-of-turn look for repositories the turn's commands planted in subfolders (see
//! [`crate::workspace::planted`]). It runs only after turns that ran programs (commands, checks,
//! MCP servers' tools: the file tools refuse any `.git` path, so edits alone cannot plant one),
//! or that changed files while MCP servers run (they run between calls too), and only under
//! `workspace-write`: `read-only` cannot create one and `full` promises nothing.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::events::{Emit, Event};
use crate::tools::ToolContext;
use crate::types::SandboxMode;

/// How far before the turn's start a change still counts: file times come from the kernel's
/// coarse clock, which may lag the time read here by a tick.
const CLOCK_SLACK: Duration = Duration::from_secs(1);

/// Moves aside every dangerous repository changed since `turn_started` in the workspace of
/// `tools`; warns for each.
pub(super) async fn set_aside_planted(
    tools: &ToolContext,
    turn_started: SystemTime,
    emit: Emit<'_>,
) {
    if tools.policy.mode != SandboxMode::WorkspaceWrite {
        return;
    }
    let root = tools.root.clone();
    let mut skip: Vec<PathBuf> = Vec::new();
    if !tools.git_absent_at_start {
        skip.push(root.join(".git"));
    }
    if let Some(home) = &tools.reins_home {
        skip.push(home.canonicalize().unwrap_or_else(|_| home.clone()));
    }
    let since = turn_started
        .checked_sub(CLOCK_SLACK)
        .unwrap_or(turn_started);
    let found = tokio::task::spawn_blocking(move || {
        crate::workspace::planted::set_aside_planted(&root, since, &skip)
    })
    .await;
    for message in found.unwrap_or_default() {
        emit(Event::Warning { message });
    }
}
