//! A thread that lives in the session's cgroup and forks the confined commands, so that they
//! start inside it and skip the move. Only cgroup v1 can move one thread of a process; under v2,
//! or when the move is refused, commands are spawned where they are asked for and move
//! themselves.
//!
//! The thread moves itself by writing `0` (the writer) to v1's `tasks`, not its thread id: the
//! kernel then skips the lock that makes every other move wait for an RCU grace period (Linux
//! 6.18 here: 0.05-0.09 ms instead of 7-24 ms). With its id, the first command of a session
//! waited for that grace period, and a session that ran no command waited for it at exit.
//!
//! The child's hook still checks its own cgroup ([`super::limit`]): a command spawned anywhere
//! else is moved as before, so the cap never depends on which thread forked.

use std::io;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Mutex, OnceLock};

use super::limit::session_cgroup;

/// One command to spawn, the runtime its child reports to, and where the result goes.
struct Job {
    cmd: tokio::process::Command,
    runtime: tokio::runtime::Handle,
    reply: SyncSender<io::Result<tokio::process::Child>>,
}

/// Spawns `cmd` from the session cgroup's thread where there is one, else here. The command is
/// dropped once spawned (closing the parent's copies of the child's pipe ends) either way.
pub(crate) fn spawn(mut cmd: tokio::process::Command) -> io::Result<tokio::process::Child> {
    let (Some(jobs), Ok(runtime)) = (jobs(), tokio::runtime::Handle::try_current()) else {
        return cmd.spawn();
    };
    let (reply, answer) = mpsc::sync_channel(1);
    let sent = jobs
        .lock()
        .map_err(|_| io::Error::other("reins' spawner thread failed; restart the session"))?
        .send(Job {
            cmd,
            runtime,
            reply,
        });
    match sent {
        Ok(()) => answer
            .recv()
            .map_err(|_| io::Error::other("reins' spawner thread stopped; restart the session"))?,
        // The thread is gone (it panicked): spawn here.
        Err(mpsc::SendError(job)) => {
            let mut cmd = job.cmd;
            cmd.spawn()
        }
    }
}

/// Starts the thread (it joins the cgroup first, off the caller's path); called from the
/// session's background probe so that the first command does not wait for the move.
pub(crate) fn start() {
    let _ = jobs();
}

/// The thread's queue, started on first use; `None` under cgroup v2 or without a cgroup.
fn jobs() -> Option<&'static Mutex<Sender<Job>>> {
    static QUEUE: OnceLock<Option<Mutex<Sender<Job>>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let cgroup = session_cgroup().as_ref()?;
            cgroup.v1_member_line.as_ref()?;
            let tasks = cgroup.dir.join("tasks");
            let (send, receive) = mpsc::channel();
            std::thread::Builder::new()
                .name("reins-spawner".into())
                .spawn(move || serve(&tasks, receive))
                .ok()?;
            Some(Mutex::new(send))
        })
        .as_ref()
}

/// Moves this thread into the cgroup (`0` written to v1's `tasks`), then spawns what it is sent.
/// If the move is refused it spawns all the same, and each child moves itself.
fn serve(tasks: &std::path::Path, jobs: Receiver<Job>) {
    let _ = std::fs::write(tasks, "0\n");
    for job in jobs {
        let _entered = job.runtime.enter();
        let mut cmd = job.cmd;
        let spawned = cmd.spawn();
        drop(cmd);
        let _ = job.reply.send(spawned);
    }
}
