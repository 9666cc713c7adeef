//! The index behind `reins sessions`: one row per transcript holding what the listing shows, in
//! an SQLite database beside the transcripts (`sessions/index.sqlite`), so listing a thousand
//! long sessions reads a thousand rows instead of every line of every transcript.
//!
//! Transcripts stay the source of truth. A row records the length, modification time and inode
//! of the transcript it summarises and how many bytes of it were read; a transcript that no
//! longer matches is read again, only from where the row stopped when it merely grew (they are
//! append-only). A stale, missing or damaged index (deleted, from an older reins, left by a
//! crash) therefore costs time, never a wrong listing: it is rebuilt from the transcripts. A
//! session refreshes its own row when it starts and when its transcript is closed (see
//! `transcript`), so a listing usually reads no transcript at all.
//!
//! The database is a cache: it is written without fsync; a damaged one (not a database, or
//! corrupt) is deleted and rebuilt, a table of another layout is rebuilt in place, and any
//! other failure (locked, permission refused) is reported and leaves the file alone.

use super::summary::{self, LineKind, SessionInfo};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(super) const INDEX_FILE: &str = "index.sqlite";
/// Bumped whenever the table changes: an index of another version is rebuilt.
const SCHEMA_VERSION: i64 = 2;
const CREATE: &str = "CREATE TABLE sessions (
    file TEXT PRIMARY KEY,
    len INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL,
    read INTEGER NOT NULL,
    id TEXT NOT NULL, workspace TEXT NOT NULL,
    started_at INTEGER NOT NULL, started_ns INTEGER NOT NULL,
    prompt TEXT NOT NULL, steps INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
    cost_usd REAL, status TEXT NOT NULL, subagent TEXT
);";

/// How both caches in the database (this index and the cost ledger) are written: waiting up to
/// 5 s for another session's lock, without fsync (a cache), and with a rollback journal that is
/// kept between transactions and zeroed, not created and deleted each time (two file creations
/// less per session end; the journal protects a transaction exactly as before).
pub(super) fn tune(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update_and_check(None, "journal_mode", "PERSIST", |r| r.get::<_, String>(0))
        .map(drop)
}

