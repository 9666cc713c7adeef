//! Read-only bind mounts over the protected paths inside writable roots (`.git`, the project
//! config), made in a private mount namespace of the child. This is what lets `workspace-write`
//! keep the workspace root itself writable (`touch newfile`, `cargo new`) while `.git` stays
//! read-only, which Landlock alone cannot express.
//!
//! The namespace itself is entered by [`super::namespaces`]; when it cannot be, or a mount is
//! refused, the caller falls back to the carved Landlock ruleset.
//!
//! Mounting happens before Landlock is applied, because a Landlock domain forbids any change of
//! the mount topology, which also guarantees the child cannot undo these mounts.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::sandbox::layout::WriteLayout;
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

/// Everything the child needs to make the mounts, prepared in the parent.
pub(super) struct MountPlan {
    /// Shared temp dirs (second) covered by the session's private ones (first).
    overlays: Vec<(CString, CString)>,
    /// The writable roots: the only mounts left writable once everything is made read-only.
    roots: Vec<CString>,
    /// Directories bind-mounted over themselves, outermost first: the workspace and every
    /// directory on the way to a protected path. A mount point cannot be renamed or removed
    /// (`EBUSY`), so a child cannot move `.reins/` (or the workspace itself, when it lies in a
    /// writable temp dir) aside and recreate it without its read-only pin.
    anchors: Vec<CString>,
    pins: Vec<Pin>,
    /// Daemons' unix sockets outside the writable roots and the terminals open now, covered
    /// with `/dev/null` (see [`super::sockets`] and [`super::terminals`]).
    masks: Vec<CString>,
    dev_null: CString,
}

impl MountPlan {
    /// The plan for `layout` with its `pins` (existing protected paths, see
    /// [`WriteLayout::pins`]).
    pub(super) fn new(layout: &WriteLayout, pins: &[PathBuf]) -> Result<Self, SandboxError> {
        let c_paths = |paths: &[PathBuf], what: &str| -> Result<Vec<CString>, SandboxError> {
            paths.iter().map(|p| c_path(p, what)).collect()
        };
        // The stand-ins live under a shared temp dir (usually /tmp): cover that one last, or the
        // other stand-ins would be hidden before they are mounted.
        let mut ordered: Vec<_> = layout.overlays.iter().collect();
        ordered.sort_by_key(|o| o.private.starts_with(&o.over));
        let overlays = ordered
            .into_iter()
            .map(|o| {
                Ok((
                    c_path(&o.private, "mounting")?,
                    c_path(&o.over, "covering")?,
                ))
            })
            .collect::<Result<_, SandboxError>>()?;
        Ok(MountPlan {
            overlays,
            roots: c_paths(&layout.mount_roots(), "keeping writable")?,
            anchors: c_paths(&layout.anchors(pins), "anchoring")?,
            pins: pins.iter().map(|p| pin(p)).collect::<Result<_, _>>()?,
            masks: c_paths(&masked(layout), "hiding")?,
            dev_null: c_path(Path::new("/dev/null"), "hiding")?,
        })
    }

    /// Whether protected paths are pinned (else the carved ruleset is not needed).
    pub(super) fn pins_anything(&self) -> bool {
        !self.pins.is_empty()
    }

    /// In the child, inside a fresh mount namespace made private: makes the mounts. `false`
    /// when the kernel refused one (fall back to carving).
    pub(super) fn make(&self) -> io::Result<bool> {
        if !self
            .overlays
            .iter()
            .all(|(private, over)| bind(private, over))
            || !freeze_all_but(&self.roots)
            || !self.anchors.iter().all(bind_over_itself)
            || !self.pins.iter().all(Pin::mount_read_only)
            || !self.masks.iter().all(|m| self.hide(m))
        {
            return Ok(false);
        }
        rechdir()?;
        Ok(true)
    }
}

impl MountPlan {
    /// Covers the socket or terminal at `path` with `/dev/null`; one gone since the parent
    /// listed it needs no cover.
    fn hide(&self, path: &CString) -> bool {
        bind(&self.dev_null, path)
            || matches!(
                io::Error::last_os_error().raw_os_error(),
                Some(libc::ENOENT | libc::ENOTDIR)
            )
    }
}

/// What the child covers with `/dev/null`: daemons' sockets and the terminals open now.
fn masked(layout: &WriteLayout) -> Vec<PathBuf> {
    let mut paths = super::sockets::daemon_sockets(&layout.mount_roots());
    paths.extend(super::terminals::open_terminals());
    paths
}

/// `struct mount_attr` of `mount_setattr(2)`.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// `MOUNT_ATTR_RDONLY`.
const MOUNT_ATTR_RDONLY: u64 = 1;

/// Makes every mount read-only, then the writable roots writable again (each bound over itself
/// first, so only that tree changes). Landlock does not govern metadata: without this a child
/// could `chmod`, `chown`, `touch -d` or set extended attributes on any file outside the
/// workspace that its user owns. Device nodes stay writable on a read-only mount, so
/// `/dev/null` and terminals keep working.
fn freeze_all_but(roots: &[CString]) -> bool {
    set_read_only(c"/", true, libc::AT_RECURSIVE as libc::c_uint)
        && roots
            .iter()
            .all(|root| bind_over_itself(root) && set_read_only(root, false, 0))
}

/// `mount_setattr(path, flags)` setting or clearing the read-only attribute.
fn set_read_only(path: &std::ffi::CStr, read_only: bool, flags: libc::c_uint) -> bool {
    let attr = MountAttr {
        attr_set: if read_only { MOUNT_ATTR_RDONLY } else { 0 },
        attr_clr: if read_only { 0 } else { MOUNT_ATTR_RDONLY },
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: `path` is NUL-terminated and `attr` is a valid `mount_attr` of the given size.
    unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            path.as_ptr(),
            flags,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        ) == 0
    }
}

/// Bind-mounts `path` over itself (keeping its flags and submounts).
fn bind_over_itself(path: &CString) -> bool {
    bind(path, path)
}

/// Bind-mounts `source` (with its submounts) over `target`.
fn bind(source: &CString, target: &CString) -> bool {
    let none = std::ptr::null();
    // SAFETY: both paths are NUL-terminated and outlive the call.
    unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            none,
            libc::MS_BIND | libc::MS_REC,
            none.cast(),
        ) == 0
    }
}

/// `path` as a C string, for the mount calls.
fn c_path(path: &Path, what: &str) -> Result<CString, SandboxError> {
    CString::new(path.as_os_str().as_bytes()).map_err(|e| {
        SandboxError::io(
            format!("{what} {}", path.display()),
            io::Error::new(io::ErrorKind::InvalidInput, e),
        )
    })
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
    let c_path = c_path(path, "pinning")?;
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
