//! Writing packs, and merging the small packs turns leave. A turn with more than a few new objects writes them as a
//! pack (`turn_staging`), so a long session adds a pack per turn; every lookup of an object not
//! yet seen may search each pack's index. Past [`MAX_PACKS`], the small packs are copied into one
//! and then removed. Only packs whose every object is in the new pack are removed, and only after
//! it is complete, so a session using the store meanwhile finds each object in one or the other;
//! a pack another session adds meanwhile is not listed, so it is not touched.

use super::error::{io_err, CheckpointError};
use super::CheckpointStore;
use git2::{Buf, Odb, Oid, Repository};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Packs a store may hold before its small ones are merged.
pub(super) const MAX_PACKS: usize = 32;

/// Packs up to this size are merged; larger ones (a collection's pack) are left alone.
const SMALL_PACK_BYTES: u64 = 16 * 1024 * 1024;

impl CheckpointStore {
    /// Merges the small packs into one when there are more than [`MAX_PACKS`] packs; whether
    /// it did.
    pub(super) fn merge_small_packs(&self) -> Result<bool, CheckpointError> {
        let pack_dir = self.disk.path().join("objects/pack");
        let packs = list_packs(&pack_dir)?;
        if packs.len() <= MAX_PACKS {
            return Ok(false);
        }
        let small: Vec<&Pack> = packs
            .iter()
            .filter(|p| p.bytes <= SMALL_PACK_BYTES)
            .collect();
        if small.len() < 2 {
            return Ok(false);
        }
        let mut seen = HashSet::new();
        let mut ids = Vec::new();
        for pack in &small {
            ids.extend(
                object_ids(&pack.index)?
                    .into_iter()
                    .filter(|id| seen.insert(*id)),
            );
        }
        write_pack(&self.disk, &self.disk.odb()?, &ids)?;
        for pack in small {
            for path in [&pack.index, &pack.data] {
                std::fs::remove_file(path).map_err(io_err("removing", path))?;
            }
        }
        Ok(true)
    }
}

/// Writes the objects `ids` of `from` to `to` as one pack.
pub(super) fn write_pack(
    from: &Repository,
    to: &Odb<'_>,
    ids: &[Oid],
) -> Result<(), CheckpointError> {
    let mut packer = from.packbuilder()?;
    for id in ids {
        packer.insert_object(*id, None)?;
    }
    let mut bytes = Buf::new();
    packer.write_buf(&mut bytes)?;
    let mut writer = to.packwriter()?;
    writer
        .write_all(&bytes)
        .map_err(io_err("writing a pack in", from.path()))?;
    writer.commit()?;
    Ok(())
}

/// One pack: its data file, its index and the data's size.
struct Pack {
    data: PathBuf,
    index: PathBuf,
    bytes: u64,
}

/// The packs with both files present, as git names them (`pack-<hash>.pack` and `.idx`).
fn list_packs(pack_dir: &Path) -> Result<Vec<Pack>, CheckpointError> {
    let entries = match std::fs::read_dir(pack_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("listing", pack_dir)(e)),
    };
    let mut packs = Vec::new();
    for entry in entries.flatten() {
        let data = entry.path();
        let is_pack = data.extension().is_some_and(|e| e == "pack")
            && data
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("pack-"));
        let index = data.with_extension("idx");
        if !is_pack || !index.is_file() {
            continue;
        }
        let bytes = entry.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        packs.push(Pack { data, index, bytes });
    }
    Ok(packs)
}

/// The object ids a version 2 pack index lists: a magic and version, a 256-entry fan-out whose
/// last entry is the count, then the sorted 20-byte ids.
fn object_ids(index: &Path) -> Result<Vec<Oid>, CheckpointError> {
    let bytes = std::fs::read(index).map_err(io_err("reading", index))?;
    let malformed = || CheckpointError::Io {
        context: format!("reading the pack index {}", index.display()),
        source: std::io::Error::other("not a version 2 pack index"),
    };
    const HEADER: usize = 8;
    const FANOUT: usize = 256 * 4;
    if bytes.len() < HEADER + FANOUT || bytes[..8] != [0xff, b't', b'O', b'c', 0, 0, 0, 2] {
        return Err(malformed());
    }
    let count_at = HEADER + FANOUT - 4;
    let count = u32::from_be_bytes([
        bytes[count_at],
        bytes[count_at + 1],
        bytes[count_at + 2],
        bytes[count_at + 3],
    ]) as usize;
    let ids = bytes
        .get(HEADER + FANOUT..HEADER + FANOUT + count * 20)
        .ok_or_else(malformed)?;
    ids.chunks_exact(20)
        .map(|id| Oid::from_bytes(id).map_err(CheckpointError::from))
        .collect()
}