/// Whether `e` says the file is not a usable database (damaged, or not SQLite at all): only
/// then is the cache deleted and rebuilt. A lock another process holds, a permission refused or
/// a full disk are reported instead: deleting the file would not cure them, and would throw
/// away the index (and the cost ledger that shares the file) for every other reader.
pub(super) fn is_damaged(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("session index {path}: {source}")]
    Db {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("reading transcript {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The open index of one sessions directory.
pub(crate) struct SessionIndex {
    conn: Connection,
    dir: PathBuf,
}

/// A transcript's identity on disk: when it differs from a row's, the row is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileKey {
    len: u64,
    mtime_ns: i64,
    ino: u64,
}

impl FileKey {
    fn of(meta: &std::fs::Metadata) -> Self {
        FileKey {
            len: meta.len(),
            mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            ino: meta.ino(),
        }
    }
}

/// One row: the summary, the file it came from and how far it was read.
struct Row {
    key: FileKey,
    /// Bytes read: up to the end of the last complete line.
    read: u64,
    info: SessionInfo,
}

impl SessionIndex {
    /// Opens (creating, or rebuilding when damaged or of another version) the index of the
    /// sessions directory `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Self, IndexError> {
        let path = dir.join(INDEX_FILE);
        match Self::open_at(dir, &path) {
            // A cache: a damaged one is started afresh.
            Err(IndexError::Db { source, .. }) if is_damaged(&source) => {
                let _ = std::fs::remove_file(&path);
                Self::open_at(dir, &path)
            }
            other => other,
        }
    }

    fn open_at(dir: &Path, path: &Path) -> Result<Self, IndexError> {
        let db = |source| IndexError::Db {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(db)?;
        tune(&conn).map_err(db)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(db)?;
        if version != SCHEMA_VERSION {
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE;
                 DROP TABLE IF EXISTS sessions;
                 {CREATE}
                 PRAGMA user_version = {SCHEMA_VERSION};
                 COMMIT;"
            ))
            .map_err(db)?;
        }
        // Proves the table has the expected columns before anyone relies on it; a table of an
        // old layout under the current version number (a reins that forgot to bump it) is
        // rebuilt rather than trusted.
        let layout = conn.prepare(SELECT).map(drop);
        match layout {
            Err(e) if is_old_layout(&e) => {
                conn.execute_batch(&format!("DROP TABLE IF EXISTS sessions; {CREATE}"))
                    .map_err(db)?;
                conn.prepare(SELECT).map_err(db)?;
            }
            other => other.map_err(db)?,
        }
        Ok(SessionIndex {
            conn,
            dir: dir.to_path_buf(),
        })
    }

    fn db(&self, source: rusqlite::Error) -> IndexError {
        IndexError::Db {
            path: self.dir.join(INDEX_FILE),
            source,
        }
    }

    /// Every session of the directory, summarised: rows still matching their transcript as
    /// they are, the others read again (from where they stopped when the file only grew), rows
    /// of deleted transcripts dropped. Unordered.
    pub(crate) fn refresh_all(&mut self) -> Result<Vec<SessionInfo>, IndexError> {
        let mut rows = self.rows()?;
        let entries = std::fs::read_dir(&self.dir).map_err(|source| IndexError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let mut out = Vec::new();
        let mut changed = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "jsonl") {
                continue;
            }
            let Some(file) = file_name(&path) else {
                continue;
            };
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            let key = FileKey::of(&meta);
            let old = rows.remove(&file);
            match old {
                Some(row) if row.key == key => out.push(SessionInfo { path, ..row.info }),
                old => {
                    let Ok(row) = read_row(&path, key, old) else {
                        continue;
                    };
                    out.push(row.info.clone());
                    changed.push((file, row));
                }
            }
        }
        let gone: Vec<String> = rows.into_keys().collect();
        self.store(&changed, &gone)?;
        Ok(out)
    }

    /// Brings the row of one transcript up to date (a session starting or ending).
    pub(crate) fn refresh_one(&mut self, path: &Path) -> Result<(), IndexError> {
        let Some(file) = file_name(path) else {
            return Ok(());
        };
        let meta = std::fs::metadata(path).map_err(|source| IndexError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let key = FileKey::of(&meta);
        let old = self.row(&file)?;
        if old.as_ref().is_some_and(|r| r.key == key) {
            return Ok(());
        }
        let row = read_row(path, key, old)?;
        self.store(&[(file, row)], &[])
    }

    fn rows(&self) -> Result<HashMap<String, Row>, IndexError> {
        let mut stmt = self.conn.prepare(SELECT).map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([], decode)
            .map_err(|e| self.db(e))?
            .collect::<Result<HashMap<_, _>, _>>()
            .map_err(|e| self.db(e))?;
        Ok(rows)
    }

    fn row(&self, file: &str) -> Result<Option<Row>, IndexError> {
        let sql = format!("{SELECT} WHERE file = ?1");
        self.conn
            .query_row(&sql, [file], decode)
            .optional()
            .map(|r| r.map(|(_, row)| row))
            .map_err(|e| self.db(e))
    }

    fn store(&mut self, changed: &[(String, Row)], gone: &[String]) -> Result<(), IndexError> {
        if changed.is_empty() && gone.is_empty() {
            return Ok(());
        }
        let path = self.dir.join(INDEX_FILE);
        let db = |source| IndexError::Db {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(db)?;
        {
            let mut upsert = tx.prepare(UPSERT).map_err(db)?;
            for (file, row) in changed {
                let i = &row.info;
                upsert
                    .execute(params![
                        file,
                        row.key.len as i64,
                        row.key.mtime_ns,
                        row.key.ino as i64,
                        row.read as i64,
                        i.id,
                        i.workspace,
                        i.started_at as i64,
                        i.started_ns as i64,
                        i.prompt,
                        i.steps as i64,
                        i.input_tokens as i64,
                        i.output_tokens as i64,
                        i.cost_usd,
                        i.status,
                        i.subagent,
                    ])
                    .map_err(db)?;
            }
            let mut delete = tx
                .prepare("DELETE FROM sessions WHERE file = ?1")
                .map_err(db)?;
            for file in gone {
                delete.execute([file]).map_err(db)?;
            }
        }
        tx.commit().map_err(db)
    }
}

const SELECT: &str = "SELECT file, len, mtime_ns, ino, read, id, workspace, started_at, \
    started_ns, prompt, steps, input_tokens, output_tokens, cost_usd, status, subagent FROM sessions";

const UPSERT: &str = "INSERT OR REPLACE INTO sessions (file, len, mtime_ns, ino, read, id, \
    workspace, started_at, started_ns, prompt, steps, input_tokens, output_tokens, cost_usd, \
    status, subagent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";

fn decode(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Row)> {
    let file: String = r.get(0)?;
    let n = |i: usize| r.get::<_, i64>(i).map(|v| v as u64);
    let row = Row {
        key: FileKey {
            len: n(1)?,
            mtime_ns: r.get(2)?,
            ino: n(3)?,
        },
        read: n(4)?,
        info: SessionInfo {
            id: r.get(5)?,
            workspace: r.get(6)?,
            started_at: n(7)?,
            started_ns: n(8)?,
            prompt: r.get(9)?,
            steps: n(10)?,
            input_tokens: n(11)?,
            output_tokens: n(12)?,
            cost_usd: r.get(13)?,
            status: r.get(14)?,
            path: PathBuf::new(),
            subagent: r.get(15)?,
        },
    };
    Ok((file, row))
}

/// The transcript's file name, the key of its row.
fn file_name(path: &Path) -> Option<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
}

