//! Listing the workspace as git would see it: every file that is tracked, or untracked and not
//! ignored, with the stat data that lets an unchanged file skip being read again.

use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};
use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::small_walk::{walk_within, PARALLEL_FROM_ENTRIES};

/// Below this many files (as the last scan counted) one thread walks: starting the walker's
/// threads costs more than it saves on a small workspace, where every step is checkpointed.
pub(crate) const PARALLEL_FROM_FILES: usize = PARALLEL_FROM_ENTRIES;

/// How many threads a scan walks with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Threads {
    One,
    /// One per core, as ripgrep does: a large workspace's scan is mostly `lstat`s.
    All,
    /// The size is not known (a first snapshot): one thread until the walk has met
    /// [`PARALLEL_FROM_FILES`] entries, then every core from the start (see `small_walk`). A small workspace
    /// then pays neither the threads' start nor the parallel walker's idle wait (1 ms), and a
    /// large one wastes a walk of a few thousand entries.
    Probe,
}

impl Threads {
    /// The choice for a workspace whose last scan counted `known` files (0: never scanned).
    pub(crate) fn for_known(known: usize) -> Self {
        match known {
            0 => Threads::Probe,
            n if n >= PARALLEL_FROM_FILES => Threads::All,
            _ => Threads::One,
        }
    }
}

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
pub(crate) fn scan(root: &Path, skip: Option<PathBuf>, threads: Threads) -> Vec<Scanned> {
    let mut files = walk(root, skip.clone(), threads);
    add_tracked_but_ignored(root, skip.as_deref(), &mut files);
    files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    files
}

/// The ignore-aware walk: .gitignore honoured also outside git repositories, hidden files
/// included, `.git` (directory or gitfile, in any letter case: git refuses such names in trees)
/// never entered.
fn walk(root: &Path, skip: Option<PathBuf>, threads: Threads) -> Vec<Scanned> {
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .require_git(false)
        .filter_entry(move |e| {
            !e.file_name().eq_ignore_ascii_case(".git")
                && skip.as_deref().is_none_or(|s| e.path() != s)
        });
    let limit = match threads {
        Threads::One => Some(usize::MAX),
        Threads::Probe => Some(PARALLEL_FROM_FILES),
        Threads::All => None,
    };
    if let Some(limit) = limit {
        let mut found = Vec::new();
        if walk_within(&builder, limit, |entry| {
            found.extend(candidate(root, entry))
        }) {
            return found;
        }
    }
    let found = Mutex::new(Vec::new());
    builder
        .build_parallel()
        .visit(&mut Collector { root, sink: &found });
    found.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// A regular file or symlink the walk reached, with its stat data.
fn candidate(root: &Path, entry: &DirEntry) -> Option<Scanned> {
    let is_candidate = entry
        .file_type()
        .is_some_and(|t| t.is_file() || t.is_symlink());
    if !is_candidate {
        return None;
    }
    stat_file(root, entry.path())
}

/// Gathers what the walker's threads find: each thread fills its own list and hands it over
/// once, when the walk drops its visitor, so the threads do not contend per file.
struct Collector<'a> {
    root: &'a Path,
    sink: &'a Mutex<Vec<Scanned>>,
}

impl<'a> ParallelVisitorBuilder<'a> for Collector<'a> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 'a> {
        Box::new(ThreadFinds {
            root: self.root,
            sink: self.sink,
            mine: Vec::new(),
        })
    }
}

struct ThreadFinds<'a> {
    root: &'a Path,
    sink: &'a Mutex<Vec<Scanned>>,
    mine: Vec<Scanned>,
}

impl ParallelVisitor for ThreadFinds<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        if let Some(found) = entry.ok().and_then(|e| candidate(self.root, &e)) {
            self.mine.push(found);
        }
        WalkState::Continue
    }
}

impl Drop for ThreadFinds<'_> {
    fn drop(&mut self) {
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        sink.append(&mut self.mine);
    }
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
    use super::{plain_relative, scan, walk_within, Threads, PARALLEL_FROM_FILES};

    /// The parallel walk finds what the single-threaded one does: ignore rules in nested
    /// directories, hidden files, symlinks, `.git` and the skipped directory left out.
    #[test]
    fn the_parallel_scan_lists_what_the_serial_one_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in 0..20 {
            let sub = root.join(format!("d{d}/e"));
            std::fs::create_dir_all(&sub).unwrap();
            std::fs::write(sub.join(".gitignore"), "*.log\n").unwrap();
            for f in 0..30 {
                std::fs::write(sub.join(format!("f{f}.txt")), "x").unwrap();
                std::fs::write(sub.join(format!("f{f}.log")), "x").unwrap();
            }
        }
        std::fs::create_dir_all(root.join(".git/objects")).unwrap();
        std::fs::write(root.join(".git/HEAD"), "x").unwrap();
        std::fs::create_dir_all(root.join("home")).unwrap();
        std::fs::write(root.join("home/config.toml"), "x").unwrap();
        std::fs::write(root.join(".hidden"), "x").unwrap();
        std::os::unix::fs::symlink("d0", root.join("link")).unwrap();
        let skip = Some(root.join("home"));
        let names = |threads| -> Vec<Vec<u8>> {
            scan(root, skip.clone(), threads)
                .into_iter()
                .map(|s| s.path)
                .collect()
        };
        let serial = names(Threads::One);
        assert_eq!(serial.len(), 20 * 30 + 20 + 2, "{serial:?}");
        assert_eq!(names(Threads::All), serial);
        assert_eq!(names(Threads::Probe), serial);
    }

    /// A first scan of a workspace larger than the serial walk's limit starts over on every
    /// core and lists every file once; below the limit it stays on one thread.
    #[test]
    fn a_first_scan_of_a_large_workspace_lists_every_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let total = PARALLEL_FROM_FILES + 100;
        for d in 0..total / 100 {
            let sub = root.join(format!("d{d:02}"));
            std::fs::create_dir(&sub).unwrap();
            for f in 0..100 {
                std::fs::write(sub.join(format!("f{f:03}")), "").unwrap();
            }
        }
        let builder = ignore::WalkBuilder::new(root);
        assert!(!walk_within(&builder, PARALLEL_FROM_FILES, |_| {}));
        let probed = scan(root, None, Threads::Probe);
        assert_eq!(probed.len(), total);
        assert!(
            probed.windows(2).all(|w| w[0].path < w[1].path),
            "sorted, no duplicates"
        );
        let serial = scan(root, None, Threads::One);
        assert_eq!(serial.len(), total);
    }

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
