//! Listing the workspace as git would see it: every file that is tracked, or untracked and not
//! ignored, with the stat data that lets an unchanged file skip being read again.

use ignore::WalkBuilder;
use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The stat fields that say whether a file may have changed since it was last hashed. ctime is
/// kept besides mtime so that `touch -d` back to the old time, or a same-size rewrite in the same
/// clock tick, still counts as a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStat {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
    pub mode: u32,
}

impl FileStat {
    pub fn of(meta: &std::fs::Metadata) -> Self {
        FileStat {
            size: meta.size(),
            mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            ctime_ns: meta.ctime() * 1_000_000_000 + meta.ctime_nsec(),
            ino: meta.ino(),
            mode: meta.mode(),
        }
    }

    pub fn is_symlink(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFLNK
    }

    fn is_file(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFREG
    }

    /// The git file mode: symlink, executable (owner x bit, as git decides) or plain file.
    pub fn git_mode(&self) -> u32 {
        if self.is_symlink() {
            0o120000
        } else if self.mode & 0o100 != 0 {
            0o100755
        } else {
            0o100644
        }
    }
}

/// One file of the workspace: its path relative to the root, `/`-separated, as raw bytes (file
/// names need not be UTF-8).
pub(crate) struct Scanned {
    pub path: Vec<u8>,
    pub stat: FileStat,
}

/// Every checkpointable file under `root`, sorted by path bytes (so each directory's files are
/// contiguous). `skip` is a directory never entered: the checkpoint store itself, when the
/// workspace contains `$REINS_HOME`. Unreadable entries are left out, like ignored ones: what
/// cannot be read cannot be checkpointed, and restore never touches what is not checkpointed.
pub(crate) fn scan(root: &Path, skip: Option<PathBuf>) -> Vec<Scanned> {
    let mut files = walk(root, skip.clone());
    add_tracked_but_ignored(root, skip.as_deref(), &mut files);
    files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    files
}

/// The ignore-aware walk: .gitignore honoured also outside git repositories, hidden files
/// included, `.git` (directory or gitfile, in any letter case: git refuses such names in trees)
/// never entered.
fn walk(root: &Path, skip: Option<PathBuf>) -> Vec<Scanned> {
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .require_git(false)
        .filter_entry(move |e| {
            !e.file_name().eq_ignore_ascii_case(".git")
                && skip.as_deref().is_none_or(|s| e.path() != s)
        });
    let mut out = Vec::new();
    for entry in builder.build().flatten() {
        let is_candidate = entry
            .file_type()
            .is_some_and(|t| t.is_file() || t.is_symlink());
        if !is_candidate {
            continue;
        }
        if let Some(found) = stat_file(root, entry.path()) {
            out.push(found);
        }
    }
    out
}

fn stat_file(root: &Path, path: &Path) -> Option<Scanned> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let stat = FileStat::of(&meta);
    if !(stat.is_file() || stat.is_symlink()) {
        return None;
    }
    let rel = path.strip_prefix(root).ok()?;
    Some(Scanned {
        path: rel.as_os_str().as_bytes().to_vec(),
        stat,
    })
}

/// Files git tracks although a .gitignore pattern matches them (force-added files): git status
/// shows their changes, so checkpoints must include them too. Read from the index of the
/// enclosing repository, read-only.
fn add_tracked_but_ignored(root: &Path, skip: Option<&Path>, files: &mut Vec<Scanned>) {
    let tracked = tracked_paths(root);
    if tracked.is_empty() {
        return;
    }
    let seen: HashSet<Vec<u8>> = files.iter().map(|f| f.path.clone()).collect();
    for rel in tracked {
        if seen.contains(&rel) || !plain_relative(&rel) {
            continue;
        }
        let path = root.join(std::ffi::OsStr::from_bytes(&rel));
        if skip.is_some_and(|s| path.starts_with(s)) || has_symlinked_dir(root, &rel) {
            continue;
        }
        if let Some(found) = stat_file(root, &path) {
            files.push(found);
        }
    }
}

/// Whether an index path names a file beneath the root: no `.git`, `..`, `.` or empty component.
/// The index is repository data the sandbox may have written (a `.git` planted in a workspace
/// that had none), so `../../etc/passwd` in it must not reach the checkpoint, or restore.
fn plain_relative(rel: &[u8]) -> bool {
    rel.split(|&b| b == b'/')
        .all(|c| !(c.is_empty() || c == b"." || c == b".." || c.eq_ignore_ascii_case(b".git")))
}

/// The index paths under `root`, relative to it; none when `root` is not inside a git work tree,
/// the repository was refused (its working tree is elsewhere, see [`crate::workspace::repo`]) or
/// cannot be read (a missing extra is better than a failed checkpoint).
fn tracked_paths(root: &Path) -> Vec<Vec<u8>> {
    let Ok(Some(repo)) = crate::workspace::repo::open(root) else {
        return Vec::new();
    };
    let Some(workdir) = repo.workdir().and_then(|w| w.canonicalize().ok()) else {
        return Vec::new();
    };
    let Ok(prefix) = root.strip_prefix(&workdir) else {
        return Vec::new();
    };
    let mut prefix = prefix.as_os_str().as_bytes().to_vec();
    if !prefix.is_empty() {
        prefix.push(b'/');
    }
    let Ok(index) = repo.index() else {
        return Vec::new();
    };
    index
        .iter()
        .filter(|e| e.mode & 0o170000 != 0o160000)
        .filter_map(|e| e.path.strip_prefix(prefix.as_slice()).map(<[u8]>::to_vec))
        .collect()
}

/// Whether a parent of `rel` is a symlink: the walk does not follow directory symlinks, so a file
/// reached through one belongs to the link's target, not to the workspace.
fn has_symlinked_dir(root: &Path, rel: &[u8]) -> bool {
    let mut dir = root.to_path_buf();
    let parts: Vec<&[u8]> = rel.split(|&b| b == b'/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        dir.push(std::ffi::OsStr::from_bytes(part));
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            _ => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::plain_relative;

    #[test]
    fn index_paths_that_climb_or_name_git_are_not_checkpointed() {
        assert!(plain_relative(b"src/main.rs"));
        for bad in [
            &b"../../etc/passwd"[..],
            b"a/../../x",
            b"./a",
            b"a//b",
            b"",
            b"sub/.GIT/config",
        ] {
            assert!(!plain_relative(bad), "{}", String::from_utf8_lossy(bad));
        }
    }
}
