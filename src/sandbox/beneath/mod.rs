//! Race-free file I/O under a directory handle (the workspace root, or `$REINS_HOME`).
//!
//! Checking a path and then opening it by name is a race: between the two, a process the model
//! started can swap a directory for a symlink to `/etc` or `~`, and the write lands outside.
//! Here the root is opened once, and every later open goes through `openat2(2)` relative to that
//! handle with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`; creations,
//! renames and removals use the `*at` calls on a parent directory opened that way. The kernel
//! then refuses any path that climbs out with `..`, is absolute, or passes a symlink, even one
//! swapped in concurrently.
//!
//! # Symlinks
//!
//! Callers hand in *canonical* workspace-relative paths: [`super::paths::resolve`] follows the
//! symlinks that stay inside the workspace (a repository's internal links keep working) and
//! refuses those that leave it, and the policy checks run on that canonical path. The I/O then
//! allows no symlink at all, so the file opened is the file checked: if a link appears on the
//! path in between, the operation fails (the model is told to retry) instead of following it.
//! The last component of a write is replaced by rename, never written through, so a symlink or
//! hard link planted at the target name is replaced, not followed.
//!
//! # Kernels without openat2
//!
//! `openat2` exists since Linux 5.6. Without it every operation fails with
//! [`std::io::ErrorKind::Unsupported`] and a message naming the cause: file tools fail closed
//! rather than falling back to racy opens by name.

use std::ffi::{CString, OsStr};
use std::fs::{File, Metadata};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

mod replace;
pub mod unsynced;

/// How many times an open interrupted by a concurrent rename (`EAGAIN`) is retried.
const EAGAIN_RETRIES: usize = 8;

/// An open directory under which every path is resolved without symlinks and without escape.
#[derive(Debug)]
pub struct Beneath {
    root: OwnedFd,
    path: PathBuf,
    unsynced: unsynced::Unsynced,
}

