//! The seccomp filter of confined children. The network is cut by refusing `socket(2)` for
//! every address family but `AF_UNIX` (local IPC, needed by many tools) and `AF_NETLINK`
//! (interface queries made by the C library's resolver); this covers TCP and UDP over IPv4 and
//! IPv6, loopback included, and raw packet sockets. It is done with seccomp rather than an empty
//! network namespace because seccomp needs neither root nor user namespaces (often disabled)
//! nor any helper program, and its cost is a few BPF instructions per system call.
//!
//! Independently of the network setting, the filter refuses `TIOCSTI`/`TIOCLINUX` (which would
//! let a child type commands into the user's terminal, to be run after reins exits),
//! `io_uring_setup` (io_uring can create sockets without calling `socket(2)`),
//! `open_by_handle_at`/`name_to_handle_at` (a file handle names a file by inode, past every path
//! rule and mount: with root's capabilities it writes any file of the workspace's filesystem, and
//! it reopens a socket that a mount hides), and the kernel keyring calls `add_key`,
//! `request_key` and `keyctl` (the keyrings are shared with the user's other processes and
//! outlive the session; container runtimes refuse them too).

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

use crate::sandbox::SandboxError;

/// `__X32_SYSCALL_BIT`: x32 system calls pass the x86-64 architecture check with this bit set,
/// so their numbers need rules of their own.
const X32_BIT: i64 = 0x4000_0000;

/// The x32 number of `ioctl`, which differs from the x86-64 one.
const X32_IOCTL: i64 = 514;

/// `ioctl` requests pushing input into a terminal (asm-generic values, shared by x86-64,
/// aarch64 and riscv64, the architectures seccompiler supports).
const TIOCSTI: u64 = 0x5412;
const TIOCLINUX: u64 = 0x541C;

/// System calls refused whatever their arguments (see the module doc for why each).
const REFUSED: &[i64] = &[
    libc::SYS_io_uring_setup,
    libc::SYS_open_by_handle_at,
    libc::SYS_name_to_handle_at,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_keyctl,
];

/// Compiles the filter for the running architecture.
pub(super) fn program(network: bool) -> Result<BpfProgram, SandboxError> {
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|_| {
        SandboxError::unavailable(format!(
            "seccomp filters are not supported on {}",
            std::env::consts::ARCH
        ))
    })?;
    let filter = SeccompFilter::new(
        rules(network, arch).map_err(compile_error)?,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )
    .map_err(compile_error)?;
    filter.try_into().map_err(compile_error)
}

/// Maps a seccompiler error to the fail-closed error.
fn compile_error(e: seccompiler::BackendError) -> SandboxError {
    SandboxError::unavailable(format!("cannot build the seccomp filter ({e})"))
}

/// The refused calls, keyed by system call number.
fn rules(
    network: bool,
    arch: TargetArch,
) -> Result<BTreeMap<i64, Vec<SeccompRule>>, seccompiler::BackendError> {
    let mut rules = BTreeMap::new();
    let mut ioctl_numbers = vec![libc::SYS_ioctl];
    let mut socket_numbers = vec![libc::SYS_socket];
    let mut refused = REFUSED.to_vec();
    if arch == TargetArch::x86_64 {
        ioctl_numbers.push(X32_BIT | X32_IOCTL);
        socket_numbers.push(X32_BIT | libc::SYS_socket);
        refused.extend(REFUSED.iter().map(|nr| X32_BIT | nr));
    }
    for nr in ioctl_numbers {
        rules.insert(nr, terminal_injection()?);
    }
    for nr in refused {
        rules.insert(nr, Vec::new());
    }
    if !network {
        for nr in socket_numbers {
            rules.insert(nr, vec![non_local_socket()?]);
        }
    }
    Ok(rules)
}

/// `ioctl(fd, TIOCSTI | TIOCLINUX, ...)`. The kernel reads the request as 32 bits, so only the
/// low word is compared (a value with junk in the high word is the same request).
fn terminal_injection() -> Result<Vec<SeccompRule>, seccompiler::BackendError> {
    [TIOCSTI, TIOCLINUX]
        .into_iter()
        .map(|request| {
            SeccompRule::new(vec![SeccompCondition::new(
                1,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::Eq,
                request,
            )?])
        })
        .collect()
}

/// `socket(domain, ...)` with a domain other than `AF_UNIX` and `AF_NETLINK`.
fn non_local_socket() -> Result<SeccompRule, seccompiler::BackendError> {
    let not = |family: libc::c_int| {
        SeccompCondition::new(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Ne, family as u64)
    };
    SeccompRule::new(vec![not(libc::AF_UNIX)?, not(libc::AF_NETLINK)?])
}
