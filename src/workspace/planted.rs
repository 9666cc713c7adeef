//! Repositories a command plants in the workspace. Nothing can pin a path that does not exist
//! yet, so a confined command may `git init` at the top of a workspace that had none, or in any
//! subfolder; harmless by itself, but a repository configured to run programs
//! (`core.fsmonitor`, `core.hooksPath`, hooks, filters, an external diff, a `.git` file pointing
//! elsewhere) would run them, unconfined, on the user's own next `git status` in that folder —
//! or as soon as a shell prompt that shows the git branch enters it. Such a repository is moved
//! aside (renamed, never deleted) and the model and the user are told; a plain `git init` stays.
//! The top of the workspace is checked after each command; subfolders, ignored ones included,
//! at the end of every turn that ran programs (no process of a command outlives it, so nothing
//! can plant one after the check). MCP servers outlive turns, so while they run every turn's
//! look covers the time since the last look, and one more look follows their stop (see
//! `agent::planted_step`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::small_walk::{walk_within, PARALLEL_FROM_ENTRIES};

/// Config keys a fresh repository may carry (lowercase; `*` is one name segment).
const SAFE_KEYS: &[&str] = &[
    "core.repositoryformatversion",
    "core.filemode",
    "core.bare",
    "core.logallrefupdates",
    "core.ignorecase",
    "core.precomposeunicode",
    "core.symlinks",
    "core.autocrlf",
    "core.eol",
    "core.quotepath",
    "commit.gpgsign",
    "tag.gpgsign",
    "pull.rebase",
    "push.default",
    "init.defaultbranch",
    "user.name",
    "user.email",
    "branch.*.remote",
    "branch.*.merge",
    "remote.*.url",
    "remote.*.fetch",
];

/// Moves `root/.git` aside when it could make git run a program; the message to report.
pub fn set_aside_if_dangerous(root: &Path) -> Option<String> {
    let git = root.join(".git");
    let reason = danger(&git)?;
    let aside = free_name(root);
    std::fs::rename(&git, &aside).ok()?;
    Some(format!(
        "[reins: the command created `.git` at the top of the workspace, which had none, and it \
         {reason}; git would run that unconfined on the user's next git command here, so it was \
         moved to `{}`. Create a repository with a plain `git init`, or ask the user.]",
        aside
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    ))
}

/// Every `.git` below `root` (any depth, ignored folders included, links not followed) that
/// changed since `since` and could make git run a program is moved aside; one message each for
/// the user. `skip` holds paths never looked into: the workspace's own `.git` when it existed
/// at session start (the sandbox pins it read-only, and the user's changes to it are theirs)
/// and the checkpoint store when it lies inside the workspace.
pub fn set_aside_planted(root: &Path, since: SystemTime, skip: &[PathBuf]) -> Vec<String> {
    found_repositories(root, skip)
        .into_iter()
        .filter(|git| changed_since(git, since))
        .filter_map(|git| set_aside(root, &git))
        .collect()
}

/// Moves the `.git` at `git` aside when dangerous; the message for the user.
fn set_aside(root: &Path, git: &Path) -> Option<String> {
    let reason = danger(git)?;
    let folder = git.parent()?;
    let aside = free_name(folder);
    std::fs::rename(git, &aside).ok()?;
    let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    Some(format!(
        "`{}`, which {reason}, was created or changed while this session ran programs \
         (commands, checks, MCP servers); git would run that unconfined on the next git command \
         in `{}`, so it was moved to `{}`. Inspect it, and rename it back if you made it.",
        rel(git),
        rel(folder),
        rel(&aside)
    ))
}

/// Every entry named `.git` (any letter case) beneath `root`, not entered.
fn found_repositories(root: &Path, skip: &[PathBuf]) -> Vec<PathBuf> {
    let found = Arc::new(Mutex::new(Vec::new()));
    let (sink, skip) = (Arc::clone(&found), skip.to_vec());
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .standard_filters(false)
        .follow_links(false)
        .filter_entry(move |e| {
            if skip.iter().any(|s| e.path() == s) {
                return false;
            }
            let is_git = e.depth() > 0 && e.file_name().eq_ignore_ascii_case(".git");
            if is_git {
                if let Ok(mut found) = sink.lock() {
                    found.push(e.path().to_path_buf());
                }
            }
            !is_git
        });
    // One thread for a small workspace (see `small_walk`), at every turn's end.
    if !walk_within(&builder, PARALLEL_FROM_ENTRIES, |_| {}) {
        // Found again, whole, by the parallel walk.
        found.lock().map(|mut f| f.clear()).unwrap_or_default();
        builder
            .build_parallel()
            .run(|| Box::new(|_| ignore::WalkState::Continue));
    }
    let mut found = found.lock().map(|f| f.clone()).unwrap_or_default();
    found.sort();
    found
}

/// Whether the repository at `git` or a file that decides what git runs there changed at or
/// after `since` (ctime: a backdated mtime cannot hide a change).
fn changed_since(git: &Path, since: SystemTime) -> bool {
    let decisive = ["", "config", "config.worktree", "commondir", "hooks"];
    let hooks = std::fs::read_dir(git.join("hooks"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path());
    decisive
        .iter()
        .map(|name| match *name {
            "" => git.to_path_buf(),
            name => git.join(name),
        })
        .chain(hooks)
        .any(|path| ctime(&path).is_some_and(|t| t >= since))
}

fn ctime(path: &Path) -> Option<SystemTime> {
    use std::os::unix::fs::MetadataExt;
    let meta = path.symlink_metadata().ok()?;
    let nanos = u64::try_from(meta.ctime()).ok()? * 1_000_000_000 + meta.ctime_nsec() as u64;
    Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_nanos(nanos))
}