impl Beneath {
    /// Opens `root` (followed if it is itself a link: the caller chose it) as the handle every
    /// later operation resolves beneath.
    pub fn open(root: &Path) -> io::Result<Self> {
        let c = cstring(root.as_os_str())?;
        let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
        // SAFETY: `c` is a valid NUL-terminated string; the returned fd is checked.
        let fd = unsafe { libc::open(c.as_ptr(), flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Beneath {
            // SAFETY: `fd` was just returned by open(2) and is owned by nobody else.
            root: unsafe { OwnedFd::from_raw_fd(fd) },
            path: root.to_path_buf(),
            unsynced: Default::default(),
        })
    }

    /// The path the handle was opened from, for messages only (never reopened by name).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens a regular file for reading. A FIFO, socket or device is refused after `fstat`
    /// (the open itself is non-blocking, so a FIFO with no writer cannot hang it); a directory
    /// fails with [`io::ErrorKind::IsADirectory`].
    pub fn open_regular(&self, rel: &Path) -> io::Result<(File, Metadata)> {
        let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW;
        let file = File::from(self.openat2(rel, flags, 0)?);
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            ));
        }
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "it is not a regular file (a pipe, socket or device) and cannot be used as text",
            ));
        }
        clear_nonblock(&file)?;
        Ok((file, meta))
    }

    /// What is at `rel` without following a final symlink (like `lstat`); `None` if nothing is.
    pub fn metadata(&self, rel: &Path) -> io::Result<Option<Metadata>> {
        match self.openat2(rel, libc::O_PATH | libc::O_NOFOLLOW, 0) {
            Ok(fd) => File::from(fd).metadata().map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates `rel` and its missing ancestors as directories; returns those created, outermost
    /// first, so a caller can remove them again.
    pub fn create_dir_all(&self, rel: &Path) -> io::Result<Vec<PathBuf>> {
        let mut created = Vec::new();
        let mut dir = PathBuf::new();
        for part in plain_components(rel)? {
            dir.push(part);
            let (parent, name) = self.parent(&dir)?;
            let c = cstring(name)?;
            // SAFETY: valid fd and C string.
            let r = unsafe { libc::mkdirat(parent.as_raw_fd(), c.as_ptr(), 0o777) };
            if r == 0 {
                created.push(dir.clone());
                continue;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::AlreadyExists {
                return Err(e);
            }
            // It exists: it must be a real directory, not a link or a file.
            self.openat2(&dir, libc::O_PATH | libc::O_DIRECTORY, 0)?;
        }
        Ok(created)
    }

    /// Creates `rel`, which must not exist, with `bytes`; `mode` is reduced by the umask as for
    /// any `open(O_CREAT)`.
    pub fn create_new(&self, rel: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
        let (parent, name) = self.parent(rel)?;
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
        let mut file = File::from(open_at(&parent, name, flags, mode)?);
        file.write_all(bytes)
    }

    /// Opens `rel` for writing without truncating it, creating it (0666 less the umask) if it is
    /// missing: for lock files. A symlink or non-regular file there is refused.
    pub fn open_or_create(&self, rel: &Path) -> io::Result<File> {
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_NOFOLLOW | libc::O_NONBLOCK;
        let file = File::from(self.openat2(rel, flags, 0o666)?);
        if !file.metadata()?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "it is not a regular file",
            ));
        }
        clear_nonblock(&file)?;
        Ok(file)
    }

    /// Opens the directory `rel` (`""` for the root itself) for reading, never through a
    /// symlink; e.g. to hold an advisory lock on it, which needs no file of its own.
    pub fn open_dir(&self, rel: &Path) -> io::Result<File> {
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW;
        Ok(File::from(self.openat2(rel, flags, 0)?))
    }

    /// Sets the permission bits of the regular file `rel` (never through a symlink), even one
    /// its owner cannot read.
    pub fn set_mode(&self, rel: &Path, mode: u32) -> io::Result<()> {
        let file = File::from(self.openat2(rel, libc::O_PATH | libc::O_NOFOLLOW, 0)?);
        if !file.metadata()?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "it is not a regular file",
            ));
        }
        // fchmod refuses an O_PATH descriptor; its /proc link names exactly the inode it holds.
        let proc = cstring(OsStr::new(&format!("/proc/self/fd/{}", file.as_raw_fd())))?;
        // SAFETY: valid C string.
        cvt(unsafe { libc::chmod(proc.as_ptr(), mode) })
    }

    /// Removes the file or symlink `rel` (a symlink itself, never its target).
    pub fn remove_file(&self, rel: &Path) -> io::Result<()> {
        let (parent, name) = self.parent(rel)?;
        unlink_at(&parent, name, 0)
    }

    /// Removes the empty directory `rel`.
    pub fn remove_dir(&self, rel: &Path) -> io::Result<()> {
        let (parent, name) = self.parent(rel)?;
        unlink_at(&parent, name, libc::AT_REMOVEDIR)
    }

    /// Creates a symlink at `rel` holding `target` (the target is not resolved or checked: a
    /// link is only followed later by a path resolution, which here refuses all links).
    pub fn symlink(&self, target: &OsStr, rel: &Path) -> io::Result<()> {
        let (parent, name) = self.parent(rel)?;
        let (t, n) = (cstring(target)?, cstring(name)?);
        // SAFETY: valid fd and C strings.
        cvt(unsafe { libc::symlinkat(t.as_ptr(), parent.as_raw_fd(), n.as_ptr()) })
    }

    /// Opens the parent directory of `rel` beneath the root, and returns it with the last name.
    fn parent<'p>(&self, rel: &'p Path) -> io::Result<(OwnedFd, &'p OsStr)> {
        let parts = plain_components(rel)?;
        let Some((name, dirs)) = parts.split_last() else {
            return Err(not_plain(rel));
        };
        let dir: PathBuf = dirs.iter().collect();
        let fd = self.openat2(&dir, libc::O_PATH | libc::O_DIRECTORY, 0)?;
        Ok((fd, name))
    }

    /// `openat2(root, rel, flags | O_CLOEXEC)` with no escape and no symlinks.
    fn openat2(&self, rel: &Path, flags: i32, mode: u32) -> io::Result<OwnedFd> {
        let c = plain_cstring(rel)?;
        // SAFETY: `open_how` is plain integers; all-zero is valid (and what the kernel expects
        // of fields a newer libc may add).
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = (flags | libc::O_CLOEXEC) as u64;
        how.mode = u64::from(mode);
        how.resolve =
            libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
        for _ in 0..EAGAIN_RETRIES {
            // SAFETY: valid fd, C string and `open_how` of the size passed.
            let fd = unsafe {
                libc::syscall(
                    libc::SYS_openat2,
                    self.root.as_raw_fd(),
                    c.as_ptr(),
                    &how as *const libc::open_how,
                    std::mem::size_of::<libc::open_how>(),
                )
            };
            if fd >= 0 {
                // SAFETY: the kernel returned a new fd, owned by nobody else.
                return Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) });
            }
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EAGAIN) {
                return Err(explain(e));
            }
        }
        Err(io::Error::new(
            io::ErrorKind::ResourceBusy,
            "the path kept changing while it was opened; try again",
        ))
    }
}

