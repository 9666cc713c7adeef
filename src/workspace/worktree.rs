//! Git worktrees for parallel sessions (`--worktree NAME`): each is a checkout of its own branch
//! `reins/NAME`, created from HEAD, so two sessions on one repository never edit the same files.
//!
//! They live in the repository's git directory, `.git/reins-worktrees/NAME`: out of every
//! session's view (git status, the file tools and the repo map skip `.git`) and inside the path
//! the sandbox keeps read-only for the main checkout's sessions, so a session in one checkout
//! cannot write into another's. A session in a worktree has the worktree as its workspace (its
//! writable root); its `.git` is a file naming the shared git directory, read-only to it as the
//! `.git` of any workspace is.
//!
//! Everything is done through libgit2, which runs no hooks (`git worktree add` would run the
//! repository's `post-checkout`) and no filter programs.

use git2::{
    BranchType, Repository, Status, StatusOptions, WorktreeAddOptions, WorktreePruneOptions,
};
use std::path::{Path, PathBuf};

/// The folder of the git directory that holds the worktrees.
pub const DIR: &str = "reins-worktrees";
/// The prefix of each worktree's branch.
pub const BRANCH_PREFIX: &str = "reins/";

#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    #[error("`{0}` is not a worktree name: use letters, digits, `.`, `_` and `-` (at most 64, starting with a letter or digit)")]
    BadName(String),
    #[error("{} is not inside a git repository; --worktree needs one", .0.display())]
    NoRepository(PathBuf),
    #[error("the repository has no commit yet, so there is nothing to branch from: commit first")]
    NoHead,
    #[error("no worktree `{0}` (see `reins worktrees`)")]
    Unknown(String),
    #[error("a git worktree named `{name}` already exists at {}, outside {DIR}; pick another name", .path.display())]
    Foreign { name: String, path: PathBuf },
    #[error("{} exists but is not the worktree `{name}`; move it away or pick another name", .path.display())]
    Occupied { name: String, path: PathBuf },
    #[error("worktree `{name}` has {changes} uncommitted change(s) ({sample}); commit or discard them, or remove it with --force")]
    Dirty {
        name: String,
        changes: usize,
        sample: String,
    },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One worktree made by `--worktree`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    pub name: String,
    pub path: PathBuf,
    /// The branch checked out there (`reins/NAME` unless the user switched it).
    pub branch: Option<String>,
    pub state: State,
}

/// Whether a worktree holds work not committed to its branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Clean,
    /// Changed, staged or untracked (not ignored) files, with a few of their paths.
    Changed {
        count: usize,
        sample: Vec<String>,
    },
    /// Its folder is gone (removed by hand); `remove` forgets it.
    Missing,
}

/// Checks a worktree name: it becomes a folder, a branch name and a git worktree name.
pub fn check_name(name: &str) -> Result<(), WorktreeError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !name.contains("..")
        && !name.ends_with(".lock")
        && !name.ends_with('.');
    match ok {
        true => Ok(()),
        false => Err(WorktreeError::BadName(name.to_string())),
    }
}

/// The main repository of `dir`: the one whose git directory holds every linked worktree, also
/// when `dir` is itself a worktree.
fn main_repo(dir: &Path) -> Result<Repository, WorktreeError> {
    let found = Repository::discover(dir).map_err(|_| WorktreeError::NoRepository(dir.into()))?;
    if found.is_worktree() {
        return Ok(Repository::open(found.commondir())?);
    }
    Ok(found)
}

/// Where the worktrees of `repo` live.
fn home_of(repo: &Repository) -> PathBuf {
    repo.commondir().join(DIR)
}

/// The worktree `name` of the repository holding `dir`: made on a new branch `reins/NAME` from
/// HEAD the first time (on that branch as it is when only the branch exists), reused after.
pub fn open_or_create(dir: &Path, name: &str) -> Result<Worktree, WorktreeError> {
    check_name(name)?;
    let repo = main_repo(dir)?;
    let home = home_of(&repo);
    let _lock = lock_home(&home)?;
    make_or_reuse(&repo, &home, name)
}

/// Holds `home/.lock` exclusive until dropped. Sessions started at the same moment (two
/// `--worktree` runs in one repository) would otherwise race inside libgit2, which fails the
/// loser with "directory exists" or takes a half-made worktree's branch for checked out.
/// Names start with a letter or digit, so `.lock` is never a worktree.
fn lock_home(home: &Path) -> Result<std::fs::File, WorktreeError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WorktreeError::Io { path, source }
    };
    std::fs::create_dir_all(home).map_err(io(home))?;
    let path = home.join(".lock");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io(&path))?;
    file.lock().map_err(io(&path))?;
    Ok(file)
}

