//! A turn's checkpoints after its first one are written to memory, then to disk (loose when one
//! object, else as one pack) when the turn ends or the store closes. Each loose object is a file
//! created (a temporary linked into place), which on a small VM costs a few tenths of a
//! millisecond of CPU: a checkpoint before every step wrote at least its commit that way. The
//! turn's first checkpoint is staged too, but written out with its ref before the step runs, so a
//! session killed mid-turn keeps the state before the turn; what it loses is the finer steps
//! within it, whose refs are held too (`session_refs`).

use super::error::CheckpointError;
use super::packs::write_pack;
use super::session_refs::PendingRef;
use super::CheckpointStore;
use git2::{ObjectType, Odb, Oid, Repository};
use std::collections::{BTreeMap, HashSet};

/// File bytes the staging store may hold (uncompressed, in memory) before it is written out
/// mid-turn: a turn whose steps each rewrite a large file would otherwise hold every version.
const STAGED_LIMIT: u64 = 64 * 1024 * 1024;

/// Above every backend on disk, so writes land in memory and reads look there first.
pub(super) const STAGING_PRIORITY: i32 = 1000;

/// What a turn holds back from disk until it ends.
pub(super) struct TurnWrites {
    /// After the turn's first checkpoint: the repository again, with an in-memory object store
    /// in front, where the turn's later checkpoints are written.
    pub staged: Option<Repository>,
    /// Ref updates held until the turn ends (see `session_refs`), by ref name.
    pub pending_refs: BTreeMap<String, PendingRef>,
    /// Whether a checkpoint was taken since the last end of a turn: the next ones are held.
    pub in_turn: bool,
    /// The blobs hashed since the last flush: the only ones a flush may find new (a blob
    /// hashed earlier is on disk), so it does not ask the disk about every file of a new tree.
    pub staged_blobs: HashSet<Oid>,
    /// File bytes hashed into `staged` since its last flush, and the most it may hold.
    pub staged_bytes: u64,
    pub staged_limit: u64,
}

impl Default for TurnWrites {
    fn default() -> Self {
        TurnWrites {
            staged: None,
            pending_refs: BTreeMap::new(),
            in_turn: false,
            staged_blobs: HashSet::new(),
            staged_bytes: 0,
            staged_limit: STAGED_LIMIT,
        }
    }
}

impl CheckpointStore {
    /// Readies the next checkpoint: its objects go to memory either way, and it is held there
    /// when it is a turn's later step (not its end, not an undo point); otherwise
    /// [`CheckpointStore::finish_write`] writes it out with what the turn staged so far, as one
    /// pack when it is more than one object. Returns whether it is held.
    pub(super) fn prepare_write(
        &mut self,
        ends_turn: bool,
        undo_point: bool,
    ) -> Result<bool, CheckpointError> {
        self.start_staging()?;
        Ok(self.turn.in_turn && !ends_turn && !undo_point)
    }

    /// Records the checkpoint `id` as the session's tip: held, or written with the held
    /// updates; at a turn's end the stat cache is saved too (a pause: not before each step).
    pub(super) fn finish_write(
        &mut self,
        refname: String,
        id: Oid,
        parent: Option<Oid>,
        held: bool,
        ends_turn: bool,
    ) -> Result<(), CheckpointError> {
        self.defer_ref(refname.clone(), id, parent);
        if held {
            self.bound_staging()?;
        } else {
            self.flush_staged()?;
            self.write_ref(&refname, id, parent)?;
        }
        self.turn.in_turn = !ends_turn;
        if ends_turn {
            self.save_cache()?;
        }
        Ok(())
    }

    /// Writes the staged objects out when they hold more than the limit; the refs stay held
    /// (nothing may name them on disk before the turn ends), and the next step stages anew.
    fn bound_staging(&mut self) -> Result<(), CheckpointError> {
        if self.turn.staged_bytes > self.turn.staged_limit {
            self.flush_staged()?;
        }
        Ok(())
    }

