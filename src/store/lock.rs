//! The store lock. Every process that has a workspace's checkpoint store open (a running
//! session, `reins diff`, `reins undo`) holds `reins-lock` in the shadow repository shared, for
//! as long as the store is open; garbage collection takes it exclusive without waiting and
//! leaves a store in use alone. That is what keeps a running session's objects safe: between
//! writing a snapshot's blobs and moving its ref, and in the stat cache it holds in memory, a
//! session relies on objects no ref reaches yet.
//!
//! `flock(2)` locks belong to the open file and the kernel drops them when the holder exits,
//! however it exits, so a crashed session never blocks collection for good.

use super::error::{io_err, CheckpointError};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

const LOCK_FILE: &str = "reins-lock";

/// A held lock; released when dropped.
#[derive(Debug)]
pub(crate) struct StoreLock {
    _file: File,
}

impl StoreLock {
    /// Takes the lock shared, waiting while a collection holds it exclusive.
    pub(crate) fn shared(shadow: &Path) -> Result<Self, CheckpointError> {
        let file = open(shadow)?;
        flock(&file, libc::LOCK_SH).map_err(io_err("locking", &shadow.join(LOCK_FILE)))?;
        Ok(StoreLock { _file: file })
    }

    /// Takes the lock exclusive if nobody holds it; `None` when the store is in use.
    pub(crate) fn try_exclusive(shadow: &Path) -> Result<Option<Self>, CheckpointError> {
        let file = open(shadow)?;
        match flock(&file, libc::LOCK_EX | libc::LOCK_NB) {
            Ok(()) => Ok(Some(StoreLock { _file: file })),
            Err(e) if e.raw_os_error() == Some(libc::EWOULDBLOCK) => Ok(None),
            Err(e) => Err(io_err("locking", &shadow.join(LOCK_FILE))(e)),
        }
    }
}

fn open(shadow: &Path) -> Result<File, CheckpointError> {
    let path = shadow.join(LOCK_FILE);
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_err("opening", &path))
}

fn flock(file: &File, op: libc::c_int) -> std::io::Result<()> {
    loop {
        // SAFETY: a valid open fd and a plain operation code.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}