/// Why the `.git` at `git` is dangerous, if it exists and is.
fn danger(git: &Path) -> Option<String> {
    let meta = git.symlink_metadata().ok()?;
    if !meta.is_dir() {
        return Some("is a link or a file pointing to another repository".into());
    }
    if git.join("commondir").symlink_metadata().is_ok() {
        return Some("takes its config from another repository (`commondir`)".into());
    }
    let hooks = git.join("hooks");
    if hooks.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
        return Some("has a `hooks` link".into());
    }
    if let Some(hook) = live_hook(&hooks) {
        return Some(format!("has the hook `{hook}`"));
    }
    ["config", "config.worktree"]
        .iter()
        .find_map(|name| unsafe_key(&git.join(name)))
        .map(|key| format!("sets `{key}`"))
}

/// The first hook that is not one of git's `.sample` files.
fn live_hook(hooks: &Path) -> Option<String> {
    std::fs::read_dir(hooks)
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|name| !name.ends_with(".sample"))
}

/// The first config key outside [`SAFE_KEYS`] (an unreadable config counts as unsafe).
fn unsafe_key(config: &Path) -> Option<String> {
    if !config.exists() {
        return None;
    }
    let Ok(cfg) = git2::Config::open(config) else {
        return Some("an unreadable config".into());
    };
    let Ok(mut entries) = cfg.entries(None) else {
        return Some("an unreadable config".into());
    };
    while let Some(Ok(entry)) = entries.next() {
        let name = entry.name().unwrap_or("").to_ascii_lowercase();
        if !SAFE_KEYS.iter().any(|safe| key_matches(safe, &name)) {
            return Some(name);
        }
    }
    None
}

/// Whether `name` fits `pattern`, segment by segment (`*` fits one segment, which may contain
/// dots in the middle, as in `branch.feature.x.remote`).
fn key_matches(pattern: &str, name: &str) -> bool {
    let Some((head, tail)) = pattern.split_once(".*.") else {
        return pattern == name;
    };
    name.len() > head.len() + tail.len() + 2
        && name.starts_with(&format!("{head}."))
        && name.ends_with(&format!(".{tail}"))
}

/// `.git-set-aside`, or with a number when taken.
fn free_name(root: &Path) -> PathBuf {
    (0..)
        .map(|n| match n {
            0 => root.join(".git-set-aside"),
            n => root.join(format!(".git-set-aside-{n}")),
        })
        .find(|p| p.symlink_metadata().is_err())
        .unwrap_or_else(|| root.join(".git-set-aside"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn a_plain_repository_stays() {
        let d = tempfile::tempdir().unwrap();
        git(d.path(), &["init", "-q", "."]);
        git(d.path(), &["config", "user.name", "x"]);
        git(
            d.path(),
            &["remote", "add", "origin", "https://example.com/r.git"],
        );
        assert_eq!(set_aside_if_dangerous(d.path()), None);
        assert!(d.path().join(".git").is_dir());
    }

    #[test]
    fn fsmonitor_hooks_and_gitdir_files_are_set_aside() {
        for plant in ["fsmonitor", "hooks_path", "hook", "gitdir"] {
            let d = tempfile::tempdir().unwrap();
            match plant {
                "gitdir" => std::fs::write(d.path().join(".git"), "gitdir: /elsewhere\n").unwrap(),
                _ => git(d.path(), &["init", "-q", "."]),
            }
            match plant {
                "fsmonitor" => git(d.path(), &["config", "core.fsmonitor", "touch /tmp/x"]),
                "hooks_path" => git(d.path(), &["config", "core.hooksPath", "/tmp"]),
                "hook" => std::fs::write(d.path().join(".git/hooks/pre-commit"), "x").unwrap(),
                _ => {}
            }
            let said = set_aside_if_dangerous(d.path()).unwrap_or_default();
            assert!(
                said.contains("moved to `.git-set-aside`"),
                "{plant}: {said}"
            );
            assert!(!d.path().join(".git").exists(), "{plant}");
            assert!(d.path().join(".git-set-aside").exists(), "{plant}");
        }
    }

    /// Below and above the serial walk's limit, every `.git` is found once, a skipped folder
    /// is not looked into, and a `.git` is not entered.
    #[test]
    fn repositories_are_found_in_small_and_large_workspaces() {
        for files in [10, PARALLEL_FROM_ENTRIES + 50] {
            let d = tempfile::tempdir().unwrap();
            let root = d.path();
            for i in 0..files {
                let dir = root.join(format!("d{:02}", i / 100));
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join(format!("f{i}")), "").unwrap();
            }
            for planted in [
                "d00/.git",
                "d00/sub/.GIT",
                "skipped/.git",
                "d00/.git/inner/.git",
            ] {
                std::fs::create_dir_all(root.join(planted)).unwrap();
            }
            let found = found_repositories(root, &[root.join("skipped")]);
            let want = vec![root.join("d00/.git"), root.join("d00/sub/.GIT")];
            assert_eq!(found, want, "{files} files");
        }
    }

    #[test]
    fn key_patterns_match_one_segment() {
        assert!(key_matches("branch.*.remote", "branch.main.remote"));
        assert!(key_matches("branch.*.remote", "branch.feat.x.remote"));
        assert!(!key_matches("branch.*.remote", "branch..remote"));
        assert!(key_matches("core.bare", "core.bare"));
        assert!(!key_matches("remote.*.url", "remote.o.pushurl"));
    }
}