    /// Sends the next writes to memory (a second handle on the repository, with a mempack in
    /// front of the disk backends), unless they already go there.
    fn start_staging(&mut self) -> Result<(), CheckpointError> {
        if self.turn.staged.is_none() {
            let staged = Repository::open_bare(self.disk.path())?;
            // The backend belongs to the odb (freed with the repository): the handle can go.
            staged.odb()?.add_new_mempack_backend(STAGING_PRIORITY)?;
            self.turn.staged = Some(staged);
        }
        Ok(())
    }

    /// Writes what the turn staged and the held refs can reach to disk, then sends writes to
    /// disk again. Only objects not already on disk go: a tree found there brings everything
    /// below it. One object (a commit over an unchanged tree) is written loose, more as one
    /// pack: a loose object is a file, often in a new fan-out folder, and a pack is two files
    /// whatever it holds; creating files is what a checkpoint's write costs most on a small VM,
    /// and the packs a long session leaves are merged past [`super::packs::MAX_PACKS`].
    pub(super) fn flush_staged(&mut self) -> Result<(), CheckpointError> {
        let Some(staged) = self.turn.staged.take() else {
            return Ok(());
        };
        self.turn.staged_bytes = 0;
        let hashed = std::mem::take(&mut self.turn.staged_blobs);
        let disk = self.disk.odb()?;
        let mut found = NewObjects {
            staged: &staged,
            disk: &disk,
            hashed: &hashed,
            ids: Vec::new(),
            seen: HashSet::new(),
        };
        for held in self.turn.pending_refs.values() {
            found.add_commits(held.tip)?;
        }
        let ids = found.ids;
        if ids.len() <= LOOSE_UP_TO {
            let staged_odb = staged.odb()?;
            for id in ids {
                let object = staged_odb.read(id)?;
                disk.write(object.kind(), object.data())?;
            }
            return Ok(());
        }
        write_pack(&staged, &disk, &ids)?;
        drop(disk);
        drop(staged);
        self.merge_packs_if_many();
        Ok(())
    }

    /// Merges the small packs past their limit (see `packs`), then reopens the repository so
    /// that it forgets the packs removed. Housekeeping: a merge that fails leaves duplicate
    /// objects at worst, and the checkpoint stands, so its error is not the checkpoint's.
    fn merge_packs_if_many(&mut self) {
        if let Ok(true) = self.merge_small_packs() {
            if let Ok(reopened) = Repository::open_bare(self.disk.path()) {
                self.disk = reopened;
            }
        }
    }
}

/// Up to this many new objects a flush writes loose files rather than a pack.
const LOOSE_UP_TO: usize = 1;

/// The objects reachable from the held tips that are not on disk yet.
struct NewObjects<'a> {
    staged: &'a Repository,
    disk: &'a Odb<'a>,
    /// The blobs hashed since the last flush (see `TurnWrites::staged_blobs`).
    hashed: &'a HashSet<Oid>,
    ids: Vec<Oid>,
    seen: HashSet<Oid>,
}

