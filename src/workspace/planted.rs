//! A `.git` that a command creates at the top of a workspace that had none. Nothing can pin a
//! path that does not exist yet, so a confined command may `git init` there; harmless by itself,
//! but a repository configured to run programs (`core.fsmonitor`, `core.hooksPath`, hooks,
//! filters, an external diff, a `.git` file pointing elsewhere) would run them, unconfined, on
//! the user's own next `git status` in that folder. After each command, such a repository is
//! moved aside (renamed, never deleted) and the model and the user are told; a plain `git init`
//! stays.

use std::path::{Path, PathBuf};

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

/// Why the `.git` at `git` is dangerous, if it exists and is.
fn danger(git: &Path) -> Option<String> {
    let meta = git.symlink_metadata().ok()?;
    if !meta.is_dir() {
        return Some("is a link or a file pointing to another repository".into());
    }
    if let Some(hook) = live_hook(&git.join("hooks")) {
        return Some(format!("has the hook `{hook}`"));
    }
    unsafe_key(&git.join("config")).map(|key| format!("sets `{key}`"))
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

    #[test]
    fn key_patterns_match_one_segment() {
        assert!(key_matches("branch.*.remote", "branch.main.remote"));
        assert!(key_matches("branch.*.remote", "branch.feat.x.remote"));
        assert!(!key_matches("branch.*.remote", "branch..remote"));
        assert!(key_matches("core.bare", "core.bare"));
        assert!(!key_matches("remote.*.url", "remote.o.pushurl"));
    }
}
