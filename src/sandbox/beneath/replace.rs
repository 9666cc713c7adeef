//! Replacing a file whole, atomically: a temporary sibling written and renamed over the name, so
//! no reader ever sees half a file and a symlink or hard link planted at the name is replaced,
//! never written through. Its data is synced before the rename, or, for the model's edits, at
//! the end of the turn (see [`super::unsynced`]).

use super::{cstring, cvt, open_at, unlink_at, Beneath};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

impl Beneath {
    /// Replaces (or creates) the file `rel` with `bytes` through a temporary sibling and
    /// `renameat`, in a parent directory that must exist, and waits until the data is on disk.
    /// `mode` defaults to the existing file's permissions, or to what any editor would give a new
    /// file (0666 less the umask).
    pub fn write_atomic(&self, rel: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
        self.replace(rel, bytes, mode, SyncWhen::BeforeRename)
            .map(drop)
    }

    /// [`Beneath::write_atomic`] for the model's edits: the new file is as atomic, but its sync
    /// waits for [`Beneath::sync_edits`] (see [`super::unsynced`]).
    pub fn write_edit(&self, rel: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
        let file = self.replace(rel, bytes, mode, SyncWhen::Later)?;
        self.unsynced.keep(rel, file);
        Ok(())
    }

    /// Syncs every file [`Beneath::write_edit`] replaced since the last call.
    pub fn sync_edits(&self) -> Result<(), super::unsynced::SyncError> {
        self.unsynced.sync_all()
    }

    /// Writes a temporary sibling of `rel` and renames it over `rel`; the new file's handle.
    fn replace(
        &self,
        rel: &Path,
        bytes: &[u8],
        mode: Option<u32>,
        sync: SyncWhen,
    ) -> io::Result<File> {
        let (parent, name) = self.parent(rel)?;
        let mode = match mode {
            Some(m) => m,
            None => existing_mode(&parent, name)?.unwrap_or(0o666 & !crate::fsutil::umask()),
        };
        let tmp = temp_name(name);
        let result = write_new(&parent, &tmp, bytes, mode).and_then(|file| {
            if sync == SyncWhen::BeforeRename {
                file.sync_data()?;
            }
            let (from, to) = (cstring(&tmp)?, cstring(name)?);
            let fd = parent.as_raw_fd();
            // SAFETY: valid fds and C strings.
            cvt(unsafe { libc::renameat(fd, from.as_ptr(), fd, to.as_ptr()) })?;
            Ok(file)
        });
        if result.is_err() {
            let _ = unlink_at(&parent, &tmp, 0);
        }
        result
    }
}

/// The permission bits of the regular file `name` in `dir`, if there is one.
fn existing_mode(dir: &OwnedFd, name: &OsStr) -> io::Result<Option<u32>> {
    let c = cstring(name)?;
    // SAFETY: an all-zero `stat` is a valid value to be overwritten.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid fd, C string and out pointer.
    let r = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            c.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if r < 0 {
        let e = io::Error::last_os_error();
        return match e.kind() {
            io::ErrorKind::NotFound => Ok(None),
            _ => Err(e),
        };
    }
    let regular = st.st_mode & libc::S_IFMT == libc::S_IFREG;
    Ok(regular.then_some(st.st_mode & 0o7777))
}

/// When a replaced file's data is synced: before the rename (a machine crash then leaves the
/// old file or the whole new one), or later by whoever keeps its handle.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SyncWhen {
    BeforeRename,
    Later,
}

/// Creates `tmp` in `dir` with `bytes` and `mode`; its handle, data not yet synced.
fn write_new(dir: &OwnedFd, tmp: &OsStr, bytes: &[u8], mode: u32) -> io::Result<File> {
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
    let mut file = File::from(open_at(dir, tmp, flags, 0o600)?);
    file.write_all(bytes)?;
    // Created 0600 so nobody reads it half-written; the final mode is set exactly (no umask).
    // SAFETY: valid fd.
    cvt(unsafe { libc::fchmod(file.as_raw_fd(), mode) })?;
    Ok(file)
}

/// A hidden sibling name no other writer (or concurrent call) uses.
fn temp_name(name: &OsStr) -> OsString {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut s = OsString::from(".");
    s.push(name);
    s.push(format!(".{}.{n}.reins-tmp", std::process::id()));
    s
}

#[cfg(test)]
mod tests {
    use super::super::tests::workspace;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    #[test]
    fn write_replaces_a_final_symlink_instead_of_following_it() {
        let Some((d, b)) = workspace() else { return };
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("victim");
        std::fs::write(&target, "keep").unwrap();
        std::os::unix::fs::symlink(&target, d.path().join("f")).unwrap();
        b.write_atomic(Path::new("f"), b"new", None).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert_eq!(std::fs::read_to_string(d.path().join("f")).unwrap(), "new");
    }

    #[test]
    fn an_edit_is_visible_at_once_and_waits_for_its_sync() {
        let Some((d, b)) = workspace() else { return };
        std::fs::write(d.path().join("f"), "old").unwrap();
        b.write_edit(Path::new("f"), b"one", None).unwrap();
        b.write_edit(Path::new("f"), b"two", None).unwrap();
        b.write_edit(Path::new("g"), b"new", None).unwrap();
        assert_eq!(std::fs::read_to_string(d.path().join("f")).unwrap(), "two");
        assert_eq!(b.unsynced.len(), 2, "one handle per path, the newest");
        b.sync_edits().unwrap();
        assert_eq!(b.unsynced.len(), 0);
        let names: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "no temp file left behind");
    }

    #[test]
    fn write_keeps_the_mode_and_creates_new_files_with_the_usual_one() {
        let Some((d, b)) = workspace() else { return };
        let p = d.path().join("run.sh");
        std::fs::write(&p, "a").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        b.write_atomic(Path::new("run.sh"), b"b", None).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o755);
        b.create_dir_all(Path::new("a/b")).unwrap();
        b.write_atomic(Path::new("a/b/new.txt"), b"x", None)
            .unwrap();
        assert_eq!(
            mode(&d.path().join("a/b/new.txt")),
            0o666 & !crate::fsutil::umask()
        );
        let names: Vec<_> = std::fs::read_dir(d.path().join("a/b")).unwrap().collect();
        assert_eq!(names.len(), 1, "no temp file left behind");
    }
}