/// Whether this kernel has `openat2` (tests use it to say they skipped).
pub fn openat2_available() -> bool {
    let Ok(b) = Beneath::open(Path::new("/")) else {
        return false;
    };
    !matches!(b.metadata(Path::new("")), Err(e) if e.kind() == io::ErrorKind::Unsupported)
}

/// Turns the errors that mean "refused by the resolution rules" into messages that say why.
fn explain(e: io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(libc::ENOSYS) => io::Error::new(
            io::ErrorKind::Unsupported,
            "this kernel lacks openat2 (Linux 5.6 or later), which reins needs to keep file \
             access inside the workspace; the file tools are disabled (use a newer kernel)",
        ),
        Some(libc::EXDEV) => io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the path leads outside the workspace",
        ),
        Some(libc::ELOOP) => io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the path passes through a symbolic link (it changed since it was checked, or a \
             link replaced a directory); check it with list_dir and use the real path",
        ),
        _ => e,
    }
}

/// `rel` as the kernel takes it (`.` for the root itself), refused as [`plain_components`]
/// refuses it: absolute, or with a `..` anywhere. Checked on the bytes, without splitting the
/// path into an allocated list: a grep opens every file of the tree through here. `.` and
/// repeated slashes are left for the kernel, which resolves them in place.
fn plain_cstring(rel: &Path) -> io::Result<CString> {
    let bytes = rel.as_os_str().as_bytes();
    if bytes.first() == Some(&b'/') || bytes.split(|b| *b == b'/').any(|part| part == b"..") {
        return Err(not_plain(rel));
    }
    if bytes
        .split(|b| *b == b'/')
        .all(|part| part.is_empty() || part == b".")
    {
        // Empty, `.`, `./` or `./.`: the root itself (no `..` passed the check above).
        return cstring(OsStr::new("."));
    }
    cstring(rel.as_os_str())
}

/// The components of `rel`, which must be relative and free of `..` (`.` is dropped).
fn plain_components(rel: &Path) -> io::Result<Vec<&OsStr>> {
    rel.components()
        .filter(|c| *c != Component::CurDir)
        .map(|c| match c {
            Component::Normal(n) => Ok(n),
            _ => Err(not_plain(rel)),
        })
        .collect()
}

fn not_plain(rel: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "`{}` is not a plain path beneath the workspace root",
            rel.display()
        ),
    )
}

fn cstring(s: &OsStr) -> io::Result<CString> {
    CString::new(s.as_bytes()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "a path cannot contain a NUL byte",
        )
    })
}

fn cvt(r: libc::c_int) -> io::Result<()> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `openat(dir, name)` for a single name (no slash, so no resolution beyond `dir`).
fn open_at(dir: &OwnedFd, name: &OsStr, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let c = cstring(name)?;
    // SAFETY: valid fd and C string; the returned fd is checked.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            c.as_ptr(),
            flags | libc::O_CLOEXEC,
            mode as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new fd owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn unlink_at(dir: &OwnedFd, name: &OsStr, flags: i32) -> io::Result<()> {
    let c = cstring(name)?;
    // SAFETY: valid fd and C string.
    cvt(unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), flags) })
}

