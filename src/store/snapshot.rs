//! Taking a snapshot: scan the workspace, hash only what the stat cache cannot vouch for, write
//! the tree, and refresh the cache.

use super::error::{io_err, CheckpointError};
use super::hashing::hash_files;
use super::scan::{self, Scanned};
use super::statcache::Cached;
use super::tree::{dirty_dirs, write_tree, Leaf};
use super::CheckpointStore;
use git2::Oid;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;

/// Files larger than this are left out of checkpoints, like ignored files: copying a multi-gigabyte
/// data file into the shadow repository before every step would cost more than it could save.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// What one scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Files in the snapshot.
    pub files: usize,
    /// Files read and hashed because the stat cache could not vouch for them.
    pub hashed: usize,
}

impl CheckpointStore {
    /// Writes the workspace as it is now into the shadow repository and returns the tree id.
    /// Records no commit: callers decide whether this becomes a checkpoint.
    pub(crate) fn snapshot(&mut self) -> Result<Oid, CheckpointError> {
        let clock = self.scan_clock()?;
        let known = self.cache.files.len();
        let threads = scan::Threads::for_known(known);
        let mut scanned = scan::scan(&self.workspace, self.skip.clone(), threads);
        scanned.retain(|s| s.stat.size <= MAX_FILE_BYTES);
        let cached: Vec<Option<Leaf>> = scanned
            .iter()
            .map(|s| self.cache.lookup(&s.path, &s.stat))
            .collect();
        let todo: Vec<&Scanned> = scanned
            .iter()
            .zip(&cached)
            .filter(|(_, c)| c.is_none())
            .map(|(s, _)| s)
            .collect();
        let fresh = hash_files(self.repo(), &self.workspace, &todo)?;
        let hashed = todo.len();
        if self.turn.staged.is_some() {
            self.turn.staged_bytes += todo.iter().map(|s| s.stat.size).sum::<u64>();
            let blobs = fresh.iter().flatten().map(|leaf| leaf.oid);
            self.turn.staged_blobs.extend(blobs);
        }
        let mut fresh = fresh.into_iter();
        let mut files = BTreeMap::new();
        for (s, cached) in scanned.into_iter().zip(cached) {
            let Some(leaf) = cached.or_else(|| fresh.next().flatten()) else {
                continue;
            };
            // A file changed in the tick the scan started in could change again unnoticed.
            let trusted = s.stat.mtime_ns < clock && s.stat.ctime_ns < clock;
            let stat = s.stat;
            files.insert(
                s.path,
                Cached {
                    stat,
                    leaf,
                    trusted,
                },
            );
        }
        let tree = self.write_snapshot_tree(&files)?;
        self.stats = ScanStats {
            files: files.len(),
            hashed,
        };
        self.cache.files = files;
        self.cache_unsaved = true;
        Ok(tree)
    }

    fn write_snapshot_tree(
        &mut self,
        files: &BTreeMap<Vec<u8>, Cached>,
    ) -> Result<Oid, CheckpointError> {
        let changed = changed_paths(&self.cache.files, files);
        let dirty = dirty_dirs(changed.into_iter());
        let list: Vec<(&[u8], Leaf)> = files.iter().map(|(p, c)| (p.as_slice(), c.leaf)).collect();
        let (root, dirs) = write_tree(self.repo(), &list, &dirty, &self.cache.dirs)?;
        self.cache.dirs = dirs;
        Ok(root)
    }

    /// The filesystem's clock now, in the same coarse ticks file times are stamped with: read back
    /// from a file stamped for the purpose, since the system clock runs ahead of those stamps.
    /// The file is created once and then only touched (its times set to "now", which the kernel
    /// takes from the same clock as a write): creating or truncating a file costs far more.
    fn scan_clock(&self) -> Result<i64, CheckpointError> {
        let path = &self.clock_path;
        let f = match std::fs::File::options().write(true).open(path) {
            Ok(f) => f,
            Err(_) => std::fs::File::create(path).map_err(io_err("writing", path))?,
        };
        touch_now(&f).map_err(io_err("writing", path))?;
        let meta = f.metadata().map_err(io_err("reading", path))?;
        Ok(meta.mtime() * 1_000_000_000 + meta.mtime_nsec())
    }
}

/// Sets the file's times to the kernel's "now" (`futimens` with no times), the clock that
/// stamps writes; `SystemTime::now` would not do, it runs ahead of those stamps.
fn touch_now(f: &std::fs::File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: a valid open descriptor; a null pointer means "both times now".
    let rc = unsafe { libc::futimens(f.as_raw_fd(), std::ptr::null()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Paths whose entry differs between the last snapshot and this one (added, removed, changed).
fn changed_paths<'a>(
    old: &'a BTreeMap<Vec<u8>, Cached>,
    new: &'a BTreeMap<Vec<u8>, Cached>,
) -> Vec<&'a [u8]> {
    let mut out: Vec<&[u8]> = new
        .iter()
        .filter(|(p, c)| old.get(*p).map(|o| o.leaf) != Some(c.leaf))
        .map(|(p, _)| p.as_slice())
        .collect();
    out.extend(
        old.keys()
            .filter(|p| !new.contains_key(*p))
            .map(Vec::as_slice),
    );
    out
}
