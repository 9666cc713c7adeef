//! Putting the workspace back to a checkpoint. The current state is checkpointed first (an undo
//! point), then only the files that differ are touched: removals first (pruning directories they
//! leave empty), then writes. Files outside the snapshot (ignored, too large, unreadable) are
//! never modified or deleted; when one is in the way of a file to restore, that file is skipped
//! and reported. Every removal and write goes through a handle of the workspace root
//! ([`Beneath`]) by workspace-relative path, with no symlink allowed on the way: a directory
//! swapped for a link to elsewhere makes the restore fail, never delete or write outside.

use super::compare::{changes, Change};
use super::error::{io_err, CheckpointError};
use super::history::BEFORE_UNDO_LABEL;
use super::tree::Leaf;
use super::{Checkpoint, CheckpointStore};
use crate::sandbox::beneath::Beneath;
use git2::Oid;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// What restore did to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreKind {
    /// Content, executable bit or file type put back.
    Reverted,
    /// Deleted since the checkpoint; created again.
    Recreated,
    /// Created since the checkpoint; removed.
    Removed,
    /// Not restored: a file or symlink outside the snapshot (ignored, say) is in the way, and
    /// restore never touches those.
    Skipped,
}

impl RestoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RestoreKind::Reverted => "reverted",
            RestoreKind::Recreated => "recreated",
            RestoreKind::Removed => "removed",
            RestoreKind::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredPath {
    pub path: String,
    pub kind: RestoreKind,
}

#[derive(Debug, Clone)]
pub struct RestoreReport {
    /// The checkpoint the workspace now matches.
    pub target: Checkpoint,
    /// The undo point holding the state from just before the restore.
    pub saved: Checkpoint,
    /// Every path touched or skipped, sorted.
    pub paths: Vec<RestoredPath>,
}

impl CheckpointStore {
    /// Restores the workspace to `target`, after checkpointing the current state as an undo
    /// point (label [`BEFORE_UNDO_LABEL`], step one past the session's highest) so the restore
    /// can itself be undone.
    pub fn restore(
        &mut self,
        session_id: &str,
        target: &Checkpoint,
    ) -> Result<RestoreReport, CheckpointError> {
        let fs = Beneath::open(&self.workspace).map_err(io_err("opening", &self.workspace))?;
        let target_id = Oid::from_str(&target.id)?;
        let target_tree = self.repo().find_commit(target_id)?.tree_id();
        let step = self.list(session_id)?.iter().map(|c| c.step + 1).max();
        let saved = self.record(
            session_id,
            step.unwrap_or(1),
            BEFORE_UNDO_LABEL,
            Some(target_id),
        )?;
        let current_tree = self.tree_of(&saved)?;
        let todo = changes(self.repo(), Some(current_tree), Some(target_tree))?;
        let mut paths = remove_stale(&fs, &todo)?;
        paths.extend(self.write_restored(&fs, &todo)?);
        paths.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(RestoreReport {
            target: target.clone(),
            saved,
            paths,
        })
    }

    /// Writes every file whose content, mode or existence differs from the target.
    fn write_restored(
        &self,
        fs: &Beneath,
        todo: &[Change],
    ) -> Result<Vec<RestoredPath>, CheckpointError> {
        let mut done = Vec::new();
        for c in todo {
            let Some(new) = c.new else { continue };
            let kind = match c.old {
                None => RestoreKind::Recreated,
                Some(_) => RestoreKind::Reverted,
            };
            let rel = rel_path(&c.path);
            let written = ensure_parents(fs, rel)?
                && (c.old.is_some() || !exists(fs, rel)?)
                && self.write_one(fs, rel, c.old, new)?;
            let kind = if written { kind } else { RestoreKind::Skipped };
            done.push(entry(&c.path, kind));
        }
        Ok(done)
    }

