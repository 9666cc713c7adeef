//! Workspace checkpoints: before each step that may change the workspace, reins records every
//! file git would see (tracked, or untracked and not ignored) as a commit in a shadow git
//! repository under `$REINS_HOME/checkpoints/<workspace-key>/`, so any step can be diffed and
//! undone, in git repositories and plain directories alike, without touching the user's own
//! repository.
//!
//! Layout of the shadow repository: one commit per checkpoint, whose parent is the previous
//! checkpoint of the same session; `refs/reins/<session-id>` points at the session's latest
//! checkpoint, so a session's history is its first-parent chain. The commit message holds the
//! label, then trailers with the step number and time (see `history`).
//!
//! Speed comes from a stat cache (see `statcache`): only files whose size, times, inode or mode
//! changed are read and hashed, and only directories containing a change get a new tree.

mod background_sync;
mod compare;
mod diff;
mod error;
mod gc;
mod hashing;
mod history;
mod lock;
mod opening;
mod packs;
mod restore;
mod scan;
mod session_index;
mod session_refs;
mod shadow;
mod snapshot;
mod statcache;
mod summary;
mod transcript_indexes;
mod tree;
mod turn_staging;
mod undo;

pub mod images;
pub mod ledger;
pub mod memory;
pub mod session_changes;
pub mod sessions;
pub mod totals;
pub mod transcript;

pub use error::CheckpointError;
pub use gc::{collect_garbage, store_size, stores_size, GcOutcome, Retention, StoreReport};
pub use history::BEFORE_UNDO_LABEL;
pub use opening::Checkpoints;
pub use restore::{RestoreKind, RestoreReport, RestoredPath};
pub use snapshot::{ScanStats, MAX_FILE_BYTES};

use error::io_err;
use git2::Repository;
use statcache::StatCache;
use std::path::{Path, PathBuf};

/// The stat cache's file in the shadow repository.
const STAT_CACHE_FILE: &str = "reins-stat-cache";

/// One recorded state of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The commit id (hex) in the shadow repository.
    pub id: String,
    /// The step this checkpoint was taken before; for an undo point, one more than the highest
    /// step of the session when the undo ran, so `reins undo --to N` can name it.
    pub step: u32,
    pub label: String,
    /// Files that differ from the session's previous checkpoint (none for the first one).
    pub files_changed: Vec<String>,
    /// Seconds since the Unix epoch.
    pub time: i64,
    /// Set on undo points (label [`BEFORE_UNDO_LABEL`]): the id of the checkpoint that undo
    /// restored, which tells the next `reins undo` where to continue walking back from.
    pub restored_to: Option<String>,
}

/// The label of the checkpoint a session takes when a turn that changed files ends: the state
/// the model left, for `reins diff`; never what an undo restores by default (that would bring
/// back an edit the user reverted since).
pub const TURN_END_LABEL: &str = "end of turn";

impl Checkpoint {
    /// Whether this is the state saved by an undo rather than a state before a model step.
    pub fn is_undo_point(&self) -> bool {
        self.label == BEFORE_UNDO_LABEL
    }

    /// Whether this records the state after a turn rather than before a step.
    pub fn is_turn_end(&self) -> bool {
        self.label == TURN_END_LABEL
    }
}

/// The checkpoints of one workspace.
pub struct CheckpointStore {
    /// The shadow repository as it is on disk.
    disk: Repository,
    /// Canonical workspace root.
    workspace: PathBuf,
    /// The shadow repository's directory, left out of scans when it lies inside the workspace.
    skip: Option<PathBuf>,
    cache: StatCache,
    cache_path: PathBuf,
    /// Whether `cache` holds snapshots not yet written to `cache_path` (see [`Self::save_cache`]).
    cache_unsaved: bool,
    clock_path: PathBuf,
    stats: ScanStats,
    /// What the current turn holds back from disk (see `turn_staging` and `session_refs`).
    turn: turn_staging::TurnWrites,
    /// Held shared while the store is open, so garbage collection leaves it alone.
    _lock: lock::StoreLock,
}

impl CheckpointStore {
    /// Opens (creating on first use) the checkpoint store of `workspace` under `reins_home`.
    pub fn open(reins_home: &Path, workspace: &Path) -> Result<Self, CheckpointError> {
        let workspace = workspace
            .canonicalize()
            .map_err(io_err("resolving workspace", workspace))?;
        let dir = shadow::shadow_dir(reins_home, &workspace)?;
        let repo = shadow::open_or_init(&dir, &workspace)?;
        let lock = lock::StoreLock::shared(&dir)?;
        let root = shadow::checkpoints_root(reins_home);
        let skip = root
            .canonicalize()
            .ok()
            .filter(|r| r.starts_with(&workspace));
        let cache_path = dir.join(STAT_CACHE_FILE);
        Ok(CheckpointStore {
            disk: repo,
            workspace,
            skip,
            cache: StatCache::load(&cache_path),
            cache_path,
            cache_unsaved: false,
            clock_path: dir.join("reins-scan-clock"),
            stats: ScanStats::default(),
            turn: turn_staging::TurnWrites::default(),
            _lock: lock,
        })
    }

    /// Where objects are read and written: the turn's staging repository while there is one.
    fn repo(&self) -> &Repository {
        self.turn.staged.as_ref().unwrap_or(&self.disk)
    }

    /// The canonical workspace root this store records.
    pub fn workspace(&self) -> &Path {
        &self.workspace
    }

    /// Writes the stat cache out if a snapshot changed it. Not done for every snapshot: the
    /// file holds an entry per workspace file (about 10 MB for 100,000 files), and rewriting it
    /// before every step would cost more than the step's own snapshot. It is written when a turn
    /// ends (see `history`) and when the store is closed; a cache left older by a crash only
    /// makes the next snapshot read more files, never a wrong one (entries are checked against a
    /// fresh `lstat`, and collection keeps the objects a saved cache names).
    pub fn save_cache(&mut self) -> Result<(), CheckpointError> {
        if self.cache_unsaved {
            self.cache.save(&self.cache_path)?;
            self.cache_unsaved = false;
        }
        Ok(())
    }

    /// What the last scan did: files seen and files read and hashed (the rest came from the
    /// stat cache). For benchmarks and tests.
    pub fn last_scan(&self) -> ScanStats {
        self.stats
    }
}

impl Drop for CheckpointStore {
    /// Writes the held ref updates and saves the stat cache while the store lock is still held
    /// (fields drop after this), so a collection never sees a cache or a ref naming objects it
    /// is about to delete.
    fn drop(&mut self) {
        // Drop cannot report: a held ref left unwritten costs the steps of the last turn their
        // undo, an unsaved cache costs the next session time; neither loses the turn's start.
        // The cache may name objects of the turn: it is saved only once they are on disk.
        if self.flush_staged().is_ok() && self.write_held_refs().is_ok() {
            let _ = self.save_cache();
        }
    }
}
