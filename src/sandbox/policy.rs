//! The sandbox policy: one value that answers "may this be written / read?" for the in-process
//! file tools and confines child processes to the same answer.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::WriteRefusal;
use super::layout::WriteLayout;
use super::paths::canonicalize_existing_prefix;
use super::secrets::ReadRules;
use super::{SandboxError, SandboxMode};

/// Workspace paths that stay read-only in `workspace-write`: the repository internals (a
/// written hook or `core.hooksPath` runs code outside the sandbox at the next `git commit`) and
/// the project config (it could grant the agent more rights at the next start).
const DEFAULT_PROTECTED: &[&str] = &[".git", ".reins/config.toml"];

/// The files reins keeps in `$REINS_HOME`, protected even before they exist.
const HOME_FILES: &[&str] = &[
    "config.toml",
    "trusted-workspaces",
    "memory.md",
    "AGENTS.md",
];

/// The folders reins keeps in `$REINS_HOME`.
const HOME_DIRS: &[&str] = &["sessions", "workflows", "commands", "agents", "skills"];

/// What the agent's tools and children may do.
#[derive(Debug, Clone)]
pub struct SandboxPolicy {
    pub mode: SandboxMode,
    /// Whether confined children may open internet (and loopback) sockets.
    pub network: bool,
    /// The workspace root, canonical.
    pub workspace: PathBuf,
    /// Paths that stay read-only even inside the workspace: `.git`, `.reins/config.toml` and the
    /// configured ones (relative ones are taken from the workspace root).
    pub protected: Vec<PathBuf>,
    /// The `read(PATTERN)` rules (see [`SandboxPolicy::set_read_rules`]), compiled once and
    /// shared by the clones of this policy that walks hand to their threads.
    pub(crate) read_rules: Arc<ReadRules>,
    /// Directories writable in `workspace-write` besides the workspace and the temp dirs (say a
    /// build cache); empty by default.
    pub extra_writable: Vec<PathBuf>,
}

impl SandboxPolicy {
    /// A policy for `workspace` (canonicalized here) with the default protected paths added to
    /// `protected`.
    pub fn new(
        mode: SandboxMode,
        network: bool,
        workspace: &Path,
        protected: Vec<PathBuf>,
    ) -> Self {
        let workspace = workspace
            .canonicalize()
            .unwrap_or_else(|_| workspace.to_path_buf());
        let defaults = DEFAULT_PROTECTED.iter().map(|p| workspace.join(p));
        let configured = protected.into_iter().map(|p| workspace.join(p));
        SandboxPolicy {
            mode,
            network,
            protected: defaults.chain(configured).collect(),
            workspace,
            read_rules: Arc::default(),
            extra_writable: Vec::new(),
        }
    }

    /// Keeps `$REINS_HOME` read-only wherever it lies (under /tmp in CI, say): it holds the user
    /// config (a `sandbox = "full"` written there would free the next session), the trusted
    /// workspaces, the user memory and the transcripts. When the workspace lies inside it, only
    /// the entries that do not hold the workspace (and the files reins reads from it) are
    /// protected, so the workspace stays writable.
    pub fn protect_reins_home(&mut self, home: &Path) {
        let home = canonicalize_existing_prefix(home).unwrap_or_else(|_| home.to_path_buf());
        if !self.workspace.starts_with(&home) {
            self.protected.push(home);
            return;
        }
        if home == self.workspace {
            materialize(&home);
        }
        let entries = std::fs::read_dir(&home).into_iter().flatten().flatten();
        let existing = entries.map(|e| e.path());
        let known = HOME_FILES
            .iter()
            .chain(HOME_DIRS)
            .map(|name| home.join(name));
        let mut paths: Vec<PathBuf> = existing
            .chain(known)
            .filter(|p| !self.workspace.starts_with(p))
            .collect();
        paths.sort();
        paths.dedup();
        self.protected.extend(paths);
    }

    /// In-process check for file tools: `Err` (with a message for the model) when the policy
    /// forbids writing `path`, which must already be resolved (see [`super::paths::resolve`]).
    pub fn check_write(&self, path: &Path) -> Result<(), SandboxError> {
        let denied = |reason: WriteRefusal| SandboxError::WriteDenied {
            path: path.display().to_string(),
            reason,
        };
        match self.mode {
            SandboxMode::Full => Ok(()),
            SandboxMode::ReadOnly => Err(denied(WriteRefusal::ReadOnly)),
            SandboxMode::WorkspaceWrite => {
                WriteLayout::of(self).check(path).map_err(denied)?;
                refuse_repository_internals(path, &self.workspace).map_err(denied)?;
                refuse_hard_links(path).map_err(denied)
            }
        }
    }

