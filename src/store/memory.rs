//! The memory files: `.reins/memory.md` (the project's, human-editable, meant to be committed) and
//! `$REINS_HOME/memory.md` (the user's, across projects). Both go into every session's prompt
//! prefix. Writes take an advisory lock and re-read the file under it, so concurrent sessions
//! never lose or duplicate a fact, and land by rename, so a reader never sees half a file.
//!
//! Every write (the file, the temp file) and the lock (held on the file's directory, so no lock
//! file is left in the repository) go through a directory handle ([`Beneath`]) of the workspace
//! or of `$REINS_HOME`, with no symlink allowed on the way: a `.reins` (or `memory.md`) that is
//! a link to elsewhere is refused, not written through.

use crate::sandbox::beneath::Beneath;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The project memory, relative to the workspace root.
pub const PROJECT_FILE: &str = ".reins/memory.md";
/// The user memory, relative to `$REINS_HOME`.
pub const USER_FILE: &str = "memory.md";

pub const DEFAULT_CAP_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
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
    workspace.join(PROJECT_FILE)
}

pub fn user_path(reins_home: &Path) -> PathBuf {
    reins_home.join(USER_FILE)
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
    match crate::workspace_file::read(policy, Path::new(PROJECT_FILE)) {
        Ok(text) => add("Project memory", project_path(&policy.workspace), text),
        Err(e) if e.is_not_found() => {}
        Err(e) => warnings.push(format!(
            "{e}; the project memory was left out of the prompt"
        )),
    }
    (out, warnings)
}

/// Adds `fact` as a bullet to the memory file `rel` beneath `dir`, unless it is already there.
pub fn remember(
    dir: &Beneath,
    rel: &Path,
    fact: &str,
    cap: usize,
) -> Result<Remembered, MemoryError> {
    let fact = fact.split_whitespace().collect::<Vec<_>>().join(" ");
    if fact.is_empty() {
        return Err(MemoryError::Empty);
    }
    if let Some(parent) = rel.parent() {
        dir.create_dir_all(parent).map_err(io(dir, rel))?;
    }
    locked(dir, rel, || add_locked(dir, rel, &fact, cap))
}

/// Wraps an I/O error on the memory file `rel` beneath `dir`.
fn io<'a>(dir: &'a Beneath, rel: &'a Path) -> impl FnOnce(std::io::Error) -> MemoryError + 'a {
    move |source| MemoryError::Io {
        path: dir.path().join(rel),
        source,
    }
}

/// Runs `f` holding the advisory lock of the memory file `rel`, so writers in concurrent
/// sessions take turns and each re-reads what the one before wrote. The lock is taken on the
/// directory holding the file, not on a lock file: a `memory.md.lock` would sit in the
/// repository (and in `git status`) forever, and the file itself cannot carry the lock because
/// each write replaces it by rename.
fn locked<T>(
    dir: &Beneath,
    rel: &Path,
    f: impl FnOnce() -> Result<T, MemoryError>,
) -> Result<T, MemoryError> {
    let parent = rel.parent().unwrap_or(Path::new(""));
    let lock = dir.open_dir(parent).map_err(io(dir, rel))?;
    lock.lock().map_err(io(dir, rel))?;
    remove_legacy_lock(dir, rel);
    let result = f();
    // Closing the directory (dropping `lock`) releases the lock too; this only does it sooner.
    let _ = lock.unlock();
    result
}

/// Versions before the directory lock left an empty `memory.md.lock` beside the file, where
/// `git status` shows it; it is reins' own, so it goes.
fn remove_legacy_lock(dir: &Beneath, rel: &Path) {
    let mut name = rel
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".lock");
    let legacy = rel.with_file_name(name);
    if let Ok(Some(meta)) = dir.metadata(&legacy) {
        if meta.is_file() && meta.len() == 0 {
            let _ = dir.remove_file(&legacy);
        }
    }
}

/// The file's text, empty when it does not exist yet.
fn read(dir: &Beneath, rel: &Path) -> Result<String, MemoryError> {
    let mut file = match dir.open_regular(rel) {
        Ok((file, _)) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(String::new()),
        Err(e) => return Err(io(dir, rel)(e)),
    };
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(io(dir, rel))?;
    Ok(text)
}

fn add_locked(
    dir: &Beneath,
    rel: &Path,
    fact: &str,
    cap: usize,
) -> Result<Remembered, MemoryError> {
    let current = read(dir, rel)?;
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
            path: dir.path().join(rel),
            cap,
        });
    }
    dir.write_atomic(rel, next.as_bytes(), None)
        .map_err(io(dir, rel))?;
    Ok(Remembered::Added)
}

/// Replaces the file `rel` beneath `dir` with `new`, but only if it still holds `expected` (what
/// was compacted): a fact remembered meanwhile must not be lost.
pub fn replace(dir: &Beneath, rel: &Path, expected: &str, new: &str) -> Result<(), MemoryError> {
    locked(dir, rel, || {
        if read(dir, rel)? != expected {
            return Err(io(dir, rel)(std::io::Error::other(
                "the file changed while it was being compacted; run the command again",
            )));
        }
        dir.write_atomic(rel, new.as_bytes(), None)
            .map_err(io(dir, rel))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(root: &Path, rel: &str, fact: &str, cap: usize) -> Result<Remembered, MemoryError> {
        remember(&Beneath::open(root).unwrap(), Path::new(rel), fact, cap)
    }

    #[test]
    fn adds_once_and_refuses_over_cap() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(PROJECT_FILE);
        assert_eq!(
            add(d.path(), PROJECT_FILE, "build with  cargo build", 1000).unwrap(),
            Remembered::Added
        );
        assert_eq!(
            add(d.path(), PROJECT_FILE, "build with cargo build", 1000).unwrap(),
            Remembered::AlreadyKnown
        );
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text, "# Memory\n\n- build with cargo build\n");
        let err = add(d.path(), PROJECT_FILE, &"x".repeat(2000), 1000).unwrap_err();
        assert!(err.to_string().contains("consolidate"), "{err}");
    }

    #[test]
    fn a_reins_dir_linked_outside_is_not_written_through() {
        let ws = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), ws.path().join(".reins")).unwrap();
        let err = add(ws.path(), PROJECT_FILE, "planted", 1000).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        // The memory file alone, linked outside, is refused too.
        std::fs::remove_file(ws.path().join(".reins")).unwrap();
        std::fs::create_dir(ws.path().join(".reins")).unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "theirs").unwrap();
        std::os::unix::fs::symlink(&victim, ws.path().join(".reins/memory.md")).unwrap();
        assert!(add(ws.path(), PROJECT_FILE, "planted", 1000).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "theirs");
    }

    #[test]
    fn prompt_section_names_both_files() {
        let ws = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        add(ws.path(), PROJECT_FILE, "tests: cargo test", 1000).unwrap();
        add(home.path(), USER_FILE, "prefer short answers", 1000).unwrap();
        let policy = crate::workspace_file::secrets_only(ws.path());
        let (s, _) = prompt_section(&policy, Some(home.path()));
        let user = s.find("prefer short answers").unwrap();
        let project = s.find("tests: cargo test").unwrap();
        assert!(user < project, "{s}");
    }
}
