//! Path confinement for the file tools. A path from the model is untrusted: it is resolved against
//! the workspace root, `..` is folded, and symlinks are followed (through the deepest existing
//! ancestor) before the check, so neither `../x` nor a link pointing outside can escape the root.

use std::path::{Component, Path, PathBuf};

/// Why a path was refused; the message is written for the model to act on.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("path `{0}` is outside the workspace; use a path relative to the workspace root")]
    Outside(String),
    #[error("path is empty")]
    Empty,
    #[error("cannot resolve `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Resolves `user_path` (relative to `root`, or absolute inside it) to a real path inside `root`.
/// `root` must already be canonical. The returned path need not exist (for writes).
pub fn resolve(root: &Path, user_path: &str) -> Result<PathBuf, PathError> {
    if user_path.trim().is_empty() {
        return Err(PathError::Empty);
    }
    let joined = root.join(user_path);
    let lexical = fold_dots(&joined).ok_or_else(|| PathError::Outside(user_path.to_string()))?;
    let real = canonicalize_existing_prefix(&lexical).map_err(|source| PathError::Io {
        path: user_path.to_string(),
        source,
    })?;
    if real.starts_with(root) {
        Ok(real)
    } else {
        Err(PathError::Outside(user_path.to_string()))
    }
}

/// The workspace-relative form of a resolved path, for messages and diffs.
pub fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Folds `.` and `..` without touching the filesystem; `None` if `..` climbs above `/`.
fn fold_dots(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

/// Canonicalizes the longest existing ancestor (resolving symlinks) and re-appends the rest.
fn canonicalize_existing_prefix(path: &Path) -> std::io::Result<PathBuf> {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(real) => {
                let mut out = real;
                for part in rest.iter().rev() {
                    out.push(part);
                }
                return Ok(out);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let Some(name) = existing.file_name().map(|n| n.to_os_string()) else {
                    return Err(e);
                };
                rest.push(name);
                if !existing.pop() {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
}
