//! How a stdio server is started, so that the model cannot turn it into a way out of the
//! sandbox: its program resolved to an absolute path the sandbox cannot have replaced, a working
//! directory outside the workspace (nothing the model writes there is picked up by `python -m`
//! or `npx`), `PYTHONSAFEPATH=1`, the shell's scrubbed environment, and the session's sandbox,
//! loosened only by the server's own `sandbox`, `network` and `writable` settings. A file the
//! server starts from that the sandbox could change is pinned: a restart refuses it if it changed.

use super::config::{EndpointError, McpServerConfig, UnsetVariable};
use crate::sandbox::program::{self, sandbox_writable, ProgramError};
use crate::sandbox::{SandboxError, SandboxPolicy};
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Why a server is not started; each names the file, directory or setting at fault.
#[derive(Debug, thiserror::Error)]
pub(super) enum StartError {
    #[error(
        "{} changed since the server first started, and it lies where a sandboxed command can \
         write, so reins does not start it again; restart reins if the change was yours",
        path.display()
    )]
    Changed { path: PathBuf },
    #[error("`{key}` entry \"{entry}\" must be an absolute path or start with ~/")]
    NotAbsolute { key: &'static str, entry: String },
    #[error("`cwd` {} is not a directory", dir.display())]
    CwdNotDirectory { dir: PathBuf },
    #[error(
        "its private working directory {} is not empty any more, so something else wrote to \
         it; restart reins",
        dir.display()
    )]
    CwdNotEmpty { dir: PathBuf },
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error(transparent)]
    Env(#[from] UnsetVariable),
    #[error(transparent)]
    Program(#[from] ProgramError),
    /// The kernel cannot confine the server and running it unconfined is not allowed.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
}

/// What every stdio server of a session starts from.
#[derive(Debug)]
pub struct Launch {
    /// The session's sandbox policy, the base of every server's.
    pub policy: SandboxPolicy,
    /// The environment before a server's own `env`: the shell's, credentials removed.
    pub env: Vec<(OsString, OsString)>,
    /// Start a server unconfined (with a warning) when the kernel cannot confine it.
    pub allow_unsandboxed: bool,
    /// The default working directory: empty, private, outside the workspace; removed with the
    /// launch.
    cwd: tempfile::TempDir,
}

impl Launch {
    /// A launch whose private working directory is made under `$REINS_HOME/run` (the sandbox
    /// cannot write there), or the temp dir when there is no home.
    pub fn new(
        policy: SandboxPolicy,
        env: Vec<(OsString, OsString)>,
        allow_unsandboxed: bool,
        home: Option<&Path>,
    ) -> std::io::Result<Launch> {
        let base = match home {
            Some(home) => {
                let run = home.join("run");
                std::fs::create_dir_all(&run)?;
                run
            }
            None => std::env::temp_dir(),
        };
        let cwd = tempfile::Builder::new().prefix("mcp-").tempdir_in(base)?;
        Ok(Launch {
            policy,
            env,
            allow_unsandboxed,
            cwd,
        })
    }
}

/// A file a server was started from that the sandbox could replace, as it was then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pin {
    path: PathBuf,
    stamp: Option<Stamp>,
}

/// What changes when a file is rewritten, replaced or relinked (ctime cannot be set back).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    link: (u64, u64, i64, i64),
    target: Option<(u64, u64, u64, i64, i64)>,
}

impl Pin {
    fn of(path: &Path) -> Pin {
        let stamp = std::fs::symlink_metadata(path).ok().map(|link| Stamp {
            link: (link.dev(), link.ino(), link.ctime(), link.ctime_nsec()),
            target: std::fs::metadata(path)
                .ok()
                .map(|m| (m.dev(), m.ino(), m.size(), m.ctime(), m.ctime_nsec())),
        });
        Pin {
            path: path.to_path_buf(),
            stamp,
        }
    }

    /// `Err` naming the file when it is not as it was.
    pub(super) fn recheck(&self) -> Result<(), StartError> {
        if Pin::of(&self.path) == *self {
            return Ok(());
        }
        Err(StartError::Changed {
            path: self.path.clone(),
        })
    }
}

/// A stdio server's command, checked and confined, ready to spawn.
pub(super) struct Prepared {
    pub cmd: tokio::process::Command,
    /// The program, for messages.
    pub program: PathBuf,
    /// Files the sandbox could change; a restart re-checks them.
    pub pins: Vec<Pin>,
    /// Set when the server runs unconfined because the kernel cannot confine it.
    pub unsandboxed: Option<String>,
}

