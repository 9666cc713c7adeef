//! The tags of every source file the model may read, kept in a cache keyed by each file's
//! modification time and size, so a refresh parses only what changed.
//!
//! What may be read is decided per file on every scan, by the same [`Reader`] the file tools use
//! (secret patterns, `read(...)` deny rules, hard links, symlinks out of the workspace): a file
//! denied now never shows in the map, even if an earlier scan cached its tags. Files the walk
//! does not see (`.gitignore`d, `.git/`) are never parsed.

use super::tags::{extract, FileTags, Lang, MAX_FILE_BYTES, VERSION};
use crate::tools::walk::walker;
use crate::tools::Reader;
use ignore::WalkState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

/// One file's tags with the stamp they were read at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub mtime_ns: u64,
    pub size: u64,
    pub tags: FileTags,
}

/// Workspace-relative path → tags, in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// [`super::tags::VERSION`] when the tags were read: a cache from other queries is dropped.
    #[serde(default)]
    pub version: u32,
    pub files: BTreeMap<String, Entry>,
}

/// What a scan did, for `reins map --stats` and the bench.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    pub files: usize,
    pub parsed: usize,
    pub from_cache: usize,
}

/// The index as the cache file last had it; an unreadable cache is an empty one.
pub fn load(cache: &Path) -> Index {
    std::fs::read(cache)
        .ok()
        .and_then(|b| serde_json::from_slice::<Index>(&b).ok())
        .filter(|i| i.version == VERSION)
        .unwrap_or_default()
}

/// Writes the index atomically (temp file and rename), so a concurrent scan never reads half.
pub fn save(cache: &Path, index: &Index) -> std::io::Result<()> {
    let dir = cache.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut tmp, index).map_err(std::io::Error::other)?;
    tmp.persist(cache).map_err(|e| e.error)?;
    Ok(())
}

/// Walks `root` (ignore-aware, in parallel) and returns the tags of every source file the
/// reader may open, reusing `old` entries whose stamp has not changed.
pub fn scan(root: &Path, reader: &Reader, old: &Index) -> (Index, ScanStats) {
    let found: Mutex<Vec<(String, Entry, bool)>> = Mutex::new(Vec::new());
    walker(root).build_parallel().run(|| {
        let found = &found;
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            if let Some(item) = file_entry(entry.path(), reader, old) {
                if let Ok(mut f) = found.lock() {
                    f.push(item);
                }
            }
            WalkState::Continue
        })
    });
    let found = found.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut stats = ScanStats::default();
    let mut index = Index {
        version: VERSION,
        ..Index::default()
    };
    for (rel, entry, parsed) in found {
        stats.files += 1;
        if parsed {
            stats.parsed += 1;
        } else {
            stats.from_cache += 1;
        }
        index.files.insert(rel, entry);
    }
    (index, stats)
}

/// The entry of one walked file: from the cache when its stamp matches, else parsed. `None` for
/// files of no known language, too big, or that the reader refuses. The bool says it was parsed.
fn file_entry(path: &Path, reader: &Reader, old: &Index) -> Option<(String, Entry, bool)> {
    let rel = reader.relative(path);
    let lang = Lang::of(&rel)?;
    // The read check, the handle (no symlink on the way) and the hard-link rule, every scan.
    let mut file = reader.open(path)?;
    let meta = file.metadata().ok()?;
    if meta.len() > MAX_FILE_BYTES {
        return None;
    }
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    if let Some(e) = old.files.get(&rel) {
        if e.mtime_ns == mtime_ns && e.size == meta.len() && mtime_ns != 0 {
            return Some((rel, e.clone(), false));
        }
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.by_ref()
        .take(MAX_FILE_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    let source = String::from_utf8_lossy(&bytes);
    let tags = extract(lang, &source)?;
    Some((
        rel,
        Entry {
            mtime_ns,
            size: meta.len(),
            tags,
        },
        true,
    ))
}

/// Where a workspace's cache lives: `$REINS_HOME/cache/repomap/<name>-<hash>.json`.
pub fn cache_path(reins_home: &Path, root: &Path) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let name: String = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let hash = git2::Oid::hash_object(git2::ObjectType::Blob, root.as_os_str().as_bytes())
        .map(|o| o.to_string())
        .unwrap_or_default();
    let short = hash.get(..16).unwrap_or("0");
    reins_home
        .join("cache")
        .join("repomap")
        .join(format!("{name}-{short}.json"))
}
