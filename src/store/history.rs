//! Checkpoints as commits: recording one, reading a session's chain back, finding the latest
//! session. The commit message is the label, a blank line, then trailers:
//!
//! ```text
//! write_file src/main.rs
//!
//! Reins-Session: 20250101T120000-ab12
//! Reins-Step: 3
//! Reins-Time: 1735732800123456789
//! Reins-Restored-To: <commit id>      (undo points only)
//! ```

use super::compare::changed_paths;
use super::error::CheckpointError;
use super::{Checkpoint, CheckpointStore};
use git2::{Commit, ErrorCode, Oid, Repository, Signature, Time};

/// The label of the checkpoint `restore` takes first, so an undo can itself be undone. Undo
/// points are skipped when `reins undo` picks how far back to go.
pub const BEFORE_UNDO_LABEL: &str = "before undo";

const SESSION: &str = "Reins-Session";
const STEP: &str = "Reins-Step";
const TIME: &str = "Reins-Time";
const RESTORED_TO: &str = "Reins-Restored-To";
const REF_PREFIX: &str = "refs/reins/";

impl CheckpointStore {
    /// Records the workspace now; returns the checkpoint and the files changed since the
    /// session's previous checkpoint.
    pub fn checkpoint(
        &mut self,
        session_id: &str,
        step: u32,
        label: &str,
    ) -> Result<Checkpoint, CheckpointError> {
        self.record(session_id, step, label, None)
    }

