//! Writing a snapshot's files as git trees, bottom-up. A directory whose files are all unchanged
//! since the last snapshot keeps its previous tree id, so a checkpoint after a small edit writes
//! only the trees on the paths from the edited files to the root.

use super::error::CheckpointError;
use git2::{Oid, Repository};
use std::collections::{BTreeMap, HashSet};

/// A file as a tree entry: git file mode (100644, 100755 or 120000) and blob id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Leaf {
    pub mode: u32,
    pub oid: Oid,
}

const DIR_MODE: i32 = 0o040000;

/// Every directory (`""` for the root) containing one of `changed`: the ones to rebuild.
pub(crate) fn dirty_dirs<'a>(changed: impl Iterator<Item = &'a [u8]>) -> HashSet<Vec<u8>> {
    let mut dirty = HashSet::new();
    for path in changed {
        let mut cur = path;
        while let Some(slash) = cur.iter().rposition(|&b| b == b'/') {
            cur = &cur[..slash];
            if !dirty.insert(cur.to_vec()) {
                break;
            }
        }
        dirty.insert(Vec::new());
    }
    dirty
}

/// Writes the tree of `files` (sorted by path) and returns its id and the tree id of each
/// directory, for reuse next time. `old_dirs` are the previous snapshot's directory trees; any
/// directory not in `dirty` is taken from there.
pub(crate) fn write_tree(
    repo: &Repository,
    files: &[(&[u8], Leaf)],
    dirty: &HashSet<Vec<u8>>,
    old_dirs: &BTreeMap<Vec<u8>, Oid>,
) -> Result<(Oid, BTreeMap<Vec<u8>, Oid>), CheckpointError> {
    let mut builder = Builder {
        repo,
        dirty,
        old_dirs,
        new_dirs: BTreeMap::new(),
    };
    let root = builder.build(b"", files)?;
    Ok((root, builder.new_dirs))
}

struct Builder<'a> {
    repo: &'a Repository,
    dirty: &'a HashSet<Vec<u8>>,
    old_dirs: &'a BTreeMap<Vec<u8>, Oid>,
    new_dirs: BTreeMap<Vec<u8>, Oid>,
}

impl Builder<'_> {
    /// The tree of directory `dir`, whose files (with full paths) are `items`.
    fn build(&mut self, dir: &[u8], items: &[(&[u8], Leaf)]) -> Result<Oid, CheckpointError> {
        if !self.dirty.contains(dir) {
            if let Some(&oid) = self.old_dirs.get(dir) {
                self.keep_old(dir, oid);
                return Ok(oid);
            }
        }
        let skip = if dir.is_empty() { 0 } else { dir.len() + 1 };
        let mut tb = self.repo.treebuilder(None)?;
        let mut i = 0;
        while i < items.len() {
            let (path, leaf) = items[i];
            let rest = &path[skip..];
            match rest.iter().position(|&b| b == b'/') {
                None => {
                    tb.insert(rest, leaf.oid, leaf.mode as i32)?;
                    i += 1;
                }
                Some(slash) => {
                    let sub = &path[..skip + slash];
                    let end = i + items[i..]
                        .iter()
                        .position(|(p, _)| !is_under(p, sub))
                        .unwrap_or(items.len() - i);
                    let oid = self.build(sub, &items[i..end])?;
                    tb.insert(&rest[..slash], oid, DIR_MODE)?;
                    i = end;
                }
            }
        }
        let oid = tb.write()?;
        self.new_dirs.insert(dir.to_vec(), oid);
        Ok(oid)
    }

    /// Carries over an unchanged directory and the recorded trees of everything below it.
    fn keep_old(&mut self, dir: &[u8], oid: Oid) {
        self.new_dirs.insert(dir.to_vec(), oid);
        if dir.is_empty() {
            self.new_dirs = self.old_dirs.clone();
            return;
        }
        // Everything strictly inside `dir` sorts between `dir/` and `dir0` ('0' follows '/').
        let lo = [dir, b"/"].concat();
        let hi = [dir, b"0"].concat();
        for (p, o) in self.old_dirs.range(lo..hi) {
            self.new_dirs.insert(p.clone(), *o);
        }
    }
}

/// Whether `path` lies inside directory `dir`.
fn is_under(path: &[u8], dir: &[u8]) -> bool {
    path.len() > dir.len() && path.starts_with(dir) && path[dir.len()] == b'/'
}
