//! `reins worktrees [list | remove NAME [--force]]`: the git worktrees `--worktree` made in this
//! repository, and their removal (refused while one holds uncommitted work, unless forced).

use crate::cli::{GlobalArgs, WorktreesCommand};
use crate::frontend::ExitError;
use crate::workspace::worktree::{self, State, WorktreeError};
use std::path::PathBuf;

impl From<WorktreeError> for ExitError {
    fn from(e: WorktreeError) -> Self {
        match e {
            WorktreeError::BadName(_)
            | WorktreeError::NoRepository(_)
            | WorktreeError::NoHead
            | WorktreeError::Unknown(_)
            | WorktreeError::Foreign { .. }
            | WorktreeError::Occupied { .. } => ExitError::usage(e.to_string()),
            _ => ExitError::failure(e.to_string()),
        }
    }
}

pub fn run(command: Option<WorktreesCommand>, global: GlobalArgs) -> Result<i32, ExitError> {
    let dir = match global.cd {
        Some(dir) => dir,
        None => std::env::current_dir().map_err(|e| ExitError::usage(e.to_string()))?,
    };
    match command.unwrap_or(WorktreesCommand::List) {
        WorktreesCommand::List => list(dir),
        WorktreesCommand::Remove { name, force } => {
            let gone = worktree::remove(&dir, &name, force)?;
            let branch = gone
                .branch
                .unwrap_or_else(|| format!("{}{name}", worktree::BRANCH_PREFIX));
            println!(
                "removed worktree {name} ({}); its branch {branch} is kept (git branch -D {branch} deletes it)",
                gone.path.display()
            );
            Ok(0)
        }
    }
}

fn list(dir: PathBuf) -> Result<i32, ExitError> {
    let all = worktree::list(&dir)?;
    if all.is_empty() {
        println!("no worktrees: `reins --worktree NAME` or `reins exec --worktree NAME` makes one");
        return Ok(0);
    }
    let rows: Vec<[String; 4]> = all
        .into_iter()
        .map(|w| {
            let state = match w.state {
                State::Clean => "clean".to_string(),
                State::Changed { count, .. } => format!("{count} uncommitted"),
                State::Missing => "missing".to_string(),
            };
            [
                w.name,
                w.branch.unwrap_or_else(|| "-".into()),
                state,
                w.path.display().to_string(),
            ]
        })
        .collect();
    let header = ["name", "branch", "state", "path"].map(String::from);
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    Ok(0)
}