    /// Records a checkpoint; `restored_to` marks an undo point.
    pub(crate) fn record(
        &mut self,
        session_id: &str,
        step: u32,
        label: &str,
        restored_to: Option<Oid>,
    ) -> Result<Checkpoint, CheckpointError> {
        let refname = session_ref(session_id)?;
        let ends_turn = label == super::TURN_END_LABEL;
        let held = self.prepare_write(ends_turn, restored_to.is_some())?;
        let tree_id = self.snapshot()?;
        let parent = self.tip(&refname)?;
        let files_changed = match &parent {
            Some(p) => changed_paths(self.repo(), Some(p.tree_id()), Some(tree_id))?,
            None => Vec::new(),
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let time = now.as_secs() as i64;
        let label = label.replace(['\r', '\n'], " ");
        let mut message = format!(
            "{label}\n\n{SESSION}: {session_id}\n{STEP}: {step}\n{TIME}: {}\n",
            now.as_nanos()
        );
        if let Some(t) = restored_to {
            message.push_str(&format!("{RESTORED_TO}: {t}\n"));
        }
        let id = {
            let sig = Signature::new("reins", "reins@localhost", &Time::new(time, 0))?;
            let tree = self.repo().find_tree(tree_id)?;
            let parents: Vec<&Commit> = parent.iter().collect();
            self.repo()
                .commit(None, &sig, &sig, &message, &tree, &parents)?
        };
        let parent_id = parent.as_ref().map(Commit::id);
        drop(parent);
        self.finish_write(refname, id, parent_id, held, ends_turn)?;
        Ok(Checkpoint {
            id: id.to_string(),
            step,
            label,
            files_changed,
            time,
            restored_to: restored_to.map(|t| t.to_string()),
        })
    }

    /// The session's checkpoints, oldest first; empty for a session without any.
    pub fn list(&self, session_id: &str) -> Result<Vec<Checkpoint>, CheckpointError> {
        let refname = session_ref(session_id)?;
        let mut chain = Vec::new();
        let mut next = self.tip(&refname)?;
        while let Some(commit) = next {
            let parent = commit.parents().next();
            let files_changed = match &parent {
                Some(p) => changed_paths(self.repo(), Some(p.tree_id()), Some(commit.tree_id()))?,
                None => Vec::new(),
            };
            chain.push(to_checkpoint(&commit, files_changed));
            next = parent;
        }
        chain.reverse();
        Ok(chain)
    }

    /// The session whose latest checkpoint is the most recent in this workspace.
    pub fn latest_session(&self) -> Result<Option<String>, CheckpointError> {
        Ok(self.sessions()?.into_iter().next())
    }

    /// Every session with checkpoints here, most recently updated first.
    pub fn sessions(&self) -> Result<Vec<String>, CheckpointError> {
        Ok(by_recency(self.repo())?
            .into_iter()
            .map(|s| s.name)
            .collect())
    }

    /// The commit a session ref points at, or will once its update is written (see
    /// [`CheckpointStore::defer_ref`]); `None` when the session has no checkpoints.
    fn tip(&self, refname: &str) -> Result<Option<Commit<'_>>, CheckpointError> {
        if let Some(pending) = self.turn.pending_refs.get(refname) {
            return Ok(Some(self.repo().find_commit(pending.tip)?));
        }
        match self.repo().find_reference(refname) {
            Ok(r) => Ok(Some(r.peel_to_commit()?)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The tree a checkpoint recorded.
    pub(crate) fn tree_of(&self, checkpoint: &Checkpoint) -> Result<Oid, CheckpointError> {
        let id = Oid::from_str(&checkpoint.id)?;
        Ok(self.repo().find_commit(id)?.tree_id())
    }
}

/// A session's place in a shadow repository: its ref's tip and when that was recorded.
pub(crate) struct SessionTip {
    pub name: String,
    pub tip: Oid,
    /// Nanoseconds since the Unix epoch.
    pub updated_ns: i128,
}

/// The sessions of `repo`, most recently checkpointed first.
pub(crate) fn by_recency(repo: &Repository) -> Result<Vec<SessionTip>, CheckpointError> {
    let mut found = Vec::new();
    for reference in repo.references_glob(&format!("{REF_PREFIX}*"))? {
        let reference = reference?;
        let Some(name) = reference
            .name()
            .ok()
            .and_then(|n| n.strip_prefix(REF_PREFIX))
        else {
            continue;
        };
        let name = name.to_string();
        let commit = reference.peel_to_commit()?;
        found.push(SessionTip {
            name,
            tip: commit.id(),
            updated_ns: updated_ns(&commit),
        });
    }
    found.sort_by(|a, b| (b.updated_ns, &b.name).cmp(&(a.updated_ns, &a.name)));
    Ok(found)
}

/// `refs/reins/<id>`, for a session id made of letters, digits, `-`, `_` and `.` (what
/// `workspace::new_session_id` produces), so no id can address another ref.
pub(crate) fn session_ref(session_id: &str) -> Result<String, CheckpointError> {
    let ok_chars = session_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let refname = format!("{REF_PREFIX}{session_id}");
    let valid = ok_chars
        && !session_id.is_empty()
        && session_id.len() <= 128
        && !session_id.starts_with('.')
        && git2::Reference::is_valid_name(&refname);
    if valid {
        Ok(refname)
    } else {
        Err(CheckpointError::InvalidSessionId(session_id.to_string()))
    }
}

fn to_checkpoint(commit: &Commit, files_changed: Vec<String>) -> Checkpoint {
    let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
    Checkpoint {
        id: commit.id().to_string(),
        step: trailer(&message, STEP)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        label: message.lines().next().unwrap_or("").to_string(),
        files_changed,
        time: commit.time().seconds(),
        restored_to: trailer(&message, RESTORED_TO).map(str::to_string),
    }
}

/// When the checkpoint was taken, in nanoseconds: commit times have only whole seconds, too
/// coarse to order two sessions checkpointing in the same second.
fn updated_ns(commit: &Commit) -> i128 {
    let message = String::from_utf8_lossy(commit.message_bytes());
    trailer(&message, TIME)
        .and_then(|s| s.parse().ok())
        .unwrap_or(i128::from(commit.time().seconds()) * 1_000_000_000)
}

/// The value of trailer `key`, looked for after the label line only.
fn trailer<'m>(message: &'m str, key: &str) -> Option<&'m str> {
    message
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(": "))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.trim())
}
