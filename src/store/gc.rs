//! Garbage collection of the checkpoint stores: every step of every session adds a commit and
//! the blobs it changed, so without collection `$REINS_HOME/checkpoints` only grows.
//!
//! A collection drops the refs of the sessions past the retention limits, then rewrites the
//! objects still reachable (from the kept sessions, and from the stat cache, which vouches for the
//! last snapshot's blobs) into one pack and deletes every other pack and loose object. It runs
//! only on a store nobody has open (see `lock`): a running session relies on objects that no ref
//! reaches yet, and its store is left alone and reported as in use.

use super::error::{io_err, CheckpointError};
use super::history::{by_recency, session_ref};
use super::lock::StoreLock;
use super::shadow;
use super::statcache::StatCache;
use git2::{Oid, Repository};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// How long checkpoints are kept. Each is a limit: a session's checkpoints are removed when the
/// session is not among the `keep_sessions` most recently checkpointed of its workspace, or when
/// its last checkpoint is older than `keep_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub keep_sessions: usize,
    pub keep_days: u64,
}

impl Default for Retention {
    /// Enough to undo anything from the past month, and at most 50 sessions per workspace.
    fn default() -> Self {
        Retention {
            keep_sessions: 50,
            keep_days: 30,
        }
    }
}

/// What a collection did to one workspace's store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreReport {
    /// The workspace the store records.
    pub workspace: PathBuf,
    pub outcome: GcOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GcOutcome {
    /// A running session (or `reins diff`/`undo`) has the store open: left alone.
    InUse,
    /// Sessions removed (or that would be, in a dry run), how many are kept, and the store's
    /// size before and after.
    Collected {
        removed: Vec<String>,
        kept: usize,
        bytes_before: u64,
        bytes_after: u64,
    },
}

/// Collects every store under `reins_home`; with `dry_run` only says what would go.
pub fn collect_garbage(
    reins_home: &Path,
    retention: Retention,
    dry_run: bool,
) -> Result<Vec<StoreReport>, CheckpointError> {
    let root = shadow::checkpoints_root(reins_home);
    let entries = match std::fs::read_dir(&root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("listing", &root)(e)),
    };
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    dirs.sort();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    let mut out = Vec::new();
    for dir in dirs {
        // Only directories that are stores: a half-created one has no marker yet.
        let Some(workspace) = shadow::recorded_workspace(&dir) else {
            continue;
        };
        let outcome = match StoreLock::try_exclusive(&dir)? {
            None => GcOutcome::InUse,
            Some(_lock) => collect_store(&dir, retention, now, dry_run)?,
        };
        out.push(StoreReport { workspace, outcome });
    }
    Ok(out)
}

fn collect_store(
    dir: &Path,
    retention: Retention,
    now_ns: i128,
    dry_run: bool,
) -> Result<GcOutcome, CheckpointError> {
    let bytes_before = dir_size(dir);
    let repo = Repository::open_bare(dir)?;
    let max_age = i128::from(retention.keep_days) * 86_400 * 1_000_000_000;
    let (kept, removed): (Vec<_>, Vec<_>) = by_recency(&repo)?
        .into_iter()
        .enumerate()
        .partition(|(rank, s)| *rank < retention.keep_sessions && now_ns - s.updated_ns <= max_age);
    let removed: Vec<String> = removed.into_iter().map(|(_, s)| s.name).collect();
    let kept: Vec<Oid> = kept.into_iter().map(|(_, s)| s.tip).collect();
    if dry_run || removed.is_empty() {
        return Ok(GcOutcome::Collected {
            kept: kept.len(),
            removed,
            bytes_before,
            bytes_after: bytes_before,
        });
    }
    for name in &removed {
        repo.find_reference(&session_ref(name)?)?.delete()?;
    }
    repack(&repo, dir, &kept)?;
    drop(repo);
    Ok(GcOutcome::Collected {
        kept: kept.len(),
        removed,
        bytes_before,
        bytes_after: dir_size(dir),
    })
}

/// Writes everything reachable from `tips` and from the stat cache into one new pack, then
/// deletes every other pack and every loose object. The new pack is complete before anything
/// is deleted, so an interrupted collection leaves duplicates, never a gap.
fn repack(repo: &Repository, dir: &Path, tips: &[Oid]) -> Result<(), CheckpointError> {
    let mut packer = repo.packbuilder()?;
    if !tips.is_empty() {
        let mut walk = repo.revwalk()?;
        for tip in tips {
            walk.push(*tip)?;
        }
        packer.insert_walk(&mut walk)?;
    }
    let cache_path = dir.join(super::STAT_CACHE_FILE);
    let cache = StatCache::load(&cache_path);
    let odb = repo.odb()?;
    let cache_whole = cache.files.values().all(|c| odb.exists(c.leaf.oid))
        && cache.dirs.values().all(|t| odb.exists(*t));
    if cache_whole {
        for cached in cache.files.values() {
            packer.insert_object(cached.leaf.oid, None)?;
        }
        for tree in cache.dirs.values() {
            packer.insert_tree(*tree)?;
        }
    }
    let pack_dir = dir.join("objects").join("pack");
    let keep = if packer.object_count() > 0 {
        packer.write(&pack_dir, 0o444)?;
        packer.name()?.map(|hash| format!("pack-{hash}"))
    } else {
        None
    };
    remove_old_packs(&pack_dir, keep.as_deref())?;
    remove_loose_objects(&dir.join("objects"))?;
    if !cache_whole {
        // It names objects that are gone: the next checkpoint hashes every file again.
        std::fs::remove_file(&cache_path).map_err(io_err("removing", &cache_path))?;
    }
    Ok(())
}

/// Deletes the pack files (`pack-<hash>.pack`, `.idx`, `.rev`…) whose stem is not `keep`.
fn remove_old_packs(pack_dir: &Path, keep: Option<&str>) -> Result<(), CheckpointError> {
    let Ok(entries) = std::fs::read_dir(pack_dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if stem.starts_with("pack-") && Some(stem) != keep {
            std::fs::remove_file(&path).map_err(io_err("removing", &path))?;
        }
    }
    Ok(())
}

/// Deletes the loose-object fan-out directories (`objects/ab/…`).
fn remove_loose_objects(objects: &Path) -> Result<(), CheckpointError> {
    let entries = std::fs::read_dir(objects).map_err(io_err("listing", objects))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let fan_out = name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit());
        if fan_out {
            let path = entry.path();
            std::fs::remove_dir_all(&path).map_err(io_err("removing", &path))?;
        }
    }
    Ok(())
}

/// The disk space of `workspace`'s checkpoint store, in bytes; `None` when it has none.
pub fn store_size(reins_home: &Path, workspace: &Path) -> Option<u64> {
    let workspace = workspace.canonicalize().ok()?;
    let dir = shadow::shadow_dir(reins_home, &workspace).ok()?;
    dir.is_dir().then(|| dir_size(&dir))
}

/// The disk space of every workspace's checkpoint store, in bytes.
pub fn stores_size(reins_home: &Path) -> u64 {
    dir_size(&shadow::checkpoints_root(reins_home))
}

/// The bytes of the files under `dir` (symlinks not followed).
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}
