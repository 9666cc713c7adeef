//! Starting the waiting processes of [`super::contain`] without copying reins' memory. `fork`
//! copies the page tables of the whole process and shares its pages copy-on-write, and each
//! command used to pay that three times (the spawned child, init, the command), plus a copy of
//! each page any of them or reins wrote while the command ran.
//!
//! Here init and the command *borrow* the spawned child's memory instead (`CLONE_VM`), each
//! created on the stack its parent runs on; the child goes on there (for the command: back up
//! the `pre_exec` hook to std's exec), and the parent leaves that stack at once for one of its
//! own, mapped here before any fork (the few instructions of assembly below, which read
//! registers only). So nothing is copied, and the command's exec gives it memory of its own.
//!
//! - **The command** is started with `CLONE_VFORK`: init is suspended until it execs, so the two
//!   never run at once in the shared memory (they share glibc's thread data, `errno` included).
//! - **Init** is started without it, since it never execs: a vfork parent would wait in the
//!   kernel, uninterruptible but for a kill, for the command's whole life, counted in the load
//!   average. So the spawned child runs beside init and the command, and touches nothing they
//!   use: it blocks every signal (no inherited handler runs), then closes its descriptors, waits
//!   and exits with system calls made directly, never through glibc, on its own stack.
//!
//! Only on x86_64 (64-bit); elsewhere, when the stacks cannot be mapped, or when the kernel
//! refuses such a clone (a seccomp policy around reins may), `become_contained` forks as before.

use std::io;
use std::sync::OnceLock;

/// The tops of the two waiting processes' stacks.
pub(super) struct Stacks {
    relay: usize,
    init: usize,
}

/// Maps the stacks, once per process; called in the parent before any command is spawned, so
/// the hook only reads them.
pub(super) fn prepare() {
    let _ = STACKS.get_or_init(map);
}

static STACKS: OnceLock<Option<Stacks>> = OnceLock::new();

/// The stacks, if [`prepare`] mapped them (a read of a set value: safe after `fork`).
pub(super) fn stacks() -> Option<&'static Stacks> {
    #[cfg(test)]
    if FORCE_FORK.load(std::sync::atomic::Ordering::SeqCst) {
        return None;
    }
    STACKS.get().and_then(Option::as_ref)
}

/// Set by tests to take the fork path (both paths must behave the same, so a test running
/// meanwhile is not affected).
#[cfg(test)]
pub(super) static FORCE_FORK: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

fn map() -> Option<Stacks> {
    if !cfg!(all(target_arch = "x86_64", target_pointer_width = "64")) {
        return None;
    }
    let mapped = super::stacks::GuardedStacks::map(2)?;
    let stacks = Stacks {
        relay: mapped.top(0),
        init: mapped.top(1),
    };
    // Read in forked children for the rest of the process.
    mapped.keep();
    Some(stacks)
}

/// In the spawned child: starts init, and becomes the relay that waits for it (see
/// [`relay`]); returns `Ok` only in init.
pub(super) fn start_init(stacks: &Stacks) -> io::Result<()> {
    let flags = (libc::CLONE_VM | libc::SIGCHLD) as u64;
    // SAFETY: see the module doc; `relay` uses its own stack and direct system calls only.
    result(unsafe { clone_then(flags, stacks.relay, relay) })
}

/// In init: starts the command, suspended until it execs or exits, then reaps with `reap`
/// on its own stack; returns `Ok` only in the command.
pub(super) fn start_command(
    stacks: &Stacks,
    reap: extern "C" fn(libc::pid_t) -> !,
) -> io::Result<()> {
    let flags = (libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD) as u64;
    // SAFETY: see the module doc: init leaves the shared stack before reading it.
    result(unsafe { clone_then(flags, stacks.init, reap) })
}

fn result(ret: i64) -> io::Result<()> {
    match ret {
        0 => Ok(()),
        err => Err(io::Error::from_raw_os_error(-err as i32)),
    }
}

