//! The confinement of one child: prepared in the parent, applied in the `pre_exec` hook.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use seccompiler::BpfProgram;

use super::caps::CapDrop;
use super::limit::ProcessLimit;
use super::mounts::MountPlan;
use super::namespaces::{self, IdMaps};
use super::{contain, fs_rules, seccomp};
use crate::sandbox::layout::WriteLayout;
use crate::sandbox::SandboxError;

/// The mounts of the child's namespace, and the ruleset to use if they cannot be made.
struct Mounts {
    plan: MountPlan,
    /// The carved ruleset, when protected paths need it without mounts.
    carved: Option<OwnedFd>,
}

/// Everything the hook needs, owned by the hook (the descriptors close with the command).
pub(super) struct Prepared {
    /// The ruleset with every writable root open.
    open: OwnedFd,
    /// `None` only to test the carved fallback.
    mounts: Option<Mounts>,
    /// Whether to enter namespaces at all (off only to test the carved fallback).
    namespaces: bool,
    /// `Some` when not running as root (namespaces go through a user namespace).
    ids: Option<IdMaps>,
    /// `Some` when running as root.
    caps: Option<CapDrop>,
    /// `Some` when the kernel lets reins cap the number of processes.
    limit: Option<ProcessLimit>,
    filter: BpfProgram,
}

impl Prepared {
    /// Prepares the confinement for `layout` (allocation and file system access happen here).
    pub(super) fn new(layout: &WriteLayout, network: bool) -> Result<Self, SandboxError> {
        contain::prepare();
        let pins = layout.pins();
        let plan = MountPlan::new(layout, &pins)?;
        let carved = match plan.pins_anything() {
            true => Some(fs_rules::ruleset(layout, true)?),
            false => None,
        };
        Ok(Prepared {
            open: fs_rules::ruleset(layout, false)?,
            mounts: Some(Mounts { plan, carved }),
            namespaces: true,
            ids: IdMaps::for_current_user(),
            caps: CapDrop::new(network),
            limit: ProcessLimit::for_session(),
            filter: seccomp::program(network)?,
        })
    }

    /// The fallback configuration alone (carved ruleset, no namespaces), to test it where
    /// namespaces work.
    #[cfg(test)]
    pub(super) fn carved_only(layout: &WriteLayout, network: bool) -> Result<Self, SandboxError> {
        Ok(Prepared {
            open: fs_rules::ruleset(layout, true)?,
            mounts: None,
            namespaces: false,
            ids: None,
            caps: CapDrop::new(network),
            limit: None,
            filter: seccomp::program(network)?,
        })
    }

    /// In the child, between `fork` and `exec`: namespaces, mounts, the process limit,
    /// containment, capabilities, `no_new_privs`, Landlock, seccomp. Only system calls on
    /// prepared data: no allocation, no locks.
    pub(super) fn apply(&self) -> io::Result<()> {
        let entered = if self.namespaces {
            namespaces::enter(self.ids.as_ref())?
        } else {
            namespaces::Entered::default()
        };
        let ruleset = match &self.mounts {
            Some(mounts) if !(entered.mount && mounts.plan.make()?) => {
                mounts.carved.as_ref().unwrap_or(&self.open)
            }
            _ => &self.open,
        };
        if let Some(limit) = &self.limit {
            limit.join();
        }
        if entered.pid {
            // From here on this is the command, in memory it may share with init and the
            // spawned child (see `borrow`): system calls only, as the rest of the hook already
            // is; no thread handle, lock, or allocation, which would act on their state too.
            contain::become_contained()?;
            contain::mount_proc();
        }
        if let Some(caps) = &self.caps {
            caps.apply()?;
        }
        // SAFETY: plain system calls on a valid descriptor and constant arguments.
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::syscall(libc::SYS_landlock_restrict_self, ruleset.as_raw_fd(), 0u32) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        seccompiler::apply_filter(&self.filter).map_err(|e| match e {
            seccompiler::Error::Seccomp(err) | seccompiler::Error::Prctl(err) => err,
            _ => io::Error::from_raw_os_error(libc::EINVAL),
        })
    }
}
