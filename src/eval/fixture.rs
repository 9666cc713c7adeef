//! A fresh working copy of a task's fixture for each run, committed to a new git repository so
//! the agent's `git_diff` shows exactly its own changes.

use std::path::Path;

/// Copies the tree at `from` into `to` (created), keeping symlinks as symlinks.
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// `git init` and one commit of everything. Best effort: without git the run goes on in a plain
/// directory (the agent then sees `git repository: no`).
pub async fn commit_all(dir: &Path) {
    if dir.join(".git").exists() {
        return;
    }
    let steps: [&[&str]; 3] = [
        &["init", "-q"],
        &["add", "-A"],
        &[
            "-c",
            "user.name=reins eval",
            "-c",
            "user.email=eval@reins.invalid",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-qm",
            "fixture",
        ],
    ];
    for args in steps {
        let ok = tokio::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .await
            .is_ok_and(|s| s.success());
        if !ok {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_nested_files_and_symlinks() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("a/b")).unwrap();
        std::fs::write(src.path().join("a/b/f.txt"), "x").unwrap();
        std::os::unix::fs::symlink("b/f.txt", src.path().join("a/link")).unwrap();
        let dst = tempfile::tempdir().unwrap();
        copy_tree(src.path(), &dst.path().join("w")).unwrap();
        assert_eq!(
            std::fs::read_to_string(dst.path().join("w/a/b/f.txt")).unwrap(),
            "x"
        );
        assert_eq!(
            std::fs::read_to_string(dst.path().join("w/a/link")).unwrap(),
            "x"
        );
    }
}
