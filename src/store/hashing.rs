//! Storing file contents as blobs. A few files become loose objects; a large batch (a first
//! checkpoint, a branch switch) is staged in memory and written as packs instead, because creating
//! thousands of small object files costs far more in filesystem metadata than hashing does.

use super::error::CheckpointError;
use super::packs::write_pack;
use super::scan::Scanned;
use super::tree::Leaf;
use git2::Repository;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

/// From this many files on, a batch goes into a pack.
const PACK_FROM: usize = 512;
/// File content staged in memory before a pack is written out, bounding memory on huge trees.
const PACK_BATCH_BYTES: u64 = 64 * 1024 * 1024;

/// The blob of each file in `todo`, in order; `None` for a file that vanished or cannot be read
/// since the scan (it is then left out, like an ignored file).
pub(crate) fn hash_files(
    repo: &Repository,
    workspace: &Path,
    todo: &[&Scanned],
) -> Result<Vec<Option<Leaf>>, CheckpointError> {
    if todo.len() < PACK_FROM {
        return todo.iter().map(|s| hash_one(repo, workspace, s)).collect();
    }
    let mut out = Vec::with_capacity(todo.len());
    for batch in batches(todo) {
        out.extend(hash_into_pack(repo, workspace, batch)?);
    }
    Ok(out)
}

/// Splits `todo` into runs of at most `PACK_BATCH_BYTES` of content (and at least one file).
fn batches<'a>(todo: &'a [&'a Scanned]) -> Vec<&'a [&'a Scanned]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, s) in todo.iter().enumerate() {
        if bytes > 0 && bytes + s.stat.size > PACK_BATCH_BYTES {
            out.push(&todo[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += s.stat.size;
    }
    out.push(&todo[start..]);
    out
}

/// Hashes a batch into an in-memory object store on a second handle of the shadow repository,
/// then writes the objects not already stored as one pack. The packer is configured (see
/// `shadow`) not to search for deltas, which would cost seconds on a large first checkpoint.
fn hash_into_pack(
    repo: &Repository,
    workspace: &Path,
    batch: &[&Scanned],
) -> Result<Vec<Option<Leaf>>, CheckpointError> {
    let staging = Repository::open_bare(repo.path())?;
    let staging_odb = staging.odb()?;
    let mempack = staging_odb.add_new_mempack_backend(super::turn_staging::STAGING_PRIORITY)?;
    let leaves = batch
        .iter()
        .map(|s| hash_one(&staging, workspace, s))
        .collect::<Result<Vec<_>, _>>()?;
    let stored = repo.odb()?;
    let new: Vec<git2::Oid> = leaves
        .iter()
        .flatten()
        .map(|leaf| leaf.oid)
        .filter(|oid| !stored.exists(*oid))
        .collect();
    if !new.is_empty() {
        write_pack(&staging, &staging_odb, &new)?;
    }
    mempack.reset()?;
    Ok(leaves)
}

/// Stores the file's content (a symlink's target, for a symlink) as a blob.
fn hash_one(
    repo: &Repository,
    workspace: &Path,
    s: &Scanned,
) -> Result<Option<Leaf>, CheckpointError> {
    let path = workspace.join(std::ffi::OsStr::from_bytes(&s.path));
    let content = if s.stat.is_symlink() {
        std::fs::read_link(&path).map(|t| t.into_os_string().into_vec())
    } else {
        std::fs::read(&path)
    };
    let Ok(content) = content else {
        return Ok(None);
    };
    // Through the object database, not `Repository::blob`: that streams every blob into a new
    // temporary file first, even one already stored (an unchanged file the stat cache could not
    // vouch for, or an edit undone), and creating a file is the dearest thing a snapshot does.
    let oid = repo.odb()?.write(git2::ObjectType::Blob, &content)?;
    Ok(Some(Leaf {
        mode: s.stat.git_mode(),
        oid,
    }))
}
