//! Finding the workspace root and the per-user home.

pub mod planted;
pub mod repo;
pub mod worktree;

use std::path::{Path, PathBuf};

/// The workspace root: `-C DIR` when given, else the enclosing git repository's root, else the
/// current directory. Canonical, so path checks compare like with like. The second value is a
/// warning for the user when a repository was found but not used ([`repo::open`]).
pub fn discover(cd: Option<&Path>) -> std::io::Result<(PathBuf, Option<String>)> {
    if let Some(dir) = cd {
        let root = dir.canonicalize().map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("workspace directory {}: {e}", dir.display()),
            )
        })?;
        return Ok((root, None));
    }
    let cwd = std::env::current_dir()?.canonicalize()?;
    Ok(repo::root_for(&cwd))
}

/// `$REINS_HOME`, else `~/.reins`.
pub fn reins_home() -> Option<PathBuf> {
    if let Some(h) = std::env::var_os("REINS_HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(h));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".reins"))
}

/// A new session id: sortable by start time, unique enough for one user's sessions.
pub fn new_session_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (y, m, d) = crate::agent::prompt::civil_from_days((secs / 86_400) as i64);
    let t = secs % 86_400;
    let suffix: u32 = rand::random_range(0..0x10000);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}-{suffix:04x}",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}