    /// In-process check for file tools: `Err` when `path` (resolved) looks like a secret
    /// ([`super::secrets::SECRET_PATTERNS`]) and no allow rule names it, or a deny rule names it.
    /// Applies in every mode: it keeps credentials out of the conversation sent to the model
    /// provider, which confinement does not.
    pub fn check_read(&self, path: &Path) -> Result<(), SandboxError> {
        self.read_rules.check(path, &self.workspace)
    }

    /// Sets the `read(PATTERN)` rules: `allow` exempts files from the secret deny list, `deny`
    /// refuses files to the file tools, walks included.
    pub fn set_read_rules(&mut self, allow: Vec<String>, deny: Vec<String>) {
        self.read_rules = Arc::new(ReadRules::new(allow, deny));
    }

    /// Prepares confinement for a child about to be spawned by installing a `pre_exec` hook on
    /// `cmd`. Fails closed: in a confined mode, `Err` if the kernel cannot enforce the policy
    /// (the message names the cause and the way out). Call it once per command; the command may
    /// be configured further (arguments, directory, environment) before or after.
    pub fn confine(&self, cmd: &mut tokio::process::Command) -> Result<(), SandboxError> {
        self.confine_std(cmd.as_std_mut())
    }

    /// What confinement lacks on this machine in a confined mode (no PID namespace, no process
    /// cap, no signal scoping), one sentence each, for a warning at session start; empty under
    /// `full`, where nothing is confined anyway.
    pub fn weaknesses(&self) -> &'static [String] {
        match self.mode {
            SandboxMode::Full => &[],
            _ => weaknesses(),
        }
    }

    /// [`SandboxPolicy::weaknesses`] if they are known without waiting for the probe; `None`
    /// while it runs.
    pub fn weaknesses_if_known(&self) -> Option<&'static [String]> {
        match self.mode {
            SandboxMode::Full => Some(&[]),
            _ => weaknesses_if_known(),
        }
    }

    /// Starts finding [`SandboxPolicy::weaknesses`] on a thread of its own, so that the probe
    /// (a throwaway child that tries the namespaces, and the session's cgroup) runs while the
    /// rest of the session is built rather than before it; whoever asks first waits for it.
    /// The same thread readies, before the probe and in every mode, what the first file tool
    /// needs (the read rules, compiled: a few hundred microseconds of regex building), and after
    /// it what the first command needs (the spawner thread, the private temp dirs), so that
    /// neither waits for them.
    pub fn probe_in_background(&self) {
        let confined = self.mode != SandboxMode::Full;
        let read_rules = Arc::clone(&self.read_rules);
        let _ = std::thread::Builder::new()
            .name("reins-probe".into())
            .spawn(move || {
                // First what the first step may need (a file tool, often a model's first call);
                // a command comes later, and nothing else waits for the probe.
                read_rules.compile();
                if confined {
                    weaknesses();
                    start_spawner();
                    let _ = super::private_tmp::dir();
                }
            });
    }

    /// Spawns a command [`SandboxPolicy::confine`]d, from the thread that starts it fastest
    /// (see `linux::spawner`); plain `spawn` under `full`, where commands are not capped.
    pub fn spawn(
        &self,
        mut cmd: tokio::process::Command,
    ) -> std::io::Result<tokio::process::Child> {
        match self.mode {
            SandboxMode::Full => cmd.spawn(),
            _ => spawn_command(cmd),
        }
    }

    /// [`SandboxPolicy::confine`] for a `std` command.
    pub fn confine_std(&self, cmd: &mut std::process::Command) -> Result<(), SandboxError> {
        if self.mode == SandboxMode::Full {
            return Ok(());
        }
        confine_child(self, cmd)
    }
}

/// Creates `$REINS_HOME`'s missing files (empty, which reads as absent) and folders when the home
/// is the workspace root itself: a protected path that does not exist cannot be pinned read-only
/// (there is nothing to mount over), and a command could then create `config.toml` with
/// `sandbox = "full"` for the next session.
///
/// A failure here is not reported: what reins (unconfined) cannot create, a confined command
/// running as the same user cannot create either.
fn materialize(home: &Path) {
    for name in HOME_FILES {
        let _ = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(home.join(name));
    }
    for name in HOME_DIRS {
        let _ = std::fs::create_dir_all(home.join(name));
    }
}

/// The file tools never write inside a repository's internals, at any depth: a `config` or a
/// hook written into `sub/.git/` would run, unconfined, on the user's next git command in `sub`.
/// Git itself refuses `.git` as a path component in any letter case; so do these tools.
fn refuse_repository_internals(path: &Path, workspace: &Path) -> Result<(), WriteRefusal> {
    let Ok(rel) = path.strip_prefix(workspace) else {
        return Ok(());
    };
    match rel
        .components()
        .any(|c| c.as_os_str().eq_ignore_ascii_case(".git"))
    {
        true => Err(WriteRefusal::RepositoryInternals),
        false => Ok(()),
    }
}

