//! What a review covers, exactly: read with the real `git`, so the diff is the one a person would
//! see. `--base` is the merge-base diff of the committed branch (no working-tree files), and
//! `--uncommitted` the staged and unstaged changes plus new untracked files.
//!
//! The repository is untrusted: its config could name an fsmonitor program, and its attributes a
//! diff driver or textconv command that `git diff` would run. Every call turns those off.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The tree of an empty commit: the parent of a root commit.
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Staged and unstaged changes against HEAD, and untracked files.
    Uncommitted,
    /// The commits of HEAD since it left `BRANCH` (`git diff $(git merge-base BRANCH HEAD) HEAD`).
    Base(String),
    /// One commit against its first parent.
    Commit(String),
}

impl Scope {
    /// How the scope is named in the report.
    pub fn describe(&self) -> String {
        match self {
            Scope::Uncommitted => "uncommitted changes".into(),
            Scope::Base(b) => format!("changes since the merge base with {b}"),
            Scope::Commit(c) => format!("commit {c}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("cannot run git in {dir}: {source}")]
    Spawn { dir: String, source: std::io::Error },
    #[error("git {args} failed in {dir}: {stderr}")]
    Git {
        args: String,
        dir: String,
        stderr: String,
    },
    #[error("{0} is not a revision name git accepts here")]
    BadRevision(String),
}

/// The diff of `scope` in the repository at `root`, as `git diff` prints it.
pub fn diff_text(root: &Path, scope: &Scope) -> Result<String, ScopeError> {
    match scope {
        Scope::Uncommitted => {
            let mut text = git(root, &["diff", "HEAD"])?;
            for path in untracked(root)? {
                text.push_str(&new_file_diff(root, &path)?);
            }
            Ok(text)
        }
        Scope::Base(branch) => {
            let branch = revision(branch)?;
            let base = git(root, &["merge-base", branch, "HEAD"])?;
            git(root, &["diff", base.trim(), "HEAD"])
        }
        Scope::Commit(sha) => {
            let sha = revision(sha)?;
            let commit = git(
                root,
                &["rev-parse", "--verify", &format!("{sha}^{{commit}}")],
            )?;
            let commit = commit.trim();
            let parent = git(
                root,
                &["rev-parse", "--verify", "--quiet", &format!("{commit}^1")],
            )
            .map(|p| p.trim().to_string())
            .unwrap_or_else(|_| EMPTY_TREE.to_string());
            git(root, &["diff", &parent, commit])
        }
    }
}

/// A revision name as given; one that looks like an option is refused so it cannot become one.
fn revision(name: &str) -> Result<&str, ScopeError> {
    if name.is_empty() || name.starts_with('-') {
        return Err(ScopeError::BadRevision(name.to_string()));
    }
    Ok(name)
}

/// Untracked files that are not ignored.
fn untracked(root: &Path) -> Result<Vec<String>, ScopeError> {
    let out = git(root, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    Ok(out
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect())
}

/// An untracked file as an added file (`git diff --no-index` exits 1 when files differ).
fn new_file_diff(root: &Path, path: &str) -> Result<String, ScopeError> {
    let out = base_command(root)
        .args(["diff", "--no-index"])
        .args(DIFF_OPTIONS)
        .args(["--", "/dev/null", path])
        .output()
        .map_err(|source| spawn_error(root, source))?;
    match out.status.code() {
        Some(0) | Some(1) => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        _ => Err(git_error(root, &["diff", "--no-index", path], &out.stderr)),
    }
}

/// Every diff: plain text, no external diff program or textconv filter (either would run a
/// command the repository names), whole files rather than renames, three lines of context.
const DIFF_OPTIONS: [&str; 5] = [
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-renames",
    "--unified=3",
];

/// `git` confined to what a diff needs: no pager, no colour, no external diff or textconv
/// driver, no fsmonitor, no lazy fetch of missing objects.
fn base_command(root: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(root)
        .env("GIT_PAGER", "cat")
        .env("GIT_NO_LAZY_FETCH", "1")
        .env_remove("GIT_EXTERNAL_DIFF")
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.quotePath=false",
            "-c",
            "diff.noprefix=false",
            "-c",
            "diff.mnemonicPrefix=false",
            "-c",
            "diff.relative=false",
            "--no-pager",
        ]);
    cmd
}

fn git(root: &Path, args: &[&str]) -> Result<String, ScopeError> {
    let mut cmd = base_command(root);
    match args.split_first() {
        Some((&"diff", rest)) => {
            cmd.arg("diff").args(DIFF_OPTIONS).args(rest);
        }
        _ => {
            cmd.args(args);
        }
    }
    let out = cmd.output().map_err(|source| spawn_error(root, source))?;
    if !out.status.success() {
        return Err(git_error(root, args, &out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn spawn_error(root: &Path, source: std::io::Error) -> ScopeError {
    ScopeError::Spawn {
        dir: root.display().to_string(),
        source,
    }
}

fn git_error(root: &Path, args: &[&str], stderr: &[u8]) -> ScopeError {
    ScopeError::Git {
        args: args.join(" "),
        dir: root.display().to_string(),
        stderr: String::from_utf8_lossy(stderr).trim().to_string(),
    }
}

/// The top of the work tree holding `dir`.
pub fn repo_root(dir: &Path) -> Result<PathBuf, ScopeError> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    Ok(PathBuf::from(top.trim()))
}

/// The branch a feature branch is usually reviewed against: `main`, else `master`, when the
/// repository at `dir` has it; `None` outside a repository.
pub fn default_branch(dir: &Path) -> Option<String> {
    ["main", "master"]
        .into_iter()
        .find(|b| {
            git(
                dir,
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("refs/heads/{b}"),
                ],
            )
            .is_ok()
        })
        .map(str::to_string)
}
