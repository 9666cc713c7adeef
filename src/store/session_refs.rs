//! Writing session refs. Every checkpoint is a commit on disk at once, but within a turn only the
//! first one moves the session's ref there; the later ones are held here and written with the
//! turn's end (or when the store closes). A ref update creates and renames a lock file, which on
//! a small VM costs about as much CPU as the rest of a cheap step's checkpoint. A session killed
//! mid-turn keeps the state before the turn (the ref) and loses only the finer steps within it,
//! whose commits stay unreferenced until the next collection removes them.
//!
//! Every write is a compare-and-swap against the value this store last saw on disk, so a ref
//! another process moved meanwhile is an error, never silently overwritten.

use super::error::CheckpointError;
use super::CheckpointStore;
use git2::{ErrorCode, Oid};

/// A ref update not written yet.
pub(super) struct PendingRef {
    /// The commit the ref is to point at.
    pub tip: Oid,
    /// What the ref held on disk when the first held update was made (`None`: no ref yet).
    pub on_disk: Option<Oid>,
}

impl CheckpointStore {
    /// Holds `refname`'s move to `tip` (whose parent is `parent`) until the turn ends.
    pub(super) fn defer_ref(&mut self, refname: String, tip: Oid, parent: Option<Oid>) {
        self.turn
            .pending_refs
            .entry(refname)
            .and_modify(|p| p.tip = tip)
            .or_insert(PendingRef {
                tip,
                on_disk: parent,
            });
    }

    /// Moves `refname` to `tip` on disk; `parent` is the tip it moves from, unless an update of
    /// it is held, whose value on disk is then the expected one.
    pub(super) fn write_ref(
        &mut self,
        refname: &str,
        tip: Oid,
        parent: Option<Oid>,
    ) -> Result<(), CheckpointError> {
        let expected = match self.turn.pending_refs.remove(refname) {
            Some(held) => held.on_disk,
            None => parent,
        };
        const MESSAGE: &str = "reins checkpoint";
        let written = match expected {
            Some(old) => self
                .disk
                .reference_matching(refname, tip, true, old, MESSAGE),
            None => self.disk.reference(refname, tip, false, MESSAGE),
        };
        match written {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code(), ErrorCode::Modified | ErrorCode::Exists) => {
                Err(CheckpointError::RefMoved {
                    refname: refname.to_string(),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes every held ref update (the store is closing).
    pub(super) fn write_held_refs(&mut self) -> Result<(), CheckpointError> {
        let held: Vec<(String, Oid)> = self
            .turn
            .pending_refs
            .iter()
            .map(|(name, p)| (name.clone(), p.tip))
            .collect();
        for (name, tip) in held {
            self.write_ref(&name, tip, None)?;
        }
        Ok(())
    }
}
