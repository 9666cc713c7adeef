//! Starting the waiting processes of [`super::contain`] without copying reins' memory. `fork`
//! copies the page tables of the whole process and shares its pages copy-on-write, and each
//! command used to pay that three times (the spawned child, init, the command), plus a copy of
//! each page any of them or reins wrote while the command ran.
//!
//! Here init and the command *borrow* the spawned child's memory instead (`CLONE_VM |
//! CLONE_VFORK`, as `posix_spawn` does): the kernel suspends the parent until the child execs
//! or exits, so at any moment only one of the three runs in that memory, and the command's exec
//! gives it fresh memory of its own. The child goes on on the stack it was started on (it
//! returns up the `pre_exec` hook to std's exec, for the command); the parent, once resumed,
//! leaves that stack at once for one of its own (mapped here, before any fork) and never
//! returns, since the child has overwritten the frames it would return to. That switch is the
//! few instructions of assembly below, which run before any of those frames is read.
//!
//! Only on x86_64; elsewhere, or when the stacks cannot be mapped, `become_contained` forks as
//! before.

use std::io;
use std::sync::OnceLock;

/// Each waiting process's stack: it only waits and exits.
const STACK_BYTES: usize = 64 * 1024;
/// An unmapped page below each stack, so an overflow faults instead of writing the other's.
const GUARD_BYTES: usize = 4096;

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
    STACKS.get().and_then(Option::as_ref)
}

fn map() -> Option<Stacks> {
    if !cfg!(target_arch = "x86_64") {
        return None;
    }
    let len = 2 * (GUARD_BYTES + STACK_BYTES);
    // SAFETY: a fresh anonymous mapping, never unmapped; guard pages made inaccessible within it.
    unsafe {
        let base = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
            -1,
            0,
        );
        if base == libc::MAP_FAILED {
            return None;
        }
        let base = base as usize;
        let second = base + GUARD_BYTES + STACK_BYTES;
        for guard in [base, second] {
            if libc::mprotect(guard as *mut libc::c_void, GUARD_BYTES, libc::PROT_NONE) != 0 {
                return None;
            }
        }
        Some(Stacks {
            relay: second,
            init: second + GUARD_BYTES + STACK_BYTES,
        })
    }
}

/// Which waiting process the parent becomes.
pub(super) enum Parent {
    /// The spawned child, waiting for init; it shares its descriptors with init, which closes
    /// them for both once the command has exec'd.
    Relay,
    /// Init, waiting for the command.
    Init,
}

/// Starts a child borrowing this process's memory; returns `Ok` in the child. The parent is
/// suspended until the child execs or exits, then becomes `then(child)` on its own stack and
/// never returns.
pub(super) fn borrow(
    stacks: &Stacks,
    parent: Parent,
    then: extern "C" fn(libc::pid_t) -> !,
) -> io::Result<()> {
    let (top, share) = match parent {
        Parent::Relay => (stacks.relay, libc::CLONE_FILES),
        Parent::Init => (stacks.init, 0),
    };
    let flags = (libc::CLONE_VM | libc::CLONE_VFORK | share | libc::SIGCHLD) as u64;
    // SAFETY: see the module doc: the parent leaves the shared stack before reading it.
    match unsafe { clone_then(flags, top, then) } {
        0 => Ok(()),
        err => Err(io::Error::from_raw_os_error(-err as i32)),
    }
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
    -(libc::ENOSYS as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On x86_64 the stacks are mapped (else every command would be forked three times, as
    /// before), each top 16-byte aligned as the call on it needs, with a guard page below.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_waiting_processes_stacks_are_mapped_aligned_and_guarded() {
        prepare();
        let stacks = stacks().expect("stacks mapped");
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        for top in [stacks.relay, stacks.init] {
            assert_eq!(top % 16, 0);
            let guard = format!("{:x}-", top - STACK_BYTES - GUARD_BYTES);
            let line = maps.lines().find(|l| l.starts_with(&guard));
            assert!(
                line.is_some_and(|l| l.split_whitespace().nth(1) == Some("---p")),
                "no inaccessible page below the stack: {line:?}"
            );
        }
        assert_eq!(stacks.init - stacks.relay, GUARD_BYTES + STACK_BYTES);
    }
}
