//! Availability checks run before confining, so that a kernel that cannot enforce the policy
//! produces an error naming the cause instead of a child that runs unconfined.

use std::io;

use crate::sandbox::SandboxError;

/// `LANDLOCK_CREATE_RULESET_VERSION`: asks `landlock_create_ruleset` for the ABI version.
const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;

/// The oldest Landlock ABI that can enforce the policy: ABI 3 (Linux 6.2) is the first to control
/// `truncate(2)`, without which a read-only file could still be emptied.
pub(super) const MIN_LANDLOCK_ABI: i64 = 3;

/// `Ok` if the running kernel offers Landlock ABI [`MIN_LANDLOCK_ABI`] or newer.
pub(super) fn require_landlock() -> Result<(), SandboxError> {
    // SAFETY: with a null attribute and size 0 this call only reports the ABI version.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
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
