//! The namespace probe's throwaway child, started without copying reins. A forked child copies
//! the address space's page tables while holding its lock, so the session's other threads,
//! busy starting the session at that moment, stall on their next page fault, then take a fault
//! for every page they write after (copy-on-write). This child borrows the memory instead
//! (`CLONE_VM | CLONE_VFORK`, as `posix_spawn` does): the probing thread is suspended until it
//! exits, it runs on a stack of its own with every signal blocked, and it makes only system
//! calls on data prepared before (`namespaces::enter` allocates nothing).

use super::namespaces::IdMaps;

/// The exit code of a child that tried to enter the namespaces (`Entered::exit_code`);
/// `None` when such a child cannot be started here (the caller forks one instead).
pub(super) fn exit_code(ids: Option<&IdMaps>) -> Option<i32> {
    let stack = super::stacks::GuardedStacks::map(1)?;
    let mut ids = ids;
    let pid = with_signals_blocked(|| {
        // SAFETY: `run` is a plain function taking `ids`, which outlives the child (the
        // calling thread is suspended until the child exits: CLONE_VFORK); the stack is
        // mapped, writable and 16-byte aligned at its top.
        unsafe {
            libc::clone(
                run,
                stack.top(0) as *mut libc::c_void,
                libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
                std::ptr::addr_of_mut!(ids).cast(),
            )
        }
    });
    if pid <= 0 {
        return None;
    }
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            break;
        }
        if rc < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return None;
        }
    }
    libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status))
}

/// The child: tries the namespaces and exits with the code [`super::probe`] decodes (0 when
/// entering failed outright).
extern "C" fn run(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the parent's `Option<&IdMaps>`, alive while it is suspended.
    let ids = unsafe { *arg.cast::<Option<&IdMaps>>() };
    let code = match super::namespaces::enter(ids) {
        Ok(entered) => entered.exit_code(),
        Err(_) => 0,
    };
    // SAFETY: ends this child only (its own thread group); nothing of the parent's is touched.
    unsafe { libc::_exit(code) }
}

/// Runs `f` with every signal blocked on this thread, so that no handler of reins' runs in the
/// child on the borrowed memory.
fn with_signals_blocked<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: sigset_t is plain data; the calls only read and write these two sets.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        let out = f();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        out
    }
}
