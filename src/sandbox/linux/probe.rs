//! Availability checks run before confining, so that a kernel that cannot enforce the policy
//! produces an error naming the cause instead of a child that runs unconfined.

use std::io;
use std::sync::OnceLock;

use super::namespaces::Entered;

use crate::sandbox::SandboxError;

/// `LANDLOCK_CREATE_RULESET_VERSION`: asks `landlock_create_ruleset` for the ABI version.
const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;

/// The oldest Landlock ABI that can enforce the policy: ABI 3 (Linux 6.2) is the first to control
/// `truncate(2)`, without which a read-only file could still be emptied.
pub(super) const MIN_LANDLOCK_ABI: i64 = 3;

/// The first Landlock ABI that scopes signals and abstract unix sockets.
const SCOPES_ABI: i64 = 6;

/// `Ok` if the running kernel offers Landlock ABI [`MIN_LANDLOCK_ABI`] or newer.
pub(super) fn require_landlock() -> Result<(), SandboxError> {
    let version = landlock_abi();
    if version < 0 {
        return Err(SandboxError::unavailable(landlock_missing(
            io::Error::last_os_error(),
        )));
    }
    if version < MIN_LANDLOCK_ABI {
        return Err(SandboxError::unavailable(format!(
            "the kernel offers Landlock ABI {version} but the sandbox needs ABI \
             {MIN_LANDLOCK_ABI} (Linux 6.2 or newer)"
        )));
    }
    Ok(())
}

/// The Landlock ABI version of the running kernel, negative when Landlock is unavailable.
fn landlock_abi() -> i64 {
    // SAFETY: with a null attribute and size 0 this call only reports the ABI version.
    unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    }
}

/// What [`degraded`] found, once it has.
static DEGRADED: OnceLock<Vec<String>> = OnceLock::new();

/// [`degraded`] if the probe has run already; `None` while it runs or before.
pub(crate) fn degraded_if_known() -> Option<&'static [String]> {
    DEGRADED.get().map(Vec::as_slice)
}

/// What confinement lacks on this machine beyond the hard requirements (which fail closed),
/// each as a sentence for the user. Probed once per process: a PID namespace (containment),
/// the process cap, the Landlock scopes.
pub(crate) fn degraded() -> &'static [String] {
    DEGRADED.get_or_init(|| {
        let mut found = Vec::new();
        if !namespaces().mount {
            found.push(
                "no mount namespace can be created here, so protected paths are carved out of \
                 the file rules (nothing can be created at the workspace root), metadata outside \
                 the workspace is not protected, the shared temp dirs are read-only instead \
                 of private, and daemons' unix sockets stay reachable"
                    .to_string(),
            );
        }
        if !namespaces().pid {
            found.push(
                "no PID namespace can be created here, so processes a command detaches \
                 (`setsid`, daemons) can outlive it"
                    .to_string(),
            );
        }
        if namespaces().mount && !namespaces().ipc {
            found.push(
                "no IPC namespace can be created here, so commands share System V message \
                 queues and shared memory with the machine's other processes"
                    .to_string(),
            );
        }
        if !super::limit::available() {
            found.push(format!(
                "no cgroup can be created here, so commands are not capped at {} processes",
                super::limit::MAX_PROCESSES
            ));
        }
        let abi = landlock_abi();
        if (0..SCOPES_ABI).contains(&abi) {
            found.push(format!(
                "the kernel's Landlock ABI {abi} cannot scope signals and abstract unix sockets \
                 (ABI {SCOPES_ABI}, Linux 6.12, can)"
            ));
        }
        found
    })
}

/// Which namespaces a child can enter, tried for real once in a throwaway child (which reports
/// through its exit code). The child borrows reins' memory (`probe_child`); when that finds
/// less than every namespace, a forked child (the way commands start) confirms it, so that a
/// difference between the two ways can cost a fork, never confinement.
pub(crate) fn namespaces() -> Entered {
    static FOUND: OnceLock<Entered> = OnceLock::new();
    *FOUND.get_or_init(|| {
        let ids = super::namespaces::IdMaps::for_current_user();
        let borrowed = super::probe_child::exit_code(ids.as_ref()).map(Entered::from_exit_code);
        match borrowed {
            Some(all) if all == EVERY_NAMESPACE => all,
            _ => Entered::from_exit_code(forked_exit_code(ids)),
        }
    })
}

const EVERY_NAMESPACE: Entered = Entered {
    mount: true,
    pid: true,
    ipc: true,
};

/// [`namespaces`] tried in a forked child.
fn forked_exit_code(ids: Option<super::namespaces::IdMaps>) -> i32 {
    let mut cmd = std::process::Command::new("true");
    // SAFETY: the hook only makes system calls on data prepared before fork.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            let entered = super::namespaces::enter(ids.as_ref())?;
            libc::_exit(entered.exit_code())
        });
    }
    cmd.status().ok().and_then(|s| s.code()).unwrap_or(0)
}

/// The cause to report when probing Landlock failed with `err`.
fn landlock_missing(err: io::Error) -> String {
    match err.raw_os_error() {
        Some(libc::ENOSYS) => "this kernel has no Landlock support (Linux 6.2 or newer built \
                               with CONFIG_SECURITY_LANDLOCK is needed)"
            .into(),
        Some(libc::EOPNOTSUPP) => "Landlock is disabled in this kernel (add `landlock` to the \
                                   `lsm=` boot parameter)"
            .into(),
        _ => format!("Landlock is blocked here ({err}), as happens inside some containers"),
    }
}

/// `Ok` if seccomp filters can be installed (needed to cut the network).
pub(super) fn require_seccomp() -> Result<(), SandboxError> {
    // SAFETY: a null filter pointer makes the kernel fail with EFAULT when filters are
    // supported and with EINVAL when they are not; nothing is installed either way.
    let rc = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            std::ptr::null::<libc::c_void>(),
            0,
            0,
        )
    };
    let err = io::Error::last_os_error();
    if rc == -1 && err.raw_os_error() == Some(libc::EFAULT) {
        return Ok(());
    }
    Err(SandboxError::unavailable(format!(
        "seccomp filters are not available ({err})"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The child that borrows reins' memory finds what a forked one finds.
    #[test]
    fn a_borrowing_probe_child_finds_what_a_forked_one_does() {
        let ids = || super::super::namespaces::IdMaps::for_current_user();
        let borrowed = super::super::probe_child::exit_code(ids().as_ref())
            .expect("a CLONE_VM | CLONE_VFORK child starts here");
        assert_eq!(
            Entered::from_exit_code(borrowed),
            Entered::from_exit_code(forked_exit_code(ids()))
        );
        assert!((10..18).contains(&borrowed), "exit code {borrowed}");
    }

    #[test]
    fn exit_codes_round_trip_and_failures_mean_nothing_entered() {
        for bits in 0..8u8 {
            let entered = Entered {
                mount: bits & 1 != 0,
                pid: bits & 2 != 0,
                ipc: bits & 4 != 0,
            };
            assert_eq!(Entered::from_exit_code(entered.exit_code()), entered);
        }
        for failed in [0, 1, 9, 18, 127] {
            assert_eq!(Entered::from_exit_code(failed), Entered::default());
        }
    }
}
