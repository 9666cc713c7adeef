//! The process groups of the commands running right now (shell calls, checks, hooks).
//!
//! Each command runs in a process group of its own, killed when the command ends. Normally the
//! code that started it does that; but an exit that cannot wait for it (a second Ctrl-C or
//! SIGTERM, see `frontend::stop_signals`) must still leave nothing behind, so every live group is also
//! listed here, where [`kill_all`] finds it.

use std::sync::Mutex;

static RUNNING: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// A live process group, killed (every process still in it) when this is dropped.
#[derive(Debug)]
pub struct Group {
    pgid: i32,
}

impl Group {
    /// Tracks the group led by `pid` (a child spawned with `process_group(0)`); `None` when the
    /// child has already been reaped (no pid).
    pub fn track(pid: Option<u32>) -> Option<Group> {
        let pgid = i32::try_from(pid?).ok().filter(|p| *p > 0)?;
        if let Ok(mut running) = RUNNING.lock() {
            running.push(pgid);
        }
        Some(Group { pgid })
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        kill(self.pgid);
        if let Ok(mut running) = RUNNING.lock() {
            running.retain(|p| *p != self.pgid);
        }
    }
}

/// Kills every tracked group now; for an exit that skips the owners' clean-up.
pub fn kill_all() {
    // A poisoned lock still holds the list: a panic elsewhere must not leave commands running.
    let running = match RUNNING.lock() {
        Ok(r) => r,
        Err(poisoned) => poisoned.into_inner(),
    };
    for pgid in running.iter() {
        kill(*pgid);
    }
}

fn kill(pgid: i32) {
    // SAFETY: kill(2) with a negative pid signals a process group reins created for a command
    // (pgid > 0, so never -1, which would mean every process we may signal).
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt as _;

    fn running(pgid: i32) -> bool {
        RUNNING.lock().map(|r| r.contains(&pgid)).unwrap_or(false)
    }

    /// `kill_all` itself is exercised through the binary (`tests/exec_interrupt.rs`, a second
    /// signal): here it would also kill the commands of tests running in parallel.
    #[test]
    fn dropping_a_group_kills_it_and_forgets_it() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .expect("spawn sleep");
        let group = Group::track(Some(child.id())).expect("tracked");
        let pgid = child.id() as i32;
        assert!(running(pgid));
        drop(group);
        assert!(!running(pgid));
        let status = child.wait().expect("wait");
        assert!(!status.success(), "sleep should have been killed");
    }

    #[test]
    fn no_pid_tracks_nothing() {
        assert!(Group::track(None).is_none());
    }
}
