//! Which files differ between two snapshots, read straight from their trees. Subtrees with equal
//! ids are skipped without being opened, so comparing two checkpoints of a large workspace costs
//! in proportion to what changed.

use super::error::CheckpointError;
use super::tree::Leaf;
use git2::{Oid, Repository};
use std::collections::BTreeMap;

/// One file that differs: what it was (`None`: absent) and what it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub path: Vec<u8>,
    pub old: Option<Leaf>,
    pub new: Option<Leaf>,
}

const TREE: u32 = 0o040000;
const GITLINK: u32 = 0o160000;

/// Every file that differs between tree `old` and tree `new` (`None`: the empty tree), sorted by
/// path. A file replaced by a directory, or the reverse, shows as deletions plus creations.
pub(crate) fn changes(
    repo: &Repository,
    old: Option<Oid>,
    new: Option<Oid>,
) -> Result<Vec<Change>, CheckpointError> {
    let mut out = Vec::new();
    compare_dirs(repo, b"", old, new, &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Just the paths, lossily decoded, for reports.
pub(crate) fn changed_paths(
    repo: &Repository,
    old: Option<Oid>,
    new: Option<Oid>,
) -> Result<Vec<String>, CheckpointError> {
    Ok(changes(repo, old, new)?
        .into_iter()
        .map(|c| String::from_utf8_lossy(&c.path).into_owned())
        .collect())
}

type Entry = (u32, Oid);

fn compare_dirs(
    repo: &Repository,
    prefix: &[u8],
    old: Option<Oid>,
    new: Option<Oid>,
    out: &mut Vec<Change>,
) -> Result<(), CheckpointError> {
    if old == new {
        return Ok(());
    }
    let mut by_name: BTreeMap<Vec<u8>, (Option<Entry>, Option<Entry>)> = BTreeMap::new();
    for (name, e) in entries(repo, old)? {
        by_name.entry(name).or_default().0 = Some(e);
    }
    for (name, e) in entries(repo, new)? {
        by_name.entry(name).or_default().1 = Some(e);
    }
    for (name, (o, n)) in by_name {
        if o == n {
            continue;
        }
        let path = join(prefix, &name);
        let (o_tree, o_leaf) = split(o);
        let (n_tree, n_leaf) = split(n);
        if o_tree.is_some() || n_tree.is_some() {
            compare_dirs(repo, &path, o_tree, n_tree, out)?;
        }
        if o_leaf != n_leaf {
            out.push(Change {
                path,
                old: o_leaf,
                new: n_leaf,
            });
        }
    }
    Ok(())
}

/// The entries of a tree, with names checked: these paths are written to disk on restore, so a
/// tampered tree must not be able to name `..`, `.git` or an absolute path.
fn entries(repo: &Repository, tree: Option<Oid>) -> Result<Vec<(Vec<u8>, Entry)>, CheckpointError> {
    let Some(oid) = tree else {
        return Ok(Vec::new());
    };
    let tree = repo.find_tree(oid)?;
    let mut out = Vec::with_capacity(tree.len());
    for e in tree.iter() {
        let name = e.name_bytes();
        if !is_safe_name(name) {
            return Err(CheckpointError::Corrupt(format!(
                "tree {oid} has an entry named {:?}",
                String::from_utf8_lossy(name)
            )));
        }
        let mode = e.filemode() as u32;
        if mode != GITLINK {
            out.push((name.to_vec(), (mode, e.id())));
        }
    }
    Ok(out)
}

fn is_safe_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name != b"."
        && name != b".."
        && !name.eq_ignore_ascii_case(b".git")
        && !name.contains(&b'/')
        && !name.contains(&0)
}

/// An entry as (subtree, file): at most one is set.
fn split(e: Option<Entry>) -> (Option<Oid>, Option<Leaf>) {
    match e {
        Some((TREE, oid)) => (Some(oid), None),
        Some((mode, oid)) => (None, Some(Leaf { mode, oid })),
        None => (None, None),
    }
}

fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    if prefix.is_empty() {
        name.to_vec()
    } else {
        [prefix, b"/", name].concat()
    }
}
