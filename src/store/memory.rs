//! The memory files: `.reins/memory.md` (the project's, human-editable, meant to be committed) and
//! `$REINS_HOME/memory.md` (the user's, across projects). Both go into every session's prompt
//! prefix. Writes take an advisory lock and re-read the file under it, so concurrent sessions
//! never lose or duplicate a fact, and land by rename, so a reader never sees half a file.

use std::path::{Path, PathBuf};

pub const DEFAULT_CAP_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Project,
    User,
}

#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("cannot update memory file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the memory file {path} would exceed its {cap}-byte cap; consolidate it first (merge duplicates, drop stale facts — `reins memory compact`, or edit it), then remember again")]
    Full { path: PathBuf, cap: usize },
    #[error("the fact is empty")]
    Empty,
}

/// What `remember` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Remembered {
    Added,
    AlreadyKnown,
}

pub fn project_path(workspace: &Path) -> PathBuf {
    workspace.join(".reins").join("memory.md")
}

pub fn user_path(reins_home: &Path) -> PathBuf {
    reins_home.join("memory.md")
}

/// The memory section of the prompt prefix: the user's file, then the project's; empty if
/// neither. The project's comes with the repository, so it is read under `policy` like
/// `read_file` reads ([`crate::workspace_file::read`]); why it was refused is in the warnings.
pub fn prompt_section(
    policy: &crate::sandbox::SandboxPolicy,
    reins_home: Option<&Path>,
) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut add = |title: &str, path: PathBuf, text: String| {
        if !text.trim().is_empty() {
            out.push_str(&format!(
                "## {title} ({})\n{}\n\n",
                path.display(),
                text.trim()
            ));
        }
    };
    if let Some(home) = reins_home {
        let path = user_path(home);
        if let Ok(text) = std::fs::read_to_string(&path) {
            add("User memory", path, text);
        }
    }
    let mut warnings = Vec::new();
    let rel = Path::new(".reins").join("memory.md");
    match crate::workspace_file::read(policy, &rel) {
        Ok(text) => add("Project memory", project_path(&policy.workspace), text),
        Err(e) if e.is_not_found() => {}
        Err(e) => warnings.push(format!(
            "{e}; the project memory was left out of the prompt"
        )),
    }
    (out, warnings)
}

/// Adds `fact` as a bullet to the memory file at `path`, unless it is already there.
pub fn remember(path: &Path, fact: &str, cap: usize) -> Result<Remembered, MemoryError> {
    let fact = fact.split_whitespace().collect::<Vec<_>>().join(" ");
    if fact.is_empty() {
        return Err(MemoryError::Empty);
    }
    let io = |source| MemoryError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .ok_or_else(|| io(std::io::Error::other("no parent directory")))?;
    std::fs::create_dir_all(dir).map_err(io)?;
    locked(path, || add_locked(path, &fact, cap))
}

/// Runs `f` holding the advisory lock of the memory file at `path`, so writers in concurrent
/// sessions take turns and each re-reads what the one before wrote.
fn locked<T>(path: &Path, f: impl FnOnce() -> Result<T, MemoryError>) -> Result<T, MemoryError> {
    let io = |source| MemoryError::Io {
        path: path.to_path_buf(),
        source,
    };
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(path))
        .map_err(io)?;
    lock.lock().map_err(io)?;
    let result = f();
    let _ = lock.unlock();
    result
}

fn add_locked(path: &Path, fact: &str, cap: usize) -> Result<Remembered, MemoryError> {
    let io = |source| MemoryError::Io {
        path: path.to_path_buf(),
        source,
    };
    let current = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(e)),
    };
    let known = current
        .lines()
        .any(|l| l.trim_start_matches(['-', '*', ' ']).trim() == fact);
    if known {
        return Ok(Remembered::AlreadyKnown);
    }
    let mut next = if current.trim().is_empty() {
        "# Memory\n\n".to_string()
    } else {
        current.clone()
    };
    if !next.ends_with('\n') {
        next.push('\n');
    }
    next.push_str(&format!("- {fact}\n"));
    if next.len() > cap {
        return Err(MemoryError::Full {
            path: path.to_path_buf(),
            cap,
        });
    }
    crate::fsutil::write_atomic(path, next.as_bytes()).map_err(io)?;
    Ok(Remembered::Added)
}

/// Replaces the file with `new`, but only if it still holds `expected` (what was compacted): a
/// fact remembered meanwhile must not be lost.
pub fn replace(path: &Path, expected: &str, new: &str) -> Result<(), MemoryError> {
    locked(path, || {
        let current = std::fs::read_to_string(path).unwrap_or_default();
        let changed = std::io::Error::other(
            "the file changed while it was being compacted; run the command again",
        );
        let source = if current == expected {
            match crate::fsutil::write_atomic(path, new.as_bytes()) {
                Ok(()) => return Ok(()),
                Err(e) => e,
            }
        } else {
            changed
        };
        Err(MemoryError::Io {
            path: path.to_path_buf(),
            source,
        })
    })
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".lock");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_once_and_refuses_over_cap() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".reins/memory.md");
        assert_eq!(
            remember(&p, "build with  cargo build", 1000).unwrap(),
            Remembered::Added
        );
        assert_eq!(
            remember(&p, "build with cargo build", 1000).unwrap(),
            Remembered::AlreadyKnown
        );
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text, "# Memory\n\n- build with cargo build\n");
        let err = remember(&p, &"x".repeat(2000), 1000).unwrap_err();
        assert!(err.to_string().contains("consolidate"), "{err}");
    }

    #[test]
    fn prompt_section_names_both_files() {
        let ws = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        remember(&project_path(ws.path()), "tests: cargo test", 1000).unwrap();
        remember(&user_path(home.path()), "prefer short answers", 1000).unwrap();
        let policy = crate::workspace_file::secrets_only(ws.path());
        let (s, _) = prompt_section(&policy, Some(home.path()));
        let user = s.find("prefer short answers").unwrap();
        let project = s.find("tests: cargo test").unwrap();
        assert!(user < project, "{s}");
    }
}
