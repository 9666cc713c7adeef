//! What a session changed: a git-style unified diff from its first checkpoint to the workspace
//! now, produced by libgit2 so created, deleted, binary and mode-changed files all read the way
//! `git diff` shows them.

use super::error::CheckpointError;
use super::CheckpointStore;
use git2::{Diff, DiffFormat, DiffOptions};

impl CheckpointStore {
    /// Unified diff (`a/` and `b/` headers, created and deleted files included) from the
    /// session's first checkpoint to the current workspace; empty when nothing changed.
    pub fn diff_session(&mut self, session_id: &str) -> Result<String, CheckpointError> {
        let chain = self.session_chain(session_id)?;
        let from = self.tree_of(&chain[0])?;
        let to = self.snapshot()?;
        let from = self.repo().find_tree(from)?;
        let to = self.repo().find_tree(to)?;
        let mut opts = DiffOptions::new();
        opts.old_prefix("a/").new_prefix("b/").context_lines(3);
        let diff = self
            .repo()
            .diff_tree_to_tree(Some(&from), Some(&to), Some(&mut opts))?;
        render(&diff)
    }
}

fn render(diff: &Diff) -> Result<String, CheckpointError> {
    let mut out = Vec::new();
    diff.print(DiffFormat::Patch, |_, _, line| {
        if matches!(line.origin(), '+' | '-' | ' ') {
            out.push(line.origin() as u8);
        }
        out.extend_from_slice(line.content());
        true
    })?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
