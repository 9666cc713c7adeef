//! The end-of-turn look for repositories the turn's commands planted in subfolders (see
//! [`crate::workspace::planted`]). It runs only after turns that ran programs (commands, checks,
//! MCP servers' tools: the file tools refuse any `.git` path, so edits alone cannot plant one),
//! or after every turn while MCP servers run, and once more when the servers have stopped; only
//! under `workspace-write`: `read-only` cannot create one and `full` promises nothing.
//!
//! Servers outlive turns: one may plant between two turns, or as it stops. So while servers run
//! each look covers everything since the one before ([`PlantedWatch`]), not only the turn; that
//! includes what the user changed between turns, which is moved aside too if it is dangerous
//! (renamed, never deleted, and reported).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::events::{Emit, Event};
use crate::tools::ToolContext;
use crate::types::SandboxMode;

/// How far before the turn's start a change still counts: file times come from the kernel's
/// coarse clock, which may lag the time read here by a tick.
const CLOCK_SLACK: Duration = Duration::from_secs(1);

/// When the session last looked (its start, before the first look).
pub(super) struct PlantedWatch {
    last_look: SystemTime,
}

impl PlantedWatch {
    pub(super) fn new() -> Self {
        PlantedWatch {
            last_look: SystemTime::now(),
        }
    }

    /// Where a look at the end of a turn that began at `turn_started` starts from: the last
    /// look when servers run (they may have planted since), else the turn's start (nothing of
    /// the session runs between turns).
    pub(super) fn since(&self, turn_started: SystemTime, servers: bool) -> SystemTime {
        match servers {
            true => self.last_look.min(turn_started),
            false => turn_started,
        }
    }

    /// The time a look started at, to start the next one from.
    pub(super) fn looked(&mut self, at: SystemTime) {
        self.last_look = at;
    }

    /// Where the look after the servers stopped starts from.
    pub(super) fn last_look(&self) -> SystemTime {
        self.last_look
    }
}

/// Moves aside every dangerous repository changed since `since` in the workspace of `tools`;
/// warns for each.
pub(super) async fn set_aside_planted(tools: &ToolContext, since: SystemTime, emit: Emit<'_>) {
    for message in planted_since(tools, since).await {
        emit(Event::Warning { message });
    }
}

/// The messages for the dangerous repositories changed since `since`, each moved aside.
pub(super) async fn planted_since(tools: &ToolContext, since: SystemTime) -> Vec<String> {
    if tools.policy.mode != SandboxMode::WorkspaceWrite {
        return Vec::new();
    }
    let root = tools.root.clone();
    let mut skip: Vec<PathBuf> = Vec::new();
    if !tools.git_absent_at_start {
        skip.push(root.join(".git"));
    }
    if let Some(home) = &tools.reins_home {
        skip.push(home.canonicalize().unwrap_or_else(|_| home.clone()));
    }
    let since = since.checked_sub(CLOCK_SLACK).unwrap_or(since);
    tokio::task::spawn_blocking(move || {
        crate::workspace::planted::set_aside_planted(&root, since, &skip)
    })
    .await
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_servers_a_look_starts_from_the_last_one_and_without_from_the_turn() {
        let mut watch = PlantedWatch::new();
        let looked = SystemTime::now();
        watch.looked(looked);
        let turn = looked + Duration::from_secs(60);
        assert_eq!(watch.since(turn, true), looked);
        assert_eq!(watch.since(turn, false), turn);
        assert_eq!(watch.last_look(), looked);
    }
}
