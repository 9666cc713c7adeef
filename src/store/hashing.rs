//! Storing file contents as blobs. Writing loose objects is most of a first checkpoint's cost,
//! so a large batch is spread over a few threads, each with its own handle on the shadow
//! repository (a libgit2 repository must not be shared between threads; its object store can).

use super::error::CheckpointError;
use super::scan::Scanned;
use super::tree::Leaf;
use git2::Repository;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

/// Below this many files, starting threads costs more than it saves.
const PARALLEL_FROM: usize = 256;
const MAX_THREADS: usize = 4;

/// The blob of each file in `todo`, in order; `None` for a file that vanished or cannot be read
/// since the scan (it is then left out, like an ignored file).
pub(crate) fn hash_files(
    repo: &Repository,
    workspace: &Path,
    todo: &[&Scanned],
) -> Result<Vec<Option<Leaf>>, CheckpointError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS);
    if todo.len() < PARALLEL_FROM || threads < 2 {
        return hash_all(repo, workspace, todo);
    }
    let _ = threads;
    hash_into_pack(repo.path(), workspace, todo)
}

fn hash_into_pack(
    dir: &Path,
    workspace: &Path,
    todo: &[&Scanned],
) -> Result<Vec<Option<Leaf>>, CheckpointError> {
    let t = std::time::Instant::now();
    let repo = Repository::open_bare(dir)?;
    let odb = repo.odb()?;
    let mempack = odb.add_new_mempack_backend(1000)?;
    let leaves = hash_all(&repo, workspace, todo)?;
    eprintln!("mempack writes {:?}", t.elapsed());
    let mut buf = git2::Buf::new();
    let mut pb = repo.packbuilder()?;
    for l in leaves.iter().flatten() {
        pb.insert_object(l.oid, None)?;
    }
    pb.write_buf(&mut buf)?;
    drop(pb);
    eprintln!("dump {:?} {} bytes", t.elapsed(), buf.len());
    let mut w = odb.packwriter()?;
    std::io::Write::write_all(&mut w, &buf).map_err(|e| CheckpointError::Io {
        context: "pack".into(),
        source: e,
    })?;
    w.commit()?;
    eprintln!("packwriter {:?}", t.elapsed());
    mempack.reset()?;
    Ok(leaves)
}

fn hash_all(
    repo: &Repository,
    workspace: &Path,
    todo: &[&Scanned],
) -> Result<Vec<Option<Leaf>>, CheckpointError> {
    todo.iter().map(|s| hash_one(repo, workspace, s)).collect()
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
    let oid = repo.blob(&content)?;
    Ok(Some(Leaf {
        mode: s.stat.git_mode(),
        oid,
    }))
}