fn make_or_reuse(repo: &Repository, home: &Path, name: &str) -> Result<Worktree, WorktreeError> {
    let path = home.join(name);
    if let Ok(existing) = repo.find_worktree(name) {
        if existing.path() != path {
            return Err(WorktreeError::Foreign {
                name: name.into(),
                path: existing.path().to_path_buf(),
            });
        }
        if path.is_dir() {
            return describe(name, &path);
        }
        // Registered, but its folder was removed by hand: forget it and make it again.
        existing.prune(Some(WorktreePruneOptions::new().valid(true)))?;
    }
    if path.symlink_metadata().is_ok() {
        return Err(WorktreeError::Occupied {
            name: name.into(),
            path,
        });
    }
    let branch_name = format!("{BRANCH_PREFIX}{name}");
    let branch = match repo.find_branch(&branch_name, BranchType::Local) {
        Ok(b) => b,
        Err(_) => {
            let head = repo
                .head()
                .and_then(|h| h.peel_to_commit())
                .map_err(|_| WorktreeError::NoHead)?;
            repo.branch(&branch_name, &head, false)?
        }
    };
    let reference = branch.into_reference();
    let mut opts = WorktreeAddOptions::new();
    opts.reference(Some(&reference));
    repo.worktree(name, &path, Some(&opts))?;
    describe(name, &path)
}

/// The worktrees `--worktree` made in the repository holding `dir`, by name.
pub fn list(dir: &Path) -> Result<Vec<Worktree>, WorktreeError> {
    let repo = main_repo(dir)?;
    let home = home_of(&repo);
    let mut out = Vec::new();
    for name in repo.worktrees()?.iter().flatten().flatten() {
        let Ok(wt) = repo.find_worktree(name) else {
            continue;
        };
        if wt.path().parent() != Some(home.as_path()) {
            continue;
        }
        out.push(describe(name, wt.path())?);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Removes the worktree `name` (its folder and git's record of it); refuses one with
/// uncommitted work unless `force`. Its branch stays: it holds whatever was committed there.
pub fn remove(dir: &Path, name: &str, force: bool) -> Result<Worktree, WorktreeError> {
    check_name(name)?;
    let repo = main_repo(dir)?;
    let found = list(dir)?
        .into_iter()
        .find(|w| w.name == name)
        .ok_or_else(|| WorktreeError::Unknown(name.into()))?;
    if let State::Changed { count, sample } = &found.state {
        if !force {
            return Err(WorktreeError::Dirty {
                name: name.into(),
                changes: *count,
                sample: sample.join(", "),
            });
        }
    }
    if found.state != State::Missing {
        std::fs::remove_dir_all(&found.path).map_err(|source| WorktreeError::Io {
            path: found.path.clone(),
            source,
        })?;
    }
    repo.find_worktree(name)?
        .prune(Some(WorktreePruneOptions::new().valid(true)))?;
    Ok(found)
}

/// The worktree at `path` as it is now.
fn describe(name: &str, path: &Path) -> Result<Worktree, WorktreeError> {
    let mut out = Worktree {
        name: name.into(),
        path: path.to_path_buf(),
        branch: None,
        state: State::Missing,
    };
    if !path.is_dir() {
        return Ok(out);
    }
    let repo = Repository::open(path)?;
    out.branch = repo
        .head()
        .ok()
        .and_then(|h| h.shorthand().ok().map(str::to_string));
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let statuses = repo.statuses(Some(&mut opts))?;
    let changed: Vec<String> = statuses
        .iter()
        .filter(|s| !s.status().is_empty() && !s.status().contains(Status::IGNORED))
        .filter_map(|s| s.path().ok().map(str::to_string))
        .collect();
    out.state = match changed.len() {
        0 => State::Clean,
        count => State::Changed {
            count,
            sample: changed.into_iter().take(3).collect(),
        },
    };
    Ok(out)
}

/// The main checkout of a linked worktree at `root`, for trust: a worktree whose covered files
/// are those the user trusted in the main checkout is trusted as that checkout is.
pub fn main_checkout(root: &Path) -> Option<PathBuf> {
    let repo = Repository::open(root).ok()?;
    if !repo.is_worktree() {
        return None;
    }
    let main = Repository::open(repo.commondir()).ok()?;
    main.workdir()?.canonicalize().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_safe_as_folder_branch_and_worktree_names() {
        for good in ["a", "fix-login", "v1.2_x", "A9"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-x",
            ".x",
            "a/b",
            "../x",
            "a..b",
            "x.lock",
            "x.",
            "a b",
            "é",
            &"x".repeat(65),
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
