//! The namespaces a confined child enters before anything else: a mount namespace (for the
//! read-only pins, see [`super::mounts`]), a PID namespace (for containment, see
//! [`super::contain`]) and an IPC namespace (System V message queues, semaphores and shared
//! memory are otherwise shared with every process of the machine: a command could write into
//! another program's queue, or leave a segment behind that outlives the session). Root creates them directly; other users go through a user namespace
//! mapping only their own ids, so files keep their owners and the child gains no privilege once
//! it execs.
//!
//! Each can be unavailable (containers, distributions restricting user namespaces). The child
//! then goes on with less: without a mount namespace the carved Landlock ruleset keeps the
//! protected paths read-only; without a PID namespace processes that leave the command's process
//! group (`setsid`) can outlive it. [`super::probe::namespaces`] finds out in the parent which
//! case applies, so the loss is reported rather than silent.

use std::io;

/// The id maps written when entering a user namespace.
pub(super) struct IdMaps {
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
}

impl IdMaps {
    /// `None` for root, who needs no user namespace.
    pub(super) fn for_current_user() -> Option<Self> {
        // SAFETY: these calls cannot fail and have no preconditions.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        (uid != 0).then(|| IdMaps {
            uid_map: format!("{uid} {uid} 1\n").into_bytes(),
            gid_map: format!("{gid} {gid} 1\n").into_bytes(),
        })
    }
}

/// Which namespaces the child ended up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Entered {
    pub(super) mount: bool,
    pub(super) pid: bool,
    pub(super) ipc: bool,
}

impl Entered {
    /// The exit code of a probe child that entered these (10 to 17; a child that failed
    /// otherwise exits with something else).
    pub(super) fn exit_code(self) -> i32 {
        let bits = u8::from(self.mount) | (u8::from(self.pid) << 1) | (u8::from(self.ipc) << 2);
        i32::from(bits) + 10
    }

    /// What a probe child's exit code says it entered: nothing for any other code.
    pub(super) fn from_exit_code(code: i32) -> Self {
        let bits = code - 10;
        let valid = (0..8).contains(&bits);
        Entered {
            mount: valid && bits & 1 != 0,
            pid: valid && bits & 2 != 0,
            ipc: valid && bits & 4 != 0,
        }
    }
}

/// In the child: enters a mount, a PID and an IPC namespace if it can, else as many of them as
/// it can (the mount namespace first), else none. `Err` only when a user namespace was entered
/// but its id maps could not be written, which leaves a child unable to create files.
pub(super) fn enter(ids: Option<&IdMaps>) -> io::Result<Entered> {
    let (ns, pid, ipc) = (libc::CLONE_NEWNS, libc::CLONE_NEWPID, libc::CLONE_NEWIPC);
    for flags in [ns | pid | ipc, ns | pid, ns | ipc, ns] {
        if unshare(flags, ids)? {
            make_private()?;
            return Ok(Entered {
                mount: true,
                pid: flags & pid != 0,
                ipc: flags & ipc != 0,
            });
        }
    }
    Ok(Entered::default())
}

/// Makes every mount below `/` a slave of the parent's, so the mounts made in the child (pins,
/// `/proc`) never propagate back to the user's namespace.
fn make_private() -> io::Result<()> {
    // SAFETY: constant arguments.
    let rc = unsafe {
        libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_SLAVE,
            std::ptr::null(),
        )
    };
    match rc {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

/// `unshare(flags)`, through a user namespace when `ids` is set; `Ok(false)` if refused.
fn unshare(flags: libc::c_int, ids: Option<&IdMaps>) -> io::Result<bool> {
    let Some(ids) = ids else {
        // SAFETY: plain system call.
        return Ok(unsafe { libc::unshare(flags) } == 0);
    };
    // SAFETY: plain system call; the child is single-threaded, as a user namespace requires.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER | flags) } != 0 {
        return Ok(false);
    }
    write_proc(c"/proc/self/setgroups", b"deny")?;
    write_proc(c"/proc/self/uid_map", &ids.uid_map)?;
    write_proc(c"/proc/self/gid_map", &ids.gid_map)?;
    Ok(true)
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
