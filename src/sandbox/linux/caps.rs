//! Capabilities of a child started by root. Landlock confines file access, but a root child
//! keeps powers that bypass any file policy: loading a kernel module, creating a device node for
//! the raw disk, reconfiguring the network, rebooting. Dropping those capabilities from the
//! bounding set makes them unobtainable after `exec`; the ones ordinary file work as root needs
//! (ownership and permission overrides, `setuid` for tools that switch users) are kept.
//! `CAP_DAC_READ_SEARCH` is not: it is what `open_by_handle_at(2)` checks, and a file handle
//! opened through the workspace's writable mount reaches any file of the same filesystem, past
//! the read-only mounts and Landlock (`CAP_DAC_OVERRIDE` already lets root read what it needs).
//! A child of a non-root user has no capabilities after `exec` anyway.

use std::io;

/// Capability numbers (`linux/capability.h`) kept in the bounding set.
const KEPT: &[u32] = &[
    0,  // CAP_CHOWN
    1,  // CAP_DAC_OVERRIDE
    3,  // CAP_FOWNER
    4,  // CAP_FSETID
    5,  // CAP_KILL
    6,  // CAP_SETGID
    7,  // CAP_SETUID
    10, // CAP_NET_BIND_SERVICE
    14, // CAP_IPC_LOCK
    24, // CAP_SYS_RESOURCE
    28, // CAP_LEASE
    29, // CAP_AUDIT_WRITE
];

/// `CAP_NET_RAW`, kept when the network is allowed (`ping`).
const CAP_NET_RAW: u32 = 13;

/// The bounding-set reduction for one child, decided in the parent.
pub(super) struct CapDrop {
    /// Bit `n` set: capability `n` is kept.
    keep: u64,
}

impl CapDrop {
    /// `None` unless running as root.
    pub(super) fn new(network: bool) -> Option<Self> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return None;
        }
        let mut keep = KEPT.iter().fold(0u64, |acc, cap| acc | (1 << cap));
        if network {
            keep |= 1 << CAP_NET_RAW;
        }
        Some(CapDrop { keep })
    }

    /// In the child: drops every other capability from the bounding set. Stops at the first
    /// number the kernel does not know; a process not allowed to drop (no `CAP_SETPCAP`, as in
    /// some containers) already runs with a reduced set and is left as it is.
    pub(super) fn apply(&self) -> io::Result<()> {
        for cap in 0..64u32 {
            if self.keep & (1 << cap) != 0 {
                continue;
            }
            // SAFETY: plain system call with integer arguments.
            if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) } != 0 {
                let err = io::Error::last_os_error();
                return match err.raw_os_error() {
                    Some(libc::EINVAL | libc::EPERM) => Ok(()),
                    _ => Err(err),
                };
            }
        }
        Ok(())
    }
}
