//! Reading a workspace file for reins itself: the project config, instruction files (AGENTS.md,
//! CLAUDE.md), the project memory, workflows and slash commands. They come with the repository
//! (or were written by the agent's own commands), so they are read under the same policy as
//! `read_file`; otherwise a committed `AGENTS.md -> ../.env` would put a secret in the system
//! prompt that `read_file` refuses. This is the one place that does it:
//!
//! - the path is resolved (symlinks followed) and must stay inside the workspace; a link within
//!   the workspace (`CLAUDE.md -> AGENTS.md`) is fine;
//! - the secret patterns and `read(...)` deny rules ([`SandboxPolicy::check_read`]) apply to both
//!   the name and the resolved target;
//! - the resolved path is then opened beneath a handle of the workspace root with no symlink
//!   allowed anywhere ([`Beneath`], `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`), so a
//!   component swapped for a symlink after the check (by a background process the agent started)
//!   makes the open fail instead of leaving the workspace; kernels without `openat2` fail closed;
//! - the opened file must be a regular file (a FIFO would block; `O_NONBLOCK` keeps the open
//!   itself from hanging) with a single link (a hard link may be a file outside the workspace) and
//!   at most [`MAX_BYTES`].

use crate::sandbox::beneath::Beneath;
use crate::sandbox::{SandboxError, SandboxMode, SandboxPolicy};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// Larger files are refused: none of these files has a reason to be this big.
pub const MAX_BYTES: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceFileError {
    #[error("{0} does not exist")]
    NotFound(PathBuf),
    #[error("{path} is not read: it resolves to {target}, outside the workspace")]
    Outside { path: PathBuf, target: PathBuf },
    #[error("{path} is not read: {source}")]
    Refused {
        path: PathBuf,
        #[source]
        source: SandboxError,
    },
    #[error("{path} is not read: it has {links} hard links, and one may be a file outside the workspace; replace it with a copy")]
    HardLinked { path: PathBuf, links: u64 },
    #[error("{0} is not read: it is not a regular file")]
    NotRegular(PathBuf),
    #[error("{0} is not read: it is larger than {MAX_BYTES} bytes")]
    TooBig(PathBuf),
    #[error("{path} is not read: it changed while it was opened (a symlink appeared in its path)")]
    Raced { path: PathBuf },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl WorkspaceFileError {
    /// The file is simply absent (not worth a warning).
    pub fn is_not_found(&self) -> bool {
        matches!(self, WorkspaceFileError::NotFound(_))
    }
}

/// A policy that applies only the built-in secret patterns, for reading the project config
/// before the configuration (and so its deny rules) exists.
pub fn secrets_only(workspace: &Path) -> SandboxPolicy {
    SandboxPolicy::new(SandboxMode::ReadOnly, false, workspace, Vec::new())
}

/// Reads `rel` (relative to `policy.workspace`) as described in the module docs.
pub fn read(policy: &SandboxPolicy, rel: &Path) -> Result<String, WorkspaceFileError> {
    let root = &policy.workspace;
    let logical = root.join(rel);
    let plain = rel.components().all(|c| matches!(c, Component::Normal(_)));
    if !plain {
        return Err(WorkspaceFileError::Outside {
            path: logical.clone(),
            target: logical,
        });
    }
    let io = |source: std::io::Error| WorkspaceFileError::Io {
        path: logical.clone(),
        source,
    };
    match logical.symlink_metadata() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(WorkspaceFileError::NotFound(logical))
        }
        Err(e) => return Err(io(e)),
        Ok(_) => {}
    }
    let real = logical.canonicalize().map_err(io)?;
    let Ok(inside) = real.strip_prefix(root) else {
        return Err(WorkspaceFileError::Outside {
            path: logical,
            target: real,
        });
    };
    for form in [&logical, &real] {
        policy
            .check_read(form)
            .map_err(|source| WorkspaceFileError::Refused {
                path: logical.clone(),
                source,
            })?;
    }
    let opened = Beneath::open(root)
        .and_then(|b| b.open_regular(inside))
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) | Some(libc::EXDEV) | Some(libc::ENOTDIR) => {
                WorkspaceFileError::Raced {
                    path: logical.clone(),
                }
            }
            _ if e.kind() == std::io::ErrorKind::InvalidInput
                || e.kind() == std::io::ErrorKind::IsADirectory =>
            {
                WorkspaceFileError::NotRegular(logical.clone())
            }
            _ => io(e),
        })?;
    read_checked(opened, &logical)
}

