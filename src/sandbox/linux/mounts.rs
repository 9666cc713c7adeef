//! Read-only bind mounts over the protected paths inside writable roots (`.git`, the project
//! config), made in a private mount namespace of the child. This is what lets `workspace-write`
//! keep the workspace root itself writable (`touch newfile`, `cargo new`) while `.git` stays
//! read-only, which Landlock alone cannot express.
//!
//! Root creates the namespace directly; other users go through a user namespace mapping only
//! their own ids (so files keep their owners and the child gains no privilege once it execs).
//! Either can be unavailable (containers, distributions restricting user namespaces); the child
//! then reports failure and the caller falls back to the carved Landlock ruleset.
//!
//! Mounting happens before Landlock is applied, because a Landlock domain forbids any change of
//! the mount topology, which also guarantees the child cannot undo these mounts.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::sandbox::SandboxError;

/// Per-mount flags (`statvfs` `f_flag` bit, `mount` flag) that a read-only remount must repeat:
/// the kernel refuses to clear them, in a user namespace, on a mount it did not make.
const KEPT_FLAGS: &[(libc::c_ulong, libc::c_ulong)] = &[
    (2, libc::MS_NOSUID),        // ST_NOSUID
    (4, libc::MS_NODEV),         // ST_NODEV
    (8, libc::MS_NOEXEC),        // ST_NOEXEC
    (1024, libc::MS_NOATIME),    // ST_NOATIME
    (2048, libc::MS_NODIRATIME), // ST_NODIRATIME
    (4096, libc::MS_RELATIME),   // ST_RELATIME
];

/// One path to mount read-only over itself.
struct Pin {
    path: CString,
    /// Flags of the mount the path is on, to keep on the read-only remount.
    flags: libc::c_ulong,
}

/// The id maps written when entering a user namespace.
struct IdMaps {
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
}

/// Everything the child needs to make the mounts, prepared in the parent.
pub(super) struct MountPlan {
    pins: Vec<Pin>,
    /// `Some` when not running as root, so a user namespace is needed.
    ids: Option<IdMaps>,
}

impl MountPlan {
    /// The plan for `pins`; `None` when there is nothing to mount.
    pub(super) fn new(pins: &[PathBuf]) -> Result<Option<Self>, SandboxError> {
        if pins.is_empty() {
            return Ok(None);
        }
        let pins = pins.iter().map(|p| pin(p)).collect::<Result<_, _>>()?;
        // SAFETY: these calls cannot fail and have no preconditions.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let ids = (uid != 0).then(|| IdMaps {
            uid_map: format!("{uid} {uid} 1\n").into_bytes(),
            gid_map: format!("{gid} {gid} 1\n").into_bytes(),
        });
        Ok(Some(MountPlan { pins, ids }))
    }

    /// In the child: makes the mounts. `Ok(false)` when namespaces are unavailable (nothing
    /// changed that matters: fall back to carving); `Err` only when a user namespace was entered
    /// but its id maps could not be written, which leaves a child unable to create files.
    pub(super) fn enter(&self) -> io::Result<bool> {
        if !self.unshare()? {
            return Ok(false);
        }
        // SAFETY: constant arguments; makes mounts below `/` private to this namespace, so the
        // bind mounts do not propagate back to the parent's namespace.
        let rc = unsafe {
            libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_SLAVE,
                std::ptr::null(),
            )
        };
        if rc != 0 || !self.pins.iter().all(Pin::mount_read_only) {
            return Ok(false);
        }
        rechdir()?;
        Ok(true)
    }

    /// Enters the new namespace(s); `Ok(false)` if the kernel refused.
    fn unshare(&self) -> io::Result<bool> {
        let Some(ids) = &self.ids else {
            // SAFETY: plain system call.
            return Ok(unsafe { libc::unshare(libc::CLONE_NEWNS) } == 0);
        };
        // SAFETY: plain system call; the child is single-threaded, as a user namespace requires.
        if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) } != 0 {
            return Ok(false);
        }
        write_proc(c"/proc/self/setgroups", b"deny")?;
        write_proc(c"/proc/self/uid_map", &ids.uid_map)?;
        write_proc(c"/proc/self/gid_map", &ids.gid_map)?;
        Ok(true)
    }
}

impl Pin {
    /// Bind-mounts the path over itself, then remounts that bind read-only.
    fn mount_read_only(&self) -> bool {
        let path = self.path.as_ptr();
        let none = std::ptr::null();
        let remount = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | self.flags;
        // SAFETY: `path` is NUL-terminated and outlives the calls.
        unsafe {
            libc::mount(path, path, none, libc::MS_BIND | libc::MS_REC, none.cast()) == 0
                && libc::mount(none, path, none, remount, none.cast()) == 0
        }
    }
}

/// Prepares the pin of `path`, reading the flags of the mount it lives on.
fn pin(path: &Path) -> Result<Pin, SandboxError> {
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|e| {
        SandboxError::io(
            format!("pinning {}", path.display()),
            io::Error::new(io::ErrorKind::InvalidInput, e),
        )
    })?;
    // SAFETY: `statvfs` is plain old data, fully written by a successful call.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is NUL-terminated and `stat` is a valid out-pointer.
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) } != 0 {
        let err = io::Error::last_os_error();
        return Err(SandboxError::io(format!("pinning {}", path.display()), err));
    }
    let flags = KEPT_FLAGS
        .iter()
        .filter(|(st, _)| stat.f_flag & st != 0)
        .fold(0, |acc, (_, ms)| acc | ms);
    Ok(Pin {
        path: c_path,
        flags,
    })
}

/// Writes `data` to a `/proc/self` control file.
fn write_proc(path: &std::ffi::CStr, data: &[u8]) -> io::Result<()> {
    // SAFETY: `path` is NUL-terminated; the descriptor is closed before returning.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let written = libc::write(fd, data.as_ptr().cast(), data.len());
        let err = io::Error::last_os_error();
        libc::close(fd);
        if written != data.len() as isize {
            return Err(err);
        }
    }
    Ok(())
}

/// Re-enters the working directory by path. If it lies inside a pinned tree, the process still
/// points at the writable mount underneath the new read-only one, and relative paths would
/// write through it; resolving the path again lands on the read-only mount.
fn rechdir() -> io::Result<()> {
    let mut buf = [0u8; libc::PATH_MAX as usize];
    // SAFETY: `buf` is a writable buffer of the given length; on success it holds a
    // NUL-terminated path.
    unsafe {
        if libc::getcwd(buf.as_mut_ptr().cast(), buf.len()).is_null() {
            let err = io::Error::last_os_error();
            // A deleted working directory cannot be written through anyway.
            return match err.raw_os_error() {
                Some(libc::ENOENT) => Ok(()),
                _ => Err(err),
            };
        }
        if libc::chdir(buf.as_ptr().cast()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
