//! A task's workspace taken from a repository's history instead of a fixture directory: the
//! tree of one revision exported into a fresh directory (no worktree left in the user's
//! repository), committed to a new repository, then a test patch applied and committed, so the
//! agent's `git_diff` shows only its own changes.
//!
//! Trees are untrusted (a mined repository may be anyone's): entries named `.git` (any case),
//! `.`, `..` or holding a slash are refused rather than written, and submodules are skipped.

use git2::{ApplyLocation, Diff, IndexAddOption, ObjectType, Repository, Signature, Tree};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("writing {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the tree holds a path no checkout may write: {0}")]
    UnsafePath(String),
}

/// Writes the tree of `rev` (a commit) into `to` (created).
pub fn export(repo: &Repository, rev: &str, to: &Path) -> Result<(), SourceError> {
    let commit = repo.revparse_single(rev)?.peel_to_commit()?;
    write_tree(repo, &commit.tree()?, to)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SourceError + '_ {
    move |source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_tree(repo: &Repository, tree: &Tree<'_>, dir: &Path) -> Result<(), SourceError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for entry in tree.iter() {
        let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
        if name.is_empty()
            || name == "."
            || name == ".."
            || name.contains('/')
            || name.contains('\0')
            || name.eq_ignore_ascii_case(".git")
        {
            return Err(SourceError::UnsafePath(name));
        }
        let path = dir.join(&name);
        match entry.kind() {
            Some(ObjectType::Tree) => {
                let sub = entry.to_object(repo)?.peel_to_tree()?;
                write_tree(repo, &sub, &path)?;
            }
            Some(ObjectType::Blob) => {
                let blob = entry.to_object(repo)?.peel_to_blob()?;
                if entry.filemode() == 0o120_000 {
                    let target = String::from_utf8_lossy(blob.content()).into_owned();
                    std::os::unix::fs::symlink(target, &path).map_err(io(&path))?;
                } else {
                    std::fs::write(&path, blob.content()).map_err(io(&path))?;
                    if entry.filemode() == 0o100_755 {
                        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                            .map_err(io(&path))?;
                    }
                }
            }
            // Submodules (commits) and anything else have no content here.
            _ => {}
        }
    }
    Ok(())
}

/// Makes `dir` a repository with everything in it committed, then applies `patch` (a git diff)
/// and commits that too; the agent starts from the second commit.
pub fn commit_with_patch(dir: &Path, patch: Option<&[u8]>) -> Result<(), SourceError> {
    let repo = Repository::init(dir)?;
    commit_all(&repo, "exported revision")?;
    if let Some(p) = patch.filter(|p| !p.is_empty()) {
        let diff = Diff::from_buffer(p)?;
        repo.apply(&diff, ApplyLocation::Both, None)?;
        commit_all(&repo, "test changes")?;
    }
    Ok(())
}

fn commit_all(repo: &Repository, message: &str) -> Result<(), SourceError> {
    let mut index = repo.index()?;
    index.add_all(["*"], IndexAddOption::FORCE, None)?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let sig = Signature::now("reins eval", "eval@reins.invalid")?;
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)?;
    Ok(())
}

/// The diff from `from` to `to` restricted to `paths`, as patch text (binary files included).
pub fn patch(
    repo: &Repository,
    from: &Tree<'_>,
    to: &Tree<'_>,
    paths: &[String],
) -> Result<Vec<u8>, SourceError> {
    let mut opts = git2::DiffOptions::new();
    opts.show_binary(true);
    for p in paths {
        opts.pathspec(p);
    }
    opts.disable_pathspec_match(true);
    let diff = repo.diff_tree_to_tree(Some(from), Some(to), Some(&mut opts))?;
    let mut out = Vec::new();
    diff.print(git2::DiffFormat::Patch, |_, _, line| {
        if matches!(line.origin(), '+' | '-' | ' ') {
            out.push(line.origin() as u8);
        }
        out.extend_from_slice(line.content());
        true
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit_files(repo: &Repository, files: &[(&str, &str)], message: &str) -> git2::Oid {
        let root = repo.workdir().unwrap().to_path_buf();
        for (path, text) in files {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let mut index = repo.index().unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = Signature::now("t", "t@t").unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    }

    #[test]
    fn an_exported_revision_gets_the_test_patch_on_top() {
        let d = tempfile::tempdir().unwrap();
        let repo = Repository::init(d.path()).unwrap();
        let a = commit_files(
            &repo,
            &[("src/a.txt", "one\n"), ("t/test.txt", "t1\n")],
            "a",
        );
        let b = commit_files(
            &repo,
            &[("src/a.txt", "two\n"), ("t/test.txt", "t2\n")],
            "b",
        );
        let (ta, tb) = (
            repo.find_commit(a).unwrap().tree().unwrap(),
            repo.find_commit(b).unwrap().tree().unwrap(),
        );
        let p = patch(&repo, &ta, &tb, &["t/test.txt".into()]).unwrap();
        let text = String::from_utf8_lossy(&p);
        assert!(text.contains("+t2") && !text.contains("two"), "{text}");
        let out = tempfile::tempdir().unwrap();
        let work = out.path().join("w");
        export(&repo, &a.to_string(), &work).unwrap();
        commit_with_patch(&work, Some(&p)).unwrap();
        assert_eq!(
            std::fs::read_to_string(work.join("src/a.txt")).unwrap(),
            "one\n"
        );
        assert_eq!(
            std::fs::read_to_string(work.join("t/test.txt")).unwrap(),
            "t2\n"
        );
        let w = Repository::open(&work).unwrap();
        assert!(w.statuses(None).unwrap().is_empty(), "all committed");
    }

    #[test]
    fn a_tree_with_a_git_entry_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let repo = Repository::init(d.path()).unwrap();
        let blob = repo
            .blob(b"[core]\n\tfsmonitor = touch /tmp/pwned\n")
            .unwrap();
        let mut inner = repo.treebuilder(None).unwrap();
        inner.insert("config", blob, 0o100_644).unwrap();
        let inner = inner.write().unwrap();
        // libgit2 refuses to build such a tree; a hostile repository writes the object raw.
        let mut raw = b"40000 .GIT\0".to_vec();
        raw.extend_from_slice(inner.as_bytes());
        let top = repo.odb().unwrap().write(ObjectType::Tree, &raw).unwrap();
        let tree = repo.find_tree(top).unwrap();
        let sig = Signature::now("t", "t@t").unwrap();
        let c = repo.commit(None, &sig, &sig, "evil", &tree, &[]).unwrap();
        let out = tempfile::tempdir().unwrap();
        let err = export(&repo, &c.to_string(), &out.path().join("w")).unwrap_err();
        assert!(matches!(err, SourceError::UnsafePath(_)), "{err}");
        assert!(!out.path().join("w/.GIT/config").exists());
    }
}
