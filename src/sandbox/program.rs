//! Finding the program a configured command names (an MCP server, the shell of a hook) in a way
//! the sandboxed model cannot steer: an absolute path found on `PATH` at start, never a path
//! relative to some working directory, and never a file the sandbox could have written or
//! replaced. Such programs are started by reins itself, often with more rights than the
//! sandboxed commands, so a program the model could swap would be a way out.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::{SandboxMode, SandboxPolicy};

/// Why a command cannot be started.
#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    #[error("`{command}` is a relative path, which depends on the working directory; name the program by its absolute path, or by a bare name found on PATH")]
    Relative { command: String },
    #[error("`{command}` is not an executable file on PATH; install it, or name it by its absolute path")]
    NotFound { command: String },
    #[error("`{command}` resolves to {}, {reason}, so a sandboxed command could have replaced it; install it elsewhere, or name it by its absolute path in your own config if you trust that file", path.display())]
    Writable {
        command: String,
        path: PathBuf,
        reason: String,
    },
}

/// The absolute path `command` names. A bare name is looked up in `path_var` (absolute entries
/// only: a relative entry would be resolved against a working directory the model may control)
/// and must not resolve where the sandbox can write ([`sandbox_writable`]). An absolute command is
/// the user's explicit choice and taken as is; callers that restart it later should check it has
/// not changed ([`sandbox_writable`] says whether that can happen).
pub fn resolve(
    command: &str,
    path_var: Option<&OsStr>,
    policy: &SandboxPolicy,
) -> Result<PathBuf, ProgramError> {
    let path = Path::new(command);
    if path.is_absolute() {
        return match is_executable(path) {
            true => Ok(path.to_path_buf()),
            false => Err(ProgramError::NotFound {
                command: command.to_string(),
            }),
        };
    }
    if command.contains('/') || command.is_empty() {
        return Err(ProgramError::Relative {
            command: command.to_string(),
        });
    }
    let found = path_var
        .map(std::env::split_paths)
        .into_iter()
        .flatten()
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(command))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| ProgramError::NotFound {
            command: command.to_string(),
        })?;
    match sandbox_writable(&found, policy) {
        Some(reason) => Err(ProgramError::Writable {
            command: command.to_string(),
            path: found,
            reason,
        }),
        None => Ok(found),
    }
}

/// Why a sandboxed command could replace the file at `path` (absolute), or `None` if it cannot:
/// the file, or the file a symlink there points to, lies in the workspace or in a directory that
/// a `workspace-write` sandbox may write (replacing a file takes a writable directory). Judged
/// for `workspace-write` whatever the session's mode, since the file outlives the session.
pub fn sandbox_writable(path: &Path, policy: &SandboxPolicy) -> Option<String> {
    let writable = SandboxPolicy {
        mode: SandboxMode::WorkspaceWrite,
        ..policy.clone()
    };
    let mut forms = vec![with_canonical_parent(path)];
    if let Ok(target) = path.canonicalize() {
        forms.push(target);
    }
    forms.into_iter().find_map(|form| {
        if form.starts_with(&policy.workspace) {
            return Some("inside the workspace".to_string());
        }
        let dir = form.parent()?;
        writable
            .check_write(dir)
            .is_ok()
            .then(|| format!("in {}, which the sandbox can write", dir.display()))
    })
}

/// `path` with its directory resolved, the last component (perhaps a symlink) kept.
fn with_canonical_parent(path: &Path) -> PathBuf {
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => dir
            .canonicalize()
            .map(|d| d.join(name))
            .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// A regular file (after symlinks) with an execute bit.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn executable(path: &Path) {
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn policy(ws: &Path) -> SandboxPolicy {
        SandboxPolicy::new(SandboxMode::ReadOnly, false, ws, Vec::new())
    }

    #[test]
    fn a_bare_name_resolves_on_path_and_relative_entries_are_skipped() {
        let ws = tempfile::tempdir().unwrap();
        let path = std::env::join_paths(["relative/bin", "/usr/bin", "/bin"]).unwrap();
        let found = resolve("sh", Some(&path), &policy(ws.path())).unwrap();
        assert!(found.is_absolute() && found.ends_with("sh"), "{found:?}");
    }

    #[test]
    fn relative_commands_are_refused() {
        let ws = tempfile::tempdir().unwrap();
        for command in ["./server", "bin/server", ""] {
            let err = resolve(command, None, &policy(ws.path())).unwrap_err();
            assert!(matches!(err, ProgramError::Relative { .. }), "{err}");
        }
    }

    #[test]
    fn a_name_resolving_into_the_workspace_or_a_temp_dir_is_refused() {
        let ws = tempfile::tempdir().unwrap();
        let bin = ws.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        executable(&bin.join("srv"));
        let err = resolve("srv", Some(bin.as_os_str()), &policy(ws.path())).unwrap_err();
        assert!(err.to_string().contains("inside the workspace"), "{err}");

        // The session's private temp dir is the one temp dir children can write.
        let tmp = crate::sandbox::private_tmp::stand_in(Path::new("/tmp")).unwrap();
        let temp_bin = tempfile::tempdir_in(tmp).unwrap();
        executable(&temp_bin.path().join("srv"));
        let other_ws = tempfile::tempdir().unwrap();
        let err = resolve(
            "srv",
            Some(temp_bin.path().as_os_str()),
            &policy(other_ws.path()),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("which the sandbox can write"),
            "{err}"
        );
    }

    #[test]
    fn an_explicit_absolute_path_is_taken_as_is() {
        let ws = tempfile::tempdir().unwrap();
        let srv = ws.path().join("srv");
        executable(&srv);
        let p = policy(ws.path());
        assert_eq!(resolve(srv.to_str().unwrap(), None, &p).unwrap(), srv);
        assert!(sandbox_writable(&srv, &p).is_some());
        assert!(sandbox_writable(Path::new("/bin/sh"), &p).is_none());
    }
}
