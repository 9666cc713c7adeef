//! The cap on the number of processes a session's confined commands may run at once (a fork
//! bomb stops at the cap instead of taking the machine down). `RLIMIT_NPROC` cannot do it: it
//! counts every process of the user, and root is exempt. A cgroup's `pids.max` can: reins makes
//! one cgroup per process (`reins-<pid>`, beside its own, in the `pids` hierarchy of cgroup v1 or
//! in cgroup v2), and every confined child moves itself into it before it execs.
//!
//! Creating cgroups needs write access to the hierarchy (root, or a delegated subtree); where
//! there is none the cap is missing, which [`super::probe::degraded`] reports.
//!
//! Moving a whole process into a cgroup (`cgroup.procs`) makes the kernel wait for an RCU grace
//! period (7-24 ms on a small VM), once per command. Under cgroup v1, which moves single threads,
//! a thread that moves only itself (`0` written to `tasks`) skips that wait on recent kernels,
//! so a child moves itself that way (it has one thread after `fork`); and a child forked by a
//! thread already inside starts inside ([`super::spawner`]), and skips the move altogether.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Processes (threads included, as the kernel counts them) a session's commands may hold at once.
pub(super) const MAX_PROCESSES: u32 = 4096;

/// The open file of the session's cgroup that a child writes to move itself in: v1's `tasks`
/// (one thread: the child's only one), v2's `cgroup.procs`.
pub(super) struct ProcessLimit {
    procs: OwnedFd,
    /// The `/proc/self/cgroup` line (`:pids:/path\n`) of a process already inside, under v1.
    member_line: Option<Vec<u8>>,
}

/// The session's cgroup.
pub(super) struct SessionCgroup {
    pub dir: PathBuf,
    /// Under cgroup v1, the line `/proc/<pid>/cgroup` shows for a member, without its
    /// hierarchy number: `:pids:/path\n`. `None` under v2.
    pub v1_member_line: Option<Vec<u8>>,
}

impl ProcessLimit {
    /// The limit for this process's session, creating its cgroup on first use; `None` where
    /// cgroups cannot be created.
    pub(super) fn for_session() -> Option<Self> {
        let cgroup = session_cgroup().as_ref()?;
        let name = match cgroup.v1_member_line {
            Some(_) => "tasks",
            None => "cgroup.procs",
        };
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(cgroup.dir.join(name))
            .ok()?;
        Some(ProcessLimit {
            procs: OwnedFd::from(file),
            member_line: cgroup.v1_member_line.clone(),
        })
    }

    /// In the child: moves itself into the cgroup (`0` names the writer), unless it was forked
    /// inside. A refusal leaves the child uncapped, as the probe already reported.
    pub(super) fn join(&self) {
        if self.member_line.as_deref().is_some_and(already_inside) {
            return;
        }
        // SAFETY: writes two bytes from a static buffer to a descriptor owned by the hook.
        unsafe {
            libc::write(self.procs.as_raw_fd(), b"0\n".as_ptr().cast(), 2);
        }
    }
}

/// In the child: whether `/proc/self/cgroup` holds `line`. Only system calls and a stack
/// buffer (no allocation, as after `fork`); an unreadable or longer file reads as "not inside",
/// which costs the move and nothing else.
fn already_inside(line: &[u8]) -> bool {
    let mut buf = [0u8; 4096];
    // SAFETY: open/read/close of a constant path into a buffer we own, bounded by its length.
    let len = unsafe {
        let fd = libc::open(
            c"/proc/self/cgroup".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        );
        if fd < 0 {
            return false;
        }
        let mut len = 0usize;
        while len < buf.len() {
            let n = libc::read(fd, buf[len..].as_mut_ptr().cast(), buf.len() - len);
            if n <= 0 {
                break;
            }
            len += n as usize;
        }
        libc::close(fd);
        len
    };
    len < buf.len() && buf[..len].windows(line.len()).any(|w| w == line)
}

/// Whether the session's cgroup exists (for the probe's report).
pub(super) fn available() -> bool {
    session_cgroup().is_some()
}

/// The session's cgroup, created once per process.
pub(super) fn session_cgroup() -> &'static Option<SessionCgroup> {
    static DIR: OnceLock<Option<SessionCgroup>> = OnceLock::new();
    DIR.get_or_init(|| {
        let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        let parent = pids_dir(&cgroup)?;
        sweep_stale(&parent);
        let dir = parent.join(format!("reins-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        std::fs::write(dir.join("pids.max"), MAX_PROCESSES.to_string()).ok()?;
        let v1_member_line = dir
            .strip_prefix(V1_PIDS_ROOT)
            .ok()
            .map(|rel| format!(":pids:/{}\n", rel.display()).into_bytes());
        Some(SessionCgroup {
            dir,
            v1_member_line,
        })
    })
}

/// Where the v1 `pids` hierarchy is mounted.
const V1_PIDS_ROOT: &str = "/sys/fs/cgroup/pids";

/// The directory of this process's cgroup in a hierarchy with the `pids` controller.
fn pids_dir(proc_cgroup: &str) -> Option<PathBuf> {
    let v1 = proc_cgroup.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        controllers
            .split(',')
            .any(|c| c == "pids")
            .then(|| join_cgroup(Path::new(V1_PIDS_ROOT), path))
    });
    v1.filter(|d| d.is_dir()).or_else(|| v2_dir(proc_cgroup))
}

/// The cgroup v2 directory, with `pids` enabled for its children.
fn v2_dir(proc_cgroup: &str) -> Option<PathBuf> {
    let path = proc_cgroup.lines().find_map(|l| l.strip_prefix("0::"))?;
    let root = Path::new("/sys/fs/cgroup");
    let controllers = std::fs::read_to_string(root.join("cgroup.controllers")).ok()?;
    if !controllers.split_whitespace().any(|c| c == "pids") {
        return None;
    }
    let dir = join_cgroup(root, path);
    // Already enabled, or not ours to enable: either way writing `pids.max` below tells.
    let _ = std::fs::write(dir.join("cgroup.subtree_control"), "+pids");
    Some(dir)
}

/// `root` joined with the cgroup path `/a/b` from `/proc/self/cgroup`.
fn join_cgroup(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim().trim_start_matches('/'))
}

/// Removes the empty cgroups of reins processes that are gone (a cgroup can only be removed
/// empty, so one still holding processes stays).
fn sweep_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("reins-")) else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_is_inside_only_the_cgroup_its_file_names() {
        let text = std::fs::read_to_string("/proc/self/cgroup").unwrap();
        let Some(line) = text.lines().find(|l| l.contains(":pids:")) else {
            eprintln!("skipped: no cgroup v1 pids hierarchy here");
            return;
        };
        let member = format!("{}\n", &line[line.find(':').unwrap()..]);
        assert!(already_inside(member.as_bytes()));
        assert!(!already_inside(b":pids:/reins-0-not-a-session\n"));
    }

    #[test]
    fn finds_the_v1_pids_hierarchy_line() {
        let text = "9:name=systemd:/\n8:pids:/user.slice\n0::/\n";
        let dir = pids_dir(text);
        if Path::new("/sys/fs/cgroup/pids/user.slice").is_dir() {
            assert_eq!(dir, Some(PathBuf::from("/sys/fs/cgroup/pids/user.slice")));
        }
        assert_eq!(
            join_cgroup(Path::new("/sys/fs/cgroup/pids"), "/a/b"),
            PathBuf::from("/sys/fs/cgroup/pids/a/b")
        );
    }
}
