//! Choosing what `reins undo` restores. Checkpoints are taken before mutating steps, so when a
//! session ends the workspace holds the last step's changes on top of the latest checkpoint:
//! undoing that step means restoring the latest checkpoint. Each undo leaves an undo point
//! recording what it restored, and the next undo continues from there, so repeated undos walk
//! further back. Undo points are never themselves a default target, nor are the states a turn
//! left ([`super::TURN_END_LABEL`]: restoring one would bring back an edit the user reverted
//! since, e.g. a hunk reverted in `/diff`); `--to N` with an undo point's step brings back the
//! state from before that undo.

use super::error::CheckpointError;
use super::{Checkpoint, CheckpointStore};

impl CheckpointStore {
    /// The session's checkpoints, oldest first; an error naming the sessions that do exist when
    /// this one has none.
    pub(crate) fn session_chain(
        &self,
        session_id: &str,
    ) -> Result<Vec<Checkpoint>, CheckpointError> {
        let chain = self.list(session_id)?;
        if chain.is_empty() {
            return Err(CheckpointError::UnknownSession {
                id: session_id.to_string(),
                available: self.sessions()?,
            });
        }
        Ok(chain)
    }

    /// The checkpoint `reins undo` should restore. With `to`, the first checkpoint taken before
    /// step `to` (or, failing that, the undo point numbered `to`). Without it, the latest
    /// checkpoint older than what the last undo restored (or the latest, when the session has
    /// not been undone since its last step) whose state differs from the workspace now, so an
    /// undo always changes something.
    pub fn undo_target(
        &mut self,
        session_id: &str,
        to: Option<u32>,
    ) -> Result<Checkpoint, CheckpointError> {
        let chain = self.session_chain(session_id)?;
        match to {
            Some(step) => by_step(session_id, &chain, step),
            None => self.previous_state(session_id, &chain),
        }
    }

    fn previous_state(
        &mut self,
        session_id: &str,
        chain: &[Checkpoint],
    ) -> Result<Checkpoint, CheckpointError> {
        let last_undo = chain.last().filter(|c| c.is_undo_point());
        let boundary = match last_undo {
            Some(u) => u
                .restored_to
                .as_deref()
                .and_then(|t| chain.iter().position(|c| c.id == t))
                .unwrap_or(chain.len() - 1),
            None => chain.len(),
        };
        let candidates: Vec<&Checkpoint> = chain[..boundary]
            .iter()
            .rev()
            .filter(|c| !c.is_undo_point() && !c.is_turn_end())
            .collect();
        let now = self.snapshot()?;
        for c in &candidates {
            if self.tree_of(c)? != now {
                return Ok((*c).clone());
            }
        }
        let why = if candidates.is_empty() {
            format!("session `{session_id}` is already back at its first checkpoint")
        } else {
            format!(
                "the workspace already matches every earlier checkpoint of session `{session_id}`"
            )
        };
        let hint = last_undo
            .map(|u| {
                format!(
                    "; `reins undo --to {}` brings back the state before the last undo",
                    u.step
                )
            })
            .unwrap_or_default();
        Err(CheckpointError::NothingToUndo(format!("{why}{hint}")))
    }
}

fn by_step(
    session_id: &str,
    chain: &[Checkpoint],
    step: u32,
) -> Result<Checkpoint, CheckpointError> {
    chain
        .iter()
        .find(|c| !c.is_undo_point() && c.step == step)
        .or_else(|| {
            chain
                .iter()
                .rev()
                .find(|c| c.is_undo_point() && c.step == step)
        })
        .cloned()
        .ok_or_else(|| CheckpointError::StepOutOfRange {
            session: session_id.to_string(),
            step,
            available: describe_steps(chain),
        })
}

/// "available steps: 1, 3, 5; undo points: 7" for an out-of-range message.
fn describe_steps(chain: &[Checkpoint]) -> String {
    let mut steps: Vec<u32> = chain
        .iter()
        .filter(|c| !c.is_undo_point())
        .map(|c| c.step)
        .collect();
    steps.dedup();
    let mut out = format!("available steps: {}", join(&steps));
    let undos: Vec<u32> = chain
        .iter()
        .filter(|c| c.is_undo_point())
        .map(|c| c.step)
        .collect();
    if !undos.is_empty() {
        out.push_str(&format!("; undo points: {}", join(&undos)));
    }
    out
}

fn join(steps: &[u32]) -> String {
    steps
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
