//! Containment: every confined command runs in a PID namespace of its own, so that when it ends
//! (or is killed) nothing it started survives, whatever it did to hide: `setsid`, double forks,
//! `nohup`, daemons. The kernel kills every process of a PID namespace when the namespace's first
//! process (its "init") exits, and processes inside cannot see, let alone signal, processes
//! outside it (reins included).
//!
//! `unshare(CLONE_NEWPID)` only moves the *children* of the caller into the new namespace, so the
//! `pre_exec` hook forks twice:
//!
//! ```text
//! spawned child (the pid reins waits on)      waits for init, exits as it did
//!  └─ init, pid 1 of the namespace           reaps orphans, exits when the command does
//!      └─ the command (returns to exec)
//! ```
//!
//! The two waiting processes never return to exec: they close every descriptor (so the pipes and
//! std's exec-error pipe see only the command) and leave with `_exit`. Init asks the kernel to
//! kill it if the spawned child dies (`PR_SET_PDEATHSIG`), so killing the pid reins knows (a
//! timeout, an interrupt, `kill_on_drop`) takes the whole namespace with it.
//!
//! Init and the command borrow the spawned child's memory rather than copy it
//! ([`super::borrow`]); where they cannot, they are forked.
//!
//! The command leaves the process group for a session of its own (`setsid`); init and the
//! spawned child stay in the group reins kills at the end of each command.
//!
//! Everything here runs between `fork` and `exec` of a multi-threaded parent: system calls only,
//! no allocation.

use std::io;

use super::borrow;

/// In the parent, before commands are spawned: what the hook needs ready (the waiting
/// processes' stacks).
pub(super) fn prepare() {
    borrow::prepare();
}

/// In the child, just after entering a PID namespace: starts the waiting processes and returns
/// only in the process that goes on to exec the command.
pub(super) fn become_contained() -> io::Result<()> {
    let stacks = borrow::stacks();
    // Borrowing fails before any process is made (no stacks, a refused clone): then fork.
    if stacks.is_none_or(|s| borrow::start_init(s).is_err()) {
        let init = fork()?;
        if init != 0 {
            relay(init);
        }
    }
    // Now pid 1 of the new namespace.
    die_with_parent();
    if stacks.is_none_or(|s| borrow::start_command(s, reap_entry).is_err()) {
        let command = fork()?;
        if command != 0 {
            reap(command);
        }
    }
    // A session of its own, so the command has no controlling terminal: opening `/dev/tty` to
    // write escape sequences (OSC 52 sets the user's clipboard) or to read keystrokes fails.
    // Reins still reaches it: init stays in the process group reins kills.
    // SAFETY: plain system call; the command is not a group leader, so it cannot fail.
    unsafe { libc::setsid() };
    Ok(())
}

/// Mounts a `/proc` of the new PID namespace, so the command sees (and can name) only its own
/// processes. Best effort: the host's `/proc` stays if the kernel refuses, and processes outside
/// still cannot be signalled (their pids do not exist in the namespace) or read (Landlock forbids
/// ptrace-class access to processes outside the domain).
pub(super) fn mount_proc() {
    let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
    // SAFETY: NUL-terminated constant strings; the call has no other preconditions.
    unsafe {
        libc::mount(
            c"proc".as_ptr(),
            c"/proc".as_ptr(),
            c"proc".as_ptr(),
            flags,
            std::ptr::null(),
        );
    }
}

/// Init asks to be killed when the spawned child dies.
fn die_with_parent() {
    // SAFETY: plain system call with constant arguments.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
}

extern "C" fn reap_entry(command: libc::pid_t) -> ! {
    reap(command)
}

fn fork() -> io::Result<libc::pid_t> {
    // SAFETY: the child only makes async-signal-safe system calls before exec or _exit.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        pid => Ok(pid),
    }
}

/// The spawned child: waits for init and ends the way it ended.
fn relay(init: libc::pid_t) -> ! {
    close_all();
    let status = wait_for(init);
    exit_like(status)
}

/// Init: reaps every process that ends in the namespace and leaves with the command's status
/// when the command ends (which makes the kernel kill whatever is left).
fn reap(command: libc::pid_t) -> ! {
    close_all();
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid out-pointer.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid == command {
            exit_like(status);
        }
        if pid < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            // SAFETY: leaving without running any destructor of the parent's copy.
            unsafe { libc::_exit(127) };
        }
    }
}

/// Waits for `pid`, retrying on `EINTR`; the raw wait status.
fn wait_for(pid: libc::pid_t) -> libc::c_int {
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid out-pointer.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            return status;
        }
        if rc < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return 127 << 8;
        }
    }
}

/// Exits with the same code as the wait status `status`, or dies of the same signal, so reins
/// reports the command's own ending. In init the kernel drops the signal it sends itself (pid 1
/// of a namespace ignores signals it has no handler for), so a command's death by a signal
/// reaches reins as exit code 128 + the signal, as a shell reports it.
fn exit_like(status: libc::c_int) -> ! {
    // SAFETY: plain system calls; `_exit` never returns.
    unsafe {
        if libc::WIFSIGNALED(status) {
            let signal = libc::WTERMSIG(status);
            libc::signal(signal, libc::SIG_DFL);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, signal);
            libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            libc::kill(libc::getpid(), signal);
            libc::_exit(128 + signal);
        }
        libc::_exit(libc::WEXITSTATUS(status))
    }
}

/// Closes every descriptor: a waiting process holding the output pipe or std's exec-error pipe
/// would keep reins reading (or waiting for `spawn`) until the command ends.
fn close_all() {
    // SAFETY: plain system call; `close_range` exists since Linux 5.9, older kernels fall back to
    // closing one by one.
    unsafe {
        if libc::syscall(libc::SYS_close_range, 0u32, u32::MAX, 0u32) != 0 {
            for fd in 0..1024 {
                libc::close(fd);
            }
        }
    }
}