/// A file with several hard links may be the workspace name of a file outside it; writing in
/// place would change that file too, so it is refused.
fn refuse_hard_links(path: &Path) -> Result<(), WriteRefusal> {
    use std::os::unix::fs::MetadataExt;
    match path.symlink_metadata() {
        Ok(meta) if meta.is_file() && meta.nlink() > 1 => Err(WriteRefusal::HardLinks {
            links: meta.nlink(),
        }),
        _ => Ok(()),
    }
}

#[cfg(target_os = "linux")]
fn confine_child(
    policy: &SandboxPolicy,
    cmd: &mut std::process::Command,
) -> Result<(), SandboxError> {
    super::linux::confine(policy, cmd)
}

#[cfg(target_os = "linux")]
fn weaknesses() -> &'static [String] {
    super::linux::degraded()
}

#[cfg(target_os = "linux")]
fn weaknesses_if_known() -> Option<&'static [String]> {
    super::linux::degraded_if_known()
}

#[cfg(target_os = "linux")]
fn start_spawner() {
    super::linux::spawner::start()
}

#[cfg(target_os = "linux")]
fn spawn_command(cmd: tokio::process::Command) -> std::io::Result<tokio::process::Child> {
    super::linux::spawner::spawn(cmd)
}

#[cfg(not(target_os = "linux"))]
fn start_spawner() {}

#[cfg(not(target_os = "linux"))]
fn spawn_command(mut cmd: tokio::process::Command) -> std::io::Result<tokio::process::Child> {
    cmd.spawn()
}

#[cfg(not(target_os = "linux"))]
fn weaknesses() -> &'static [String] {
    &[]
}

#[cfg(not(target_os = "linux"))]
fn weaknesses_if_known() -> Option<&'static [String]> {
    Some(&[])
}

#[cfg(not(target_os = "linux"))]
fn confine_child(
    _policy: &SandboxPolicy,
    _cmd: &mut std::process::Command,
) -> Result<(), SandboxError> {
    Err(SandboxError::unavailable(
        "confining child processes is only implemented on Linux",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(mode: SandboxMode) -> (tempfile::TempDir, SandboxPolicy) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git/hooks")).unwrap();
        let p = SandboxPolicy::new(mode, false, dir.path(), vec!["secret/".into()]);
        (dir, p)
    }

    /// The first file tool of a session finds the read rules compiled, in every mode.
    #[test]
    fn the_background_probe_compiles_the_read_rules() {
        let (_d, mut p) = policy(SandboxMode::Full);
        p.set_read_rules(vec!["id_rsa.pub".into()], vec!["private/**".into()]);
        assert!(!p.read_rules.is_compiled());
        p.probe_in_background();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !p.read_rules.is_compiled() {
            assert!(std::time::Instant::now() < deadline, "never compiled");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(p.check_read(&p.workspace.join("private/a")).is_err());
        assert!(p.check_read(&p.workspace.join("id_rsa.pub")).is_ok());
    }

    #[test]
    fn workspace_write_allows_the_workspace_but_not_protected_paths() {
        let (_d, p) = policy(SandboxMode::WorkspaceWrite);
        let ws = &p.workspace;
        assert!(p.check_write(&ws.join("src/new.rs")).is_ok());
        assert!(p.check_write(&ws.join(".git/hooks/pre-commit")).is_err());
        assert!(p.check_write(&ws.join(".reins/config.toml")).is_err());
        assert!(p.check_write(&ws.join(".reins/notes.md")).is_ok());
        assert!(p.check_write(&ws.join("secret/x")).is_err());
        assert!(p.check_write(Path::new("/etc/passwd")).is_err());
    }

    #[test]
    fn read_only_refuses_and_full_allows_everything() {
        let (_d, ro) = policy(SandboxMode::ReadOnly);
        let err = ro.check_write(&ro.workspace.join("a")).unwrap_err();
        assert!(err.to_string().contains("read-only"), "{err}");
        let (_d, full) = policy(SandboxMode::Full);
        assert!(full
            .check_write(&full.workspace.join(".git/config"))
            .is_ok());
    }

    #[test]
    fn hard_linked_files_are_refused() {
        let (_d, p) = policy(SandboxMode::WorkspaceWrite);
        let a = p.workspace.join("a.txt");
        std::fs::write(&a, "x").unwrap();
        assert!(p.check_write(&a).is_ok());
        std::fs::hard_link(&a, p.workspace.join("b.txt")).unwrap();
        let err = p.check_write(&a).unwrap_err();
        assert!(err.to_string().contains("hard links"), "{err}");
    }
}