/// Checks the opened file and reads it.
fn read_checked(
    (file, meta): (File, std::fs::Metadata),
    logical: &Path,
) -> Result<String, WorkspaceFileError> {
    let io = |source: std::io::Error| WorkspaceFileError::Io {
        path: logical.to_path_buf(),
        source,
    };
    if meta.nlink() > 1 {
        return Err(WorkspaceFileError::HardLinked {
            path: logical.to_path_buf(),
            links: meta.nlink(),
        });
    }
    if meta.len() > MAX_BYTES {
        return Err(WorkspaceFileError::TooBig(logical.to_path_buf()));
    }
    let mut text = String::new();
    file.take(MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    if text.len() as u64 > MAX_BYTES {
        return Err(WorkspaceFileError::TooBig(logical.to_path_buf()));
    }
    Ok(text)
}

/// The names of the files in workspace directory `rel_dir` ending in `.ext`, sorted; empty when
/// the directory is absent. Reading each goes through [`read`].
pub fn names(root: &Path, rel_dir: &Path, ext: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.join(rel_dir)) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            (path.extension()? == ext).then_some(())?;
            Some(path.file_stem()?.to_str()?.to_string())
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch workspace, or `None` (said on stderr) when the kernel lacks openat2.
    fn ws() -> Option<(tempfile::TempDir, SandboxPolicy)> {
        if !crate::sandbox::beneath::openat2_available() {
            eprintln!("SKIPPED: this kernel has no openat2; workspace files are then refused (fail closed)");
            return None;
        }
        let d = tempfile::tempdir().unwrap();
        let p = secrets_only(d.path());
        Some((d, p))
    }

    #[test]
    fn reads_plain_files_and_links_within_the_workspace() {
        let Some((d, p)) = ws() else { return };
        std::fs::write(d.path().join("AGENTS.md"), "rules").unwrap();
        std::os::unix::fs::symlink("AGENTS.md", d.path().join("CLAUDE.md")).unwrap();
        assert_eq!(read(&p, Path::new("CLAUDE.md")).unwrap(), "rules");
        assert!(read(&p, Path::new("nope.md")).unwrap_err().is_not_found());
    }

    #[test]
    fn refuses_links_out_secrets_and_hard_links() {
        let Some((d, p)) = ws() else { return };
        let out = tempfile::tempdir().unwrap();
        std::fs::write(out.path().join("x"), "outside").unwrap();
        std::fs::write(d.path().join(".env"), "KEY=1").unwrap();
        std::os::unix::fs::symlink(out.path().join("x"), d.path().join("a.md")).unwrap();
        std::os::unix::fs::symlink(".env", d.path().join("b.md")).unwrap();
        std::fs::hard_link(out.path().join("x"), d.path().join("c.md")).unwrap();
        let err = |n: &str| read(&p, Path::new(n)).unwrap_err();
        assert!(matches!(err("a.md"), WorkspaceFileError::Outside { .. }));
        assert!(matches!(err("b.md"), WorkspaceFileError::Refused { .. }));
        assert!(matches!(err("c.md"), WorkspaceFileError::HardLinked { .. }));
        assert!(matches!(err("../x"), WorkspaceFileError::Outside { .. }));
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let Some((d, p)) = ws() else { return };
        let fifo = CString::new(d.path().join("f.md").as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid path string.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read(&p, Path::new("f.md")).unwrap_err(),
            WorkspaceFileError::NotRegular(_)
        ));
    }
}