    /// Writes one file or symlink; false when something outside the snapshot is in the way.
    fn write_one(
        &self,
        fs: &Beneath,
        rel: &Path,
        old: Option<Leaf>,
        new: Leaf,
    ) -> Result<bool, CheckpointError> {
        let blob = self.repo().find_blob(new.oid)?;
        if is_link(new) {
            if old.is_some() {
                remove_if_present(fs, rel)?;
            }
            let target = std::ffi::OsStr::from_bytes(blob.content());
            fs.symlink(target, rel)
                .map_err(io_err("creating symlink", rel))?;
            return Ok(true);
        }
        let exec = new.mode == 0o100755;
        match fs.metadata(rel).map_err(io_err("inspecting", rel))? {
            Some(m) if m.is_file() => {
                let mode = with_exec(m.permissions().mode() & 0o7777, exec);
                if old.is_some_and(|o| o.oid == new.oid) {
                    fs.set_mode(rel, mode)
                        .map_err(io_err("setting permissions of", rel))?;
                } else {
                    fs.write_atomic(rel, blob.content(), Some(mode))
                        .map_err(io_err("replacing", rel))?;
                }
                Ok(true)
            }
            Some(_) => Ok(false),
            None => {
                // Created the way git checks a file out: 0666 or 0777, less the umask.
                let mode = if exec { 0o777 } else { 0o666 };
                fs.create_new(rel, blob.content(), mode)
                    .map_err(io_err("creating", rel))?;
                Ok(true)
            }
        }
    }
}

/// Removes files absent from the target, and any whose type changes (file ↔ symlink), then
/// the directories that leaves empty.
fn remove_stale(fs: &Beneath, todo: &[Change]) -> Result<Vec<RestoredPath>, CheckpointError> {
    let mut done = Vec::new();
    for c in todo {
        let Some(old) = c.old else { continue };
        let replaced = c.new.is_some_and(|n| is_link(n) != is_link(old));
        if c.new.is_some() && !replaced {
            continue;
        }
        let rel = rel_path(&c.path);
        remove_if_present(fs, rel)?;
        prune_empty_parents(fs, rel);
        if !replaced {
            done.push(entry(&c.path, RestoreKind::Removed));
        }
    }
    Ok(done)
}

/// Removes the now-empty directories above `rel`, up to the workspace root. A directory still
/// holding anything (ignored files included) stays.
fn prune_empty_parents(fs: &Beneath, rel: &Path) {
    let mut dir = rel.parent();
    while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
        if fs.remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Creates the missing directories above `rel`. False when a parent is not a real directory
/// (an ignored file, or a symlink that would lead the write outside the workspace).
fn ensure_parents(fs: &Beneath, rel: &Path) -> Result<bool, CheckpointError> {
    let mut dir = std::path::PathBuf::new();
    let parts: Vec<_> = rel.components().collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        dir.push(part);
        match fs.metadata(&dir).map_err(io_err("inspecting", &dir))? {
            Some(m) if m.is_dir() => {}
            Some(_) => return Ok(false),
            None => {
                fs.create_dir_all(&dir).map_err(io_err("creating", &dir))?;
            }
        }
    }
    Ok(true)
}

/// A snapshot path (bytes, `/`-separated) as a workspace-relative path.
fn rel_path(rel: &[u8]) -> &Path {
    Path::new(std::ffi::OsStr::from_bytes(rel))
}

fn entry(path: &[u8], kind: RestoreKind) -> RestoredPath {
    RestoredPath {
        path: String::from_utf8_lossy(path).into_owned(),
        kind,
    }
}

fn is_link(leaf: Leaf) -> bool {
    leaf.mode == 0o120000
}

fn exists(fs: &Beneath, rel: &Path) -> Result<bool, CheckpointError> {
    Ok(fs
        .metadata(rel)
        .map_err(io_err("inspecting", rel))?
        .is_some())
}

/// `mode` with the executable bits set wherever it is readable, or cleared; other bits kept.
fn with_exec(mode: u32, exec: bool) -> u32 {
    if exec {
        mode | ((mode & 0o444) >> 2)
    } else {
        mode & !0o111
    }
}

fn remove_if_present(fs: &Beneath, rel: &Path) -> Result<(), CheckpointError> {
    match fs.remove_file(rel) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err("removing", rel)(e)),
        _ => Ok(()),
    }
}
