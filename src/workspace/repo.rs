//! The git repository of a workspace, opened only when it cannot move reins elsewhere. A `.git`
//! may have been written by the sandboxed shell (in a subfolder, or at the top of a workspace
//! that had none), and its config decides where git's working tree is: `core.worktree = /` would
//! make `/` the next session's workspace, and the checkpointer would snapshot the whole disk. So
//! a repository is used only when its working tree is the directory holding the `.git`, and its
//! git directory lies inside that directory, or is a linked worktree's or a submodule's.
//!
//! libgit2 runs no hooks, fsmonitor, filter drivers, textconv or external diff programs, so the
//! repository's config cannot make reins run a program through it; `GIT_DIR` and the like are
//! ignored because the repository is opened by path, not from the environment.

use git2::{Repository, RepositoryOpenFlags};
use std::path::{Path, PathBuf};

/// A repository that was found and not used, and why.
#[derive(Debug, thiserror::Error)]
#[error("the git repository at {} is not used: {reason}", dot_git.display())]
pub struct RepoRefused {
    pub dot_git: PathBuf,
    pub reason: Refusal,
}

/// What is wrong with a found repository: each case is one a planted `.git` would use to make
/// git commands act on a tree outside the directory holding it.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("it cannot be opened ({})", .0.message())]
    Open(#[source] git2::Error),
    #[error("its {what} cannot be resolved ({source})")]
    Unresolved {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("it is a bare repository (core.bare), so it has no working tree here")]
    Bare,
    #[error(
        "its working tree is set to {} (core.worktree), outside the directory holding it",
        .0.display()
    )]
    WorktreeElsewhere(PathBuf),
    #[error("its gitdir points to {}, outside the directory holding it", .0.display())]
    GitdirElsewhere(PathBuf),
}

/// The repository whose working tree holds `dir` (canonical): `Ok(None)` when there is none,
/// `Err` when the nearest `.git` above `dir` points its working tree or git directory elsewhere.
pub fn open(dir: &Path) -> Result<Option<Repository>, RepoRefused> {
    let Some(holder) = dir.ancestors().find(|d| has_dot_git(d)) else {
        return Ok(None);
    };
    let dot_git = holder.join(".git");
    let refused = |reason: Refusal| RepoRefused {
        dot_git: dot_git.clone(),
        reason,
    };
    // By the `.git` path itself and without search: a directory that merely looks like a bare
    // repository (HEAD, objects/, refs/ planted at the top) is never taken as one.
    let repo = Repository::open_ext(
        &dot_git,
        RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&str>(),
    )
    .map_err(|e| refused(Refusal::Open(e)))?;
    check(&repo, holder).map_err(refused)?;
    Ok(Some(repo))
}

/// The root of the repository holding `dir`, or `dir` itself; the warning says why a repository
/// found there was not used.
pub fn root_for(dir: &Path) -> (PathBuf, Option<String>) {
    match open(dir) {
        Ok(Some(repo)) => match repo.workdir().and_then(|w| w.canonicalize().ok()) {
            Some(root) => (root, None),
            None => (dir.to_path_buf(), None),
        },
        Ok(None) => (dir.to_path_buf(), None),
        Err(e) => (
            dir.to_path_buf(),
            Some(format!(
                "{e}; the workspace is {} instead. If that repository is yours, fix its config (git config --unset core.worktree) or start reins with -C",
                dir.display()
            )),
        ),
    }
}

fn has_dot_git(dir: &Path) -> bool {
    dir.join(".git").symlink_metadata().is_ok()
}

/// `Err(reason)` unless the working tree is `holder` and the git directory belongs to it.
fn check(repo: &Repository, holder: &Path) -> Result<(), Refusal> {
    let resolve = |path: &Path, what| {
        path.canonicalize()
            .map_err(|source| Refusal::Unresolved { what, source })
    };
    let holder = resolve(holder, "directory")?;
    let workdir = resolve(repo.workdir().ok_or(Refusal::Bare)?, "working tree")?;
    if workdir != holder {
        return Err(Refusal::WorktreeElsewhere(workdir));
    }
    let gitdir = resolve(repo.path(), "git directory")?;
    if gitdir.starts_with(&holder) || repo.is_worktree() || is_submodule_gitdir(&gitdir) {
        return Ok(());
    }
    Err(Refusal::GitdirElsewhere(gitdir))
}

/// `…/.git/modules/NAME`: where git keeps a submodule's repository.
fn is_submodule_gitdir(gitdir: &Path) -> bool {
    let parts: Vec<_> = gitdir.components().map(|c| c.as_os_str()).collect();
    parts
        .windows(2)
        .any(|w| w[0] == ".git" && w[1] == "modules")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git")
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    fn canonical_tempdir() -> (tempfile::TempDir, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().canonicalize().unwrap();
        (t, p)
    }

    #[test]
    fn a_plain_repository_is_used_from_a_subfolder() {
        let (_t, dir) = canonical_tempdir();
        git(&dir, &["init", "-q"]);
        std::fs::create_dir(dir.join("sub")).unwrap();
        assert_eq!(root_for(&dir.join("sub")), (dir.clone(), None));
    }

    #[test]
    fn a_core_worktree_elsewhere_is_refused() {
        let (_t, dir) = canonical_tempdir();
        let sub = dir.join("sub");
        std::fs::create_dir(&sub).unwrap();
        git(&sub, &["init", "-q"]);
        git(&sub, &["config", "core.worktree", "/"]);
        let (root, warning) = root_for(&sub);
        assert_eq!(root, sub);
        assert!(warning.unwrap().contains("core.worktree"));
    }

    #[test]
    fn a_gitfile_pointing_elsewhere_is_refused_but_a_linked_worktree_is_not() {
        let (_t, dir) = canonical_tempdir();
        let other = dir.join("other");
        std::fs::create_dir(&other).unwrap();
        git(&other, &["init", "-q"]);
        let ws = dir.join("ws");
        std::fs::create_dir(&ws).unwrap();
        std::fs::write(
            ws.join(".git"),
            format!("gitdir: {}\n", other.join(".git").display()),
        )
        .unwrap();
        let err = open(&ws).err().expect("refused");
        assert!(err.reason.to_string().contains("outside"), "{err}");

        git(
            &other,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                "x",
            ],
        );
        let linked = dir.join("linked");
        git(&other, &["worktree", "add", "-q", linked.to_str().unwrap()]);
        assert_eq!(root_for(&linked), (linked.clone(), None));
    }

    #[test]
    fn a_bare_repository_look_alike_at_the_top_is_not_taken() {
        let (_t, dir) = canonical_tempdir();
        git(&dir, &["init", "-q", "--bare", "."]);
        git(&dir, &["config", "core.bare", "false"]);
        git(&dir, &["config", "core.worktree", "/"]);
        assert_eq!(root_for(&dir), (dir.clone(), None));
    }
}