/// Clears `O_NONBLOCK` on a file opened here. `F_SETFL` only sets the status flags (append,
/// non-blocking, direct, no-atime, async), and of those the opens here only ever ask for
/// `O_NONBLOCK`, so setting none of them is the same as reading the flags and clearing one,
/// with one system call instead of two per file a walk opens.
fn clear_nonblock(file: &File) -> io::Result<()> {
    // SAFETY: valid fd; F_SETFL takes plain flags.
    cvt(unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETFL, 0) })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A workspace with a handle, or `None` (said on stderr) when the kernel lacks openat2.
    pub(super) fn workspace() -> Option<(tempfile::TempDir, Beneath)> {
        if !openat2_available() {
            eprintln!("skipped: this kernel has no openat2");
            return None;
        }
        let d = tempfile::tempdir().unwrap();
        let b = Beneath::open(d.path()).unwrap();
        Some((d, b))
    }

    #[test]
    fn dotdot_absolute_and_symlinked_paths_are_refused() {
        let Some((d, b)) = workspace() else { return };
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("out")).unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("../sub", d.path().join("sub/inner")).unwrap();
        for rel in ["../x", "/etc/passwd", "out/secret", "sub/inner/inner"] {
            assert!(b.metadata(Path::new(rel)).is_err(), "{rel}");
        }
        let err = b.open_regular(Path::new("out/secret")).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        let err = b
            .write_atomic(Path::new("out/new"), b"x", None)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
        assert!(!outside.path().join("new").exists());
        assert!(b.create_dir_all(Path::new("out/deeper")).is_err());
        assert!(!outside.path().join("deeper").exists());
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let Some((d, b)) = workspace() else { return };
        let c = CString::new(d.path().join("pipe").as_os_str().as_bytes()).unwrap();
        // SAFETY: valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let err = b.open_regular(Path::new("pipe")).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn create_dir_all_reports_what_it_created_and_refuses_files_in_the_way() {
        let Some((d, b)) = workspace() else { return };
        std::fs::create_dir(d.path().join("a")).unwrap();
        let created = b.create_dir_all(Path::new("a/b/c")).unwrap();
        assert_eq!(created, vec![PathBuf::from("a/b"), PathBuf::from("a/b/c")]);
        std::fs::write(d.path().join("file"), "x").unwrap();
        assert!(b.create_dir_all(Path::new("file/x")).is_err());
    }

    #[test]
    fn plain_paths_pass_and_escapes_are_refused_before_the_kernel_sees_them() {
        for ok in [
            "a", "a/b.rs", "./a", "a//b", "", ".", "a/./b", "..a/b..", "a/.../b",
        ] {
            assert!(plain_cstring(Path::new(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "..",
            "../x",
            "a/../b",
            "a/..",
            "/etc/passwd",
            "a/b/../../..",
        ] {
            assert!(plain_cstring(Path::new(bad)).is_err(), "{bad}");
        }
        assert_eq!(plain_cstring(Path::new("")).unwrap().as_bytes(), b".");
        assert_eq!(plain_cstring(Path::new("./")).unwrap().as_bytes(), b".");
        assert_eq!(plain_cstring(Path::new("...")).unwrap().as_bytes(), b"...");
    }

    #[test]
    fn an_opened_file_reads_after_its_nonblocking_flag_is_cleared() {
        let Some((d, b)) = workspace() else { return };
        std::fs::write(d.path().join("f"), "text").unwrap();
        let (file, _) = b.open_regular(Path::new("f")).unwrap();
        // SAFETY: valid fd.
        let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
        assert_eq!(flags & libc::O_NONBLOCK, 0);
        assert_eq!(flags & libc::O_ACCMODE, libc::O_RDONLY);
    }
}
