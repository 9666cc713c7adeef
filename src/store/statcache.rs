//! The stat cache, as git's index does it: for each file of the last snapshot its stat data and
//! blob id, so a checkpoint reads and hashes only files whose stat changed; and the tree id of
//! each directory, so unchanged directories are not rebuilt. Persisted as a compact binary file
//! in the shadow repository and loaded once per process. A missing or unreadable cache only makes
//! the next checkpoint slower, never wrong: every entry is checked against a fresh `lstat`.

use super::error::{io_err, CheckpointError};
use super::scan::FileStat;
use super::tree::Leaf;
use git2::Oid;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

const MAGIC: &[u8; 8] = b"REINSSC1";

/// One file of the last snapshot. `trusted` is false when the file changed in the same clock
/// tick the scan started in: a later same-size write in that tick would leave the stat data
/// unchanged, so such a file is hashed again next time ("racily clean" in git's terms).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cached {
    pub stat: FileStat,
    pub leaf: Leaf,
    pub trusted: bool,
}

#[derive(Debug, Default)]
pub(crate) struct StatCache {
    pub files: BTreeMap<Vec<u8>, Cached>,
    /// Tree id per directory path (`""` is the root) of the last snapshot.
    pub dirs: BTreeMap<Vec<u8>, Oid>,
}

impl StatCache {
    /// The blob of `path` when its stat data is exactly what was hashed last time.
    pub fn lookup(&self, path: &[u8], stat: &FileStat) -> Option<Leaf> {
        self.files
            .get(path)
            .filter(|c| c.trusted && c.stat == *stat)
            .map(|c| c.leaf)
    }

    /// Reads the cache; empty when missing or not in the expected format.
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| decode(&bytes))
            .unwrap_or_default()
    }

    /// Replaces the cache file atomically, so a crash or a concurrent reins never leaves half a file.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut tmp =
            tempfile::NamedTempFile::new_in(dir).map_err(io_err("creating a file in", dir))?;
        tmp.write_all(&self.encode())
            .map_err(io_err("writing", tmp.path()))?;
        tmp.persist(path)
            .map_err(|e| io_err("replacing", path)(e.error))?;
        Ok(())
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.files.len() * 96);
        out.extend_from_slice(MAGIC);
        put_u32(&mut out, self.files.len() as u32);
        for (path, c) in &self.files {
            put_bytes(&mut out, path);
            out.extend_from_slice(&c.stat.size.to_le_bytes());
            out.extend_from_slice(&c.stat.mtime_ns.to_le_bytes());
            out.extend_from_slice(&c.stat.ctime_ns.to_le_bytes());
            out.extend_from_slice(&c.stat.ino.to_le_bytes());
            put_u32(&mut out, c.stat.mode);
            put_u32(&mut out, c.leaf.mode);
            out.push(u8::from(c.trusted));
            out.extend_from_slice(c.leaf.oid.as_bytes());
        }
        put_u32(&mut out, self.dirs.len() as u32);
        for (path, oid) in &self.dirs {
            put_bytes(&mut out, path);
            out.extend_from_slice(oid.as_bytes());
        }
        out
    }
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len() as u32);
    out.extend_from_slice(b);
}

fn decode(bytes: &[u8]) -> Option<StatCache> {
    let mut r = Reader { buf: bytes, pos: 0 };
    if r.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let mut cache = StatCache::default();
    for _ in 0..r.u32()? {
        let path = r.bytes()?;
        let stat = FileStat {
            size: r.u64()?,
            mtime_ns: r.u64()? as i64,
            ctime_ns: r.u64()? as i64,
            ino: r.u64()?,
            mode: r.u32()?,
        };
        let mode = r.u32()?;
        let trusted = r.take(1)?[0] == 1;
        let oid = r.oid()?;
        let leaf = Leaf { mode, oid };
        cache.files.insert(
            path,
            Cached {
                stat,
                leaf,
                trusted,
            },
        );
    }
    for _ in 0..r.u32()? {
        let path = r.bytes()?;
        cache.dirs.insert(path, r.oid()?);
    }
    (r.pos == bytes.len()).then_some(cache)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.u32()? as usize;
        Some(self.take(n)?.to_vec())
    }
    fn oid(&mut self) -> Option<Oid> {
        Oid::from_bytes(self.take(20)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let mut c = StatCache::default();
        let stat = FileStat {
            size: 3,
            mtime_ns: -5,
            ctime_ns: 7,
            ino: 9,
            mode: 0o100644,
        };
        let leaf = Leaf {
            mode: 0o100644,
            oid: Oid::hash_object(git2::ObjectType::Blob, b"abc").unwrap(),
        };
        c.files.insert(
            b"a/b".to_vec(),
            Cached {
                stat,
                leaf,
                trusted: true,
            },
        );
        c.dirs.insert(b"a".to_vec(), leaf.oid);
        let d = decode(&c.encode()).unwrap();
        assert_eq!(d.lookup(b"a/b", &stat), Some(leaf));
        assert_eq!(d.dirs.get(b"a".as_slice()), Some(&leaf.oid));
        let mut bad = c.encode();
        bad.pop();
        assert!(decode(&bad).is_none());
    }
}