/// The command starting `command args` for `config`, with `env` on top of the launch's.
pub(super) fn prepare(
    config: &McpServerConfig,
    command: &str,
    args: &[String],
    env: Vec<(String, String)>,
    launch: &Launch,
) -> Result<Prepared, StartError> {
    let policy = server_policy(config, &launch.policy)?;
    let path_var = env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| OsString::from(v))
        .or_else(|| {
            launch
                .env
                .iter()
                .find(|(k, _)| k == "PATH")
                .map(|(_, v)| v.clone())
        });
    let program = program::resolve(command, path_var.as_deref(), &launch.policy)?;
    let cwd = working_dir(config, launch)?;
    let pins = pins(&program, args, &cwd, &launch.policy);
    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(args)
        .current_dir(&cwd)
        .env_clear()
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        // `python -m` and `python script` would otherwise put the working directory or the
        // script's directory first on the import path.
        .env("PYTHONSAFEPATH", "1")
        .envs(env)
        // Its own process group: a Ctrl-C in the terminal interrupts the turn, not the server.
        .process_group(0);
    let unsandboxed = match policy.confine(&mut cmd) {
        Ok(()) => None,
        Err(e) if launch.allow_unsandboxed => Some(e.to_string()),
        Err(e) => return Err(e.into()),
    };
    Ok(Prepared {
        cmd,
        program,
        pins,
        unsandboxed,
    })
}

/// The session's policy with the server's own `sandbox`, `network` and `writable` on top.
fn server_policy(
    config: &McpServerConfig,
    session: &SandboxPolicy,
) -> Result<SandboxPolicy, StartError> {
    let mut policy = session.clone();
    if let Some(mode) = config.sandbox {
        policy.mode = mode;
    }
    if let Some(network) = config.network {
        policy.network = network;
    }
    for dir in &config.writable {
        policy.extra_writable.push(absolute(dir, "writable")?);
    }
    Ok(policy)
}

/// `~/x` under `$HOME`, or an absolute path; anything else is a config error.
fn absolute(dir: &str, key: &'static str) -> Result<PathBuf, StartError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let path = match (dir.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(dir),
    };
    match path.is_absolute() {
        true => Ok(path),
        false => Err(StartError::NotAbsolute {
            key,
            entry: dir.to_string(),
        }),
    }
}

/// The configured `cwd` (relative to the workspace root), else the private directory, which must
/// still be empty: a file there was put by someone else, and could be picked up.
fn working_dir(config: &McpServerConfig, launch: &Launch) -> Result<PathBuf, StartError> {
    if let Some(dir) = &config.cwd {
        let dir = launch.policy.workspace.join(dir);
        return match dir.is_dir() {
            true => Ok(dir),
            false => Err(StartError::CwdNotDirectory { dir }),
        };
    }
    let dir = launch.cwd.path();
    match std::fs::read_dir(dir).map(|mut entries| entries.next().is_none()) {
        Ok(true) => Ok(dir.to_path_buf()),
        _ => Err(StartError::CwdNotEmpty {
            dir: dir.to_path_buf(),
        }),
    }
}

/// The program and every argument naming an existing file, where the sandbox could change them.
fn pins(program: &Path, args: &[String], cwd: &Path, policy: &SandboxPolicy) -> Vec<Pin> {
    std::iter::once(program.to_path_buf())
        .chain(args.iter().map(|a| cwd.join(a)).filter(|p| p.is_file()))
        .filter(|p| sandbox_writable(p, policy).is_some())
        .map(|p| Pin::of(&p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::SandboxMode;

    #[test]
    fn a_pin_notices_a_replaced_or_rewritten_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("srv");
        std::fs::write(&file, "one").unwrap();
        let pin = Pin::of(&file);
        assert!(pin.recheck().is_ok());
        std::fs::write(dir.path().join("new"), "two").unwrap();
        std::fs::rename(dir.path().join("new"), &file).unwrap();
        let err = pin.recheck().unwrap_err().to_string();
        assert!(
            err.contains("changed since the server first started"),
            "{err}"
        );
    }

    #[test]
    fn server_settings_loosen_the_session_policy() {
        let ws = tempfile::tempdir().unwrap();
        let session = SandboxPolicy::new(SandboxMode::WorkspaceWrite, false, ws.path(), vec![]);
        let config = McpServerConfig {
            sandbox: Some(SandboxMode::Full),
            network: Some(true),
            writable: vec!["/var/cache/srv".into()],
            ..Default::default()
        };
        let p = server_policy(&config, &session).unwrap();
        assert_eq!(p.mode, SandboxMode::Full);
        assert!(p.network);
        assert_eq!(p.extra_writable, [PathBuf::from("/var/cache/srv")]);
        let bad = McpServerConfig {
            writable: vec!["cache".into()],
            ..Default::default()
        };
        assert!(server_policy(&bad, &session)
            .unwrap_err()
            .to_string()
            .contains("absolute"));
    }
}
