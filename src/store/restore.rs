//! Putting the workspace back to a checkpoint. The current state is checkpointed first (an undo
//! point), then only the files that differ are touched: removals first (pruning directories they
//! leave empty), then writes. Files outside the snapshot (ignored, too large, unreadable) are
//! never modified or deleted; when one is in the way of a file to restore, that file is skipped
//! and reported.

use super::compare::{changes, Change};
use super::error::{io_err, CheckpointError};
use super::history::BEFORE_UNDO_LABEL;
use super::tree::Leaf;
use super::{Checkpoint, CheckpointStore};
use git2::Oid;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

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
        let target_id = Oid::from_str(&target.id)?;
        let target_tree = self.repo.find_commit(target_id)?.tree_id();
        let step = self.list(session_id)?.iter().map(|c| c.step + 1).max();
        let saved = self.record(
            session_id,
            step.unwrap_or(1),
            BEFORE_UNDO_LABEL,
            Some(target_id),
        )?;
        let current_tree = self.tree_of(&saved)?;
        let todo = changes(&self.repo, Some(current_tree), Some(target_tree))?;
        let mut paths = self.remove_stale(&todo)?;
        paths.extend(self.write_restored(&todo)?);
        paths.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(RestoreReport {
            target: target.clone(),
            saved,
            paths,
        })
    }

    /// Removes files absent from the target, and any whose type changes (file ↔ symlink), then
    /// the directories that leaves empty.
    fn remove_stale(&self, todo: &[Change]) -> Result<Vec<RestoredPath>, CheckpointError> {
        let mut done = Vec::new();
        for c in todo {
            let Some(old) = c.old else { continue };
            let replaced = c.new.is_some_and(|n| is_link(n) != is_link(old));
            if c.new.is_some() && !replaced {
                continue;
            }
            let path = self.abs(&c.path);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("removing", &path)(e)),
            }
            self.prune_empty_parents(&path);
            if !replaced {
                done.push(entry(&c.path, RestoreKind::Removed));
            }
        }
        Ok(done)
    }

    /// Removes the now-empty directories above `path`, up to the workspace root. A directory
    /// still holding anything (ignored files included) stays.
    fn prune_empty_parents(&self, path: &Path) {
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == self.workspace || std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }

    /// Writes every file whose content, mode or existence differs from the target.
    fn write_restored(&self, todo: &[Change]) -> Result<Vec<RestoredPath>, CheckpointError> {
        let mut done = Vec::new();
        for c in todo {
            let Some(new) = c.new else { continue };
            let kind = match c.old {
                None => RestoreKind::Recreated,
                Some(_) => RestoreKind::Reverted,
            };
            let written = self.ensure_parents(&c.path)?
                && (c.old.is_some() || !exists(&self.abs(&c.path)))
                && self.write_one(&c.path, c.old, new)?;
            let kind = if written { kind } else { RestoreKind::Skipped };
            done.push(entry(&c.path, kind));
        }
        Ok(done)
    }

    /// Writes one file or symlink; false when something outside the snapshot is in the way.
    fn write_one(&self, rel: &[u8], old: Option<Leaf>, new: Leaf) -> Result<bool, CheckpointError> {
        let path = self.abs(rel);
        let blob = self.repo.find_blob(new.oid)?;
        if is_link(new) {
            if old.is_some() {
                remove_if_present(&path)?;
            }
            let target = std::ffi::OsStr::from_bytes(blob.content());
            std::os::unix::fs::symlink(target, &path).map_err(io_err("creating symlink", &path))?;
            return Ok(true);
        }
        let exec = new.mode == 0o100755;
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => {
                let mode = with_exec(m.permissions().mode() & 0o7777, exec);
                if old.is_some_and(|o| o.oid == new.oid) {
                    set_mode(&path, mode)?;
                } else {
                    replace_file(&path, blob.content(), mode)?;
                }
                Ok(true)
            }
            Ok(_) => Ok(false),
            Err(_) => {
                create_file(&path, blob.content(), exec)?;
                Ok(true)
            }
        }
    }

    /// Creates the missing directories above `rel`. False when a parent is not a real directory
    /// (an ignored file, or a symlink that would lead the write outside the workspace).
    fn ensure_parents(&self, rel: &[u8]) -> Result<bool, CheckpointError> {
        let parts: Vec<&[u8]> = rel.split(|&b| b == b'/').collect();
        let mut dir = self.workspace.clone();
        for part in &parts[..parts.len() - 1] {
            dir.push(std::ffi::OsStr::from_bytes(part));
            match std::fs::symlink_metadata(&dir) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Ok(false),
                Err(_) => std::fs::create_dir(&dir).map_err(io_err("creating", &dir))?,
            }
        }
        Ok(true)
    }

    fn abs(&self, rel: &[u8]) -> PathBuf {
        self.workspace.join(std::ffi::OsStr::from_bytes(rel))
    }
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

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// `mode` with the executable bits set wherever it is readable, or cleared; other bits kept.
fn with_exec(mode: u32, exec: bool) -> u32 {
    if exec {
        mode | ((mode & 0o444) >> 2)
    } else {
        mode & !0o111
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<(), CheckpointError> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(io_err("setting permissions of", path))
}

fn remove_if_present(path: &Path) -> Result<(), CheckpointError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err("removing", path)(e)),
        _ => Ok(()),
    }
}

/// Replaces an existing file through a temporary file and a rename, so an interrupted restore
/// never leaves it half-written; its permissions become `mode`.
fn replace_file(path: &Path, content: &[u8], mode: u32) -> Result<(), CheckpointError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".reins-restore")
        .tempfile_in(dir)
        .map_err(io_err("creating a file in", dir))?;
    tmp.write_all(content).map_err(io_err("writing", path))?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(io_err("setting permissions of", path))?;
    tmp.persist(path)
        .map_err(|e| io_err("replacing", path)(e.error))?;
    Ok(())
}

/// Creates a new file the way git checks one out: 0666 or 0777, less the umask.
fn create_file(path: &Path, content: &[u8], exec: bool) -> Result<(), CheckpointError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if exec { 0o777 } else { 0o666 })
        .open(path)
        .map_err(io_err("creating", path))?;
    f.write_all(content).map_err(io_err("writing", path))
}