impl NewObjects<'_> {
    /// A commit and its ancestors back to the first one on disk, with their trees.
    fn add_commits(&mut self, tip: Oid) -> Result<(), CheckpointError> {
        let mut next = Some(tip);
        while let Some(id) = next {
            if !self.is_new(id) {
                break;
            }
            self.ids.push(id);
            let commit = self.staged.find_commit(id)?;
            self.add_tree(commit.tree_id())?;
            next = commit.parent_id(0).ok();
        }
        Ok(())
    }

    fn add_tree(&mut self, id: Oid) -> Result<(), CheckpointError> {
        if !self.is_new(id) {
            return Ok(());
        }
        self.ids.push(id);
        let tree = self.staged.find_tree(id)?;
        for entry in tree.iter() {
            match entry.kind() {
                Some(ObjectType::Tree) => self.add_tree(entry.id())?,
                Some(ObjectType::Blob)
                    if self.hashed.contains(&entry.id()) && self.is_new(entry.id()) =>
                {
                    self.ids.push(entry.id())
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Not seen in this flush and not on disk.
    fn is_new(&mut self, id: Oid) -> bool {
        self.seen.insert(id) && !self.disk.exists(id)
    }
}

#[cfg(test)]
mod tests {
    use super::super::CheckpointStore;

    /// Loose objects in the store: files in the two-letter fan-out folders.
    fn loose_objects(store: &CheckpointStore) -> usize {
        let objects = store.disk.path().join("objects");
        std::fs::read_dir(&objects)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().len() == 2)
            .map(|e| std::fs::read_dir(e.path()).unwrap().count())
            .sum()
    }

    /// A turn's first checkpoint of several new objects is written as one pack, not as a file
    /// each; a commit over a tree already stored stays one loose object.
    #[test]
    fn a_first_checkpoint_is_one_pack_and_a_lone_commit_is_loose() {
        let (home, ws) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for name in ["a.txt", "b.txt", "c.txt"] {
            std::fs::write(ws.path().join(name), name).unwrap();
        }
        let mut store = CheckpointStore::open(home.path(), ws.path()).unwrap();
        let first = store.checkpoint("s", 1, "first").unwrap();
        let id = git2::Oid::from_str(&first.id).unwrap();
        assert!(
            store.disk.odb().unwrap().exists(id),
            "written before the step"
        );
        assert_eq!(loose_objects(&store), 0, "three blobs, a tree, a commit");
        let packs = std::fs::read_dir(store.disk.path().join("objects/pack"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "pack"))
            .count();
        assert_eq!(packs, 1);
        store
            .checkpoint("s", 1, crate::store::TURN_END_LABEL)
            .unwrap();
        assert_eq!(loose_objects(&store), 1, "the turn's end: a commit alone");
        assert_eq!(store.list("s").unwrap().len(), 2);
    }

    /// A turn's steps stay in memory until they hold more file bytes than the limit; then they
    /// are written out mid-turn (the refs still held) and the next step stages anew.
    #[test]
    fn staging_is_written_out_past_its_limit() {
        let (home, ws) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        std::fs::write(ws.path().join("a.txt"), "small").unwrap();
        let mut store = CheckpointStore::open(home.path(), ws.path()).unwrap();
        store.turn.staged_limit = 1_000;
        store.checkpoint("s", 1, "first").unwrap();
        std::fs::write(ws.path().join("a.txt"), "still small").unwrap();
        let small = store.checkpoint("s", 2, "small").unwrap();
        assert!(store.turn.staged.is_some(), "a small step stays in memory");
        let id = |c: &crate::store::Checkpoint| git2::Oid::from_str(&c.id).unwrap();
        assert!(!store.disk.odb().unwrap().exists(id(&small)));

        std::fs::write(ws.path().join("a.txt"), "x".repeat(5_000)).unwrap();
        let big = store.checkpoint("s", 3, "big").unwrap();
        assert!(
            store.turn.staged.is_none(),
            "past the limit the staged objects went to disk"
        );
        {
            let disk = store.disk.odb().unwrap();
            assert!(disk.exists(id(&small)) && disk.exists(id(&big)));
        }
        assert_eq!(store.turn.pending_refs.len(), 1, "the ref is still held");

        std::fs::write(ws.path().join("a.txt"), "after").unwrap();
        store.checkpoint("s", 4, "after").unwrap();
        assert!(store.turn.staged.is_some(), "the next step stages anew");
        store
            .checkpoint("s", 4, crate::store::TURN_END_LABEL)
            .unwrap();
        assert!(store.turn.pending_refs.is_empty() && store.turn.staged.is_none());
        assert_eq!(store.list("s").unwrap().len(), 5);
    }
}
