//! Files the model's edits replaced whose data the disk has not yet been told to keep.
//!
//! An edit replaces its file through a temporary and a rename, so a crash of reins never leaves
//! half a file. Only a crash of the machine can lose data the kernel has not written yet; asking
//! for that (`fdatasync`) on every edit was a fifth of the CPU of a cheap `apply_patch` step, and
//! a turn that patches one file forty times synced it forty times. So edits keep the new file's
//! handle here and the session syncs them all at the end of the turn: once per file, whatever
//! the number of edits. A machine crash (not a crash of reins) mid-turn may leave a file the
//! turn edited as it was before the edit, or empty on file systems that do not order data before
//! renames; earlier turns' edits are on disk. The set is bounded: past [`MAX_UNSYNCED`] files it
//! is synced at once.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How many written files may wait for their sync (each holds an open file descriptor).
pub(crate) const MAX_UNSYNCED: usize = 64;

/// A file whose sync failed: the data may not be on disk.
#[derive(Debug, thiserror::Error)]
#[error("`{path}` may not be on disk: syncing it failed: {source}")]
pub struct SyncError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// The replaced files waiting for their sync, by workspace-relative path: a newer write of the
/// same path replaces the older handle (that inode is no longer the file).
#[derive(Debug, Default)]
pub(crate) struct Unsynced {
    files: Mutex<HashMap<PathBuf, File>>,
    /// A failure of a sync the full set forced, kept for the next [`Unsynced::sync_all`]: the
    /// edit that filled the set was written, and must not fail (or be rolled back) for it.
    failed: Mutex<Option<SyncError>>,
}

impl Unsynced {
    /// Keeps `file` (the new content of `rel`) for the next sync; syncs everything at once when
    /// the set is full.
    pub(crate) fn keep(&self, rel: &Path, file: File) {
        let full = {
            let mut files = self.lock();
            files.insert(rel.to_path_buf(), file);
            files.len() >= MAX_UNSYNCED
        };
        if full {
            if let Err(e) = self.sync_all() {
                let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
                failed.get_or_insert(e);
            }
        }
    }

    /// Syncs every file kept; the first failure since the last call, after trying them all.
    pub(crate) fn sync_all(&self) -> Result<(), SyncError> {
        let files = std::mem::take(&mut *self.lock());
        let earlier = self.failed.lock().unwrap_or_else(|e| e.into_inner()).take();
        let mut first = earlier;
        for (path, file) in files {
            if let Err(source) = file.sync_data() {
                first.get_or_insert(SyncError { path, source });
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// How many files wait.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, File>> {
        // A panic while holding the map leaves it whole: a map of handles has no invariant.
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Unsynced {
    fn drop(&mut self) {
        // Whoever drops the handle without syncing (an exit on error) still gets the data kept.
        let _ = self.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_in(dir: &Path, name: &str) -> File {
        std::fs::File::create(dir.join(name)).unwrap()
    }

    #[test]
    fn a_rewrite_of_the_same_path_keeps_one_handle() {
        let d = tempfile::tempdir().unwrap();
        let u = Unsynced::default();
        u.keep(Path::new("a"), file_in(d.path(), "a1"));
        u.keep(Path::new("a"), file_in(d.path(), "a2"));
        u.keep(Path::new("b"), file_in(d.path(), "b"));
        assert_eq!(u.len(), 2);
        u.sync_all().unwrap();
        assert_eq!(u.len(), 0);
    }

    #[test]
    fn a_full_set_is_synced_at_once() {
        let d = tempfile::tempdir().unwrap();
        let u = Unsynced::default();
        for i in 0..MAX_UNSYNCED - 1 {
            let name = format!("f{i}");
            u.keep(Path::new(&name), file_in(d.path(), &name));
        }
        assert_eq!(u.len(), MAX_UNSYNCED - 1);
        u.keep(Path::new("last"), file_in(d.path(), "last"));
        assert_eq!(u.len(), 0, "the 64th file synced the set");
    }

    #[test]
    fn a_failed_sync_names_the_file() {
        // A pipe cannot be synced (EINVAL): the error names the path it was kept for.
        let (reader, _writer) = std::io::pipe().unwrap();
        let u = Unsynced::default();
        u.keep(
            Path::new("src/lib.rs"),
            File::from(std::os::fd::OwnedFd::from(reader)),
        );
        let e = u.sync_all().unwrap_err();
        assert_eq!(e.path, Path::new("src/lib.rs"));
        assert!(e.to_string().contains("may not be on disk"), "{e}");
        assert_eq!(u.len(), 0, "a failed file is not retried forever");
        assert!(u.sync_all().is_ok(), "reported once");
    }

    /// A sync the full set forces cannot fail the edit that filled it: its failure waits for the
    /// turn's end.
    #[test]
    fn a_forced_sync_that_fails_is_reported_at_the_next_sync() {
        let d = tempfile::tempdir().unwrap();
        let (reader, _writer) = std::io::pipe().unwrap();
        let u = Unsynced::default();
        u.keep(
            Path::new("pipe"),
            File::from(std::os::fd::OwnedFd::from(reader)),
        );
        for i in 0..MAX_UNSYNCED - 1 {
            let name = format!("f{i}");
            u.keep(Path::new(&name), file_in(d.path(), &name));
        }
        assert_eq!(u.len(), 0, "the full set was synced");
        let e = u.sync_all().unwrap_err();
        assert_eq!(e.path, Path::new("pipe"));
    }
}