/// Summarises the transcript at `path`, continuing `old` when the file only grew since.
fn read_row(path: &Path, key: FileKey, old: Option<Row>) -> Result<Row, IndexError> {
    let io = |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    };
    let (mut info, start) = match old {
        Some(row) if row.key.ino == key.ino && row.read <= key.len => (row.info, row.read),
        _ => (SessionInfo::fresh(path), 0),
    };
    info.path = path.to_path_buf();
    let mut file = std::fs::File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut read = start;
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(io)?;
        // A line still being written (no newline yet) is read next time, whole.
        if n == 0 || !line.ends_with('\n') {
            break;
        }
        read += n as u64;
        let text = line.trim_end();
        if !text.is_empty() {
            // A damaged line is skipped here as a resume skips it (it warns there).
            let _: Result<LineKind, _> = summary::apply(&mut info, text);
        }
    }
    Ok(Row { key, read, info })
}

/// Brings the index row of the transcript at `path` up to date; a failure only means the next
/// listing reads that transcript itself.
pub(crate) fn index_transcript(path: &Path) {
    if let Some(dir) = path.parent() {
        let _ = SessionIndex::open(dir).and_then(|mut index| index.refresh_one(path));
    }
}

/// A statement the table cannot answer (a column missing): SQLite's generic error, never a
/// lock or an I/O failure.
fn is_old_layout(e: &rusqlite::Error) -> bool {
    let code = match e {
        rusqlite::Error::SqlInputError { error, .. } => Some(error.code),
        other => other.sqlite_error_code(),
    };
    code == Some(rusqlite::ErrorCode::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_of_an_old_layout_is_rebuilt_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(INDEX_FILE);
        let old = Connection::open(&path).unwrap();
        old.execute_batch(&format!(
            "CREATE TABLE sessions (file TEXT); PRAGMA user_version = {SCHEMA_VERSION};"
        ))
        .unwrap();
        drop(old);
        let mut index = SessionIndex::open(dir.path()).unwrap();
        assert!(index.refresh_all().unwrap().is_empty());
    }

    /// The journal is kept and zeroed between transactions: a session's end creates no file.
    #[test]
    fn the_journal_is_kept_between_transactions() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = SessionIndex::open(dir.path()).unwrap();
        index.refresh_all().unwrap();
        let mode: String = index
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "persist");
        let journal = dir.path().join(format!("{INDEX_FILE}-journal"));
        assert!(journal.exists(), "kept after the schema's transaction");
    }

    #[test]
    fn only_damage_counts_as_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(INDEX_FILE);
        std::fs::write(
            &path,
            "not a database, but long enough to be read as a header",
        )
        .unwrap();
        let conn = Connection::open(&path).unwrap();
        let e = conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .unwrap_err();
        assert!(is_damaged(&e), "{e}");
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert!(!is_damaged(&busy));
    }
}