/// The spawned child once init is started: waits for it and ends the way it ended (an exit
/// code, or death by the same signal). Runs beside init and the command in their memory, so it
/// blocks every signal first (an inherited handler would run reins' code there) and then makes
/// system calls directly: glibc would write `errno`, which they share.
extern "C" fn relay(init: libc::pid_t) -> ! {
    let all: u64 = !0;
    // SAFETY: direct system calls on this stack's own values; `exit_group` never returns.
    unsafe {
        sys(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK as u64,
            addr(&all),
            0,
            8,
        );
        if sys(libc::SYS_close_range, 0, u64::from(u32::MAX), 0, 0) != 0 {
            for fd in 0..1024 {
                sys(libc::SYS_close, fd, 0, 0, 0);
            }
        }
        let mut status: i32 = 127 << 8;
        let out = &mut status as *mut i32 as u64;
        loop {
            let pid = sys(libc::SYS_wait4, init as u64, out, 0, 0);
            if pid == i64::from(init) || pid != -i64::from(libc::EINTR) {
                break;
            }
        }
        if libc::WIFSIGNALED(status) {
            let signal = libc::WTERMSIG(status);
            // The kernel's `struct sigaction`: the default action, no flags, no mask.
            let default = [0u64; 4];
            sys(libc::SYS_rt_sigaction, signal as u64, addr(&default), 0, 8);
            let one: u64 = 1 << (signal - 1);
            sys(
                libc::SYS_rt_sigprocmask,
                libc::SIG_UNBLOCK as u64,
                addr(&one),
                0,
                8,
            );
            let me = sys(libc::SYS_getpid, 0, 0, 0, 0);
            sys(libc::SYS_kill, me as u64, signal as u64, 0, 0);
            sys(libc::SYS_exit_group, 128 + signal as u64, 0, 0, 0);
        }
        sys(
            libc::SYS_exit_group,
            libc::WEXITSTATUS(status) as u64,
            0,
            0,
            0,
        );
    }
    unreachable_end()
}

/// After `exit_group`, which does not return.
fn unreachable_end() -> ! {
    loop {
        std::hint::spin_loop();
    }
}

fn addr<T>(value: &T) -> u64 {
    value as *const T as u64
}

/// A system call made directly (no `errno`); the kernel's result, negative on error.
#[cfg(target_arch = "x86_64")]
unsafe fn sys(number: i64, a: u64, b: u64, c: u64, d: u64) -> i64 {
    let ret: i64;
    // SAFETY: the caller's arguments; `syscall` clobbers only rax, rcx and r11.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") number => ret,
            in("rdi") a,
            in("rsi") b,
            in("rdx") c,
            in("r10") d,
            out("rcx") _,
            out("r11") _,
            options(nostack),
        );
    }
    ret
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn sys(_: i64, _: u64, _: u64, _: u64, _: u64) -> i64 {
    -i64::from(libc::ENOSYS)
}

/// `clone(flags)` on the caller's stack; in the parent (a positive result, once the kernel
/// resumes it) the stack pointer moves to `top` and `then(pid)` is called, never to return.
/// Returns 0 in the child, or the negated errno when there is no child.
#[cfg(target_arch = "x86_64")]
unsafe fn clone_then(flags: u64, top: usize, then: extern "C" fn(libc::pid_t) -> !) -> i64 {
    let ret: i64;
    // SAFETY: the caller's contract; `syscall` clobbers only rax, rcx and r11, and the parent
    // path reads registers only.
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jle 2f",
            "mov rsp, {top}",
            "mov edi, eax",
            "call {then}",
            "ud2",
            "2:",
            top = in(reg) top,
            then = in(reg) then,
            inlateout("rax") libc::SYS_clone => ret,
            in("rdi") flags,
            in("rsi") 0u64,
            in("rdx") 0u64,
            in("r10") 0u64,
            in("r8") 0u64,
            out("rcx") _,
            out("r11") _,
        );
    }
    ret
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn clone_then(_: u64, _: usize, _: extern "C" fn(libc::pid_t) -> !) -> i64 {
    -i64::from(libc::ENOSYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On x86_64 the stacks are mapped (else every command would be forked three times, as
    /// before), two of them, each top 16-byte aligned as the call on it needs (their guards:
    /// `stacks`' test).
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_waiting_processes_stacks_are_mapped_and_aligned() {
        prepare();
        let stacks = stacks().expect("stacks mapped");
        assert_ne!(stacks.relay, stacks.init);
        for top in [stacks.relay, stacks.init] {
            assert_eq!(top % 16, 0);
        }
    }
}
