//! The cost ledger behind `reins usage`: per session and model, the tokens (input, cached,
//! output, reasoning when the provider reports it), requests and cost, and the session's day,
//! workspace, workflow and route, in two tables of the session index's database
//! (`sessions/index.sqlite`) beside the `sessions` table `reins sessions` reads.
//!
//! Like that table it is a cache of the transcripts, kept up to date the same way: a row records
//! the length, modification time and inode of its transcript and how far it was read; a
//! transcript that grew is read on from there (they are append-only), one that changed otherwise
//! is read again, one that is gone loses its rows. A session brings its own rows up to date when
//! its transcript is closed, so a query stats the transcripts and reads none. The tables carry
//! their own version (a row in `ledger_version`) so they never disturb the `sessions` table's.

mod reading;

use reading::{read_entry, Entry, FileKey, ModelUse};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::session_index::{is_damaged, tune, INDEX_FILE};

/// Bumped whenever the ledger's tables or what a row counts change: tables of another version
/// are rebuilt from the transcripts. 2: subagents' roll-up lines are no longer counted twice.
const LEDGER_VERSION: i64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cost ledger {path}: {source}")]
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

/// A route's top rung as the session saw it when it started; prices in USD per million tokens,
/// absent when the model has none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TopRung {
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_price: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input_price: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_price: Option<f64>,
}

/// What a query groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// The UTC day the session started.
    Day,
    Model,
    Workflow,
    Workspace,
    Route,
}

/// One line of the ledger: a group's totals.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LedgerRow {
    pub key: String,
    pub sessions: u64,
    /// Model requests (the steps of the sessions, and compactions).
    pub steps: u64,
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    /// Over the priced requests; `None` when none was priced.
    pub cost_usd: Option<f64>,
    /// Requests whose cost was unknown (a model without prices): the cost is a lower bound.
    pub unpriced_requests: u64,
    /// Of routed sessions: what their cost was, and what the same tokens would have cost on
    /// their route's top rung (`None` when it has no prices or no session was routed).
    pub routed_cost_usd: Option<f64>,
    pub top_rung_cost_usd: Option<f64>,
}

/// The open ledger of one sessions directory.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    dir: PathBuf,
}

impl Ledger {
    /// Opens the ledger of the sessions directory `dir`, creating (or, when of another version,
    /// rebuilding) its tables; a damaged database is deleted and started afresh, any other
    /// failure (a lock held too long, a permission refused) is returned and the file kept.
    pub fn open(dir: &Path) -> Result<Self, LedgerError> {
        let path = dir.join(INDEX_FILE);
        match Self::open_at(dir, &path) {
            Err(LedgerError::Db { source, .. }) if is_damaged(&source) => {
                let _ = std::fs::remove_file(&path);
                Self::open_at(dir, &path)
            }
            other => other,
        }
    }

    fn open_at(dir: &Path, path: &Path) -> Result<Self, LedgerError> {
        let db = |source| LedgerError::Db {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|source| LedgerError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let conn = Connection::open(path).map_err(db)?;
        tune(&conn).map_err(db)?;
        conn.execute_batch("CREATE TABLE IF NOT EXISTS ledger_version (v INTEGER NOT NULL)")
            .map_err(db)?;
        let version: Option<i64> = conn
            .query_row("SELECT max(v) FROM ledger_version", [], |r| r.get(0))
            .optional()
            .map_err(db)?
            .flatten();
        if version != Some(LEDGER_VERSION) {
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE;
                 DROP TABLE IF EXISTS ledger_sessions;
                 DROP TABLE IF EXISTS ledger_models;
                 CREATE TABLE ledger_sessions (
                     file TEXT PRIMARY KEY,
                     len INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL,
                     read INTEGER NOT NULL, started_at INTEGER NOT NULL,
                     workspace TEXT NOT NULL, workflow TEXT, route TEXT,
                     top_model TEXT, top_input REAL, top_cached REAL, top_output REAL
                 );
                 CREATE TABLE ledger_models (
                     file TEXT NOT NULL, model TEXT NOT NULL,
                     requests INTEGER NOT NULL, input INTEGER NOT NULL, cached INTEGER NOT NULL,
                     output INTEGER NOT NULL, reasoning INTEGER NOT NULL, cost REAL,
                     priced INTEGER NOT NULL,
                     PRIMARY KEY (file, model)
                 );
                 DELETE FROM ledger_version;
                 INSERT INTO ledger_version (v) VALUES ({LEDGER_VERSION});
                 COMMIT;"
            ))
            .map_err(db)?;
        }
        Ok(Ledger {
            conn,
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
        })
    }

    fn db(&self, source: rusqlite::Error) -> LedgerError {
        LedgerError::Db {
            path: self.path.clone(),
            source,
        }
    }

    /// Brings every row up to date: stats each transcript, reads only those that changed (from
    /// where their row stopped when they only grew), drops rows of deleted ones.
    pub fn refresh(&mut self) -> Result<(), LedgerError> {
        let mut known = self.keys()?;
        let entries = std::fs::read_dir(&self.dir).map_err(|source| LedgerError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let mut stale = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "jsonl") {
                continue;
            }
            let (Some(file), Ok(meta)) = (file_name(&path), entry.metadata()) else {
                continue;
            };
            let key = FileKey::of(&meta);
            if known.remove(&file) != Some(key) {
                stale.push((file, path, key));
            }
        }
        let gone: Vec<String> = known.into_keys().collect();
        let mut changed = Vec::new();
        for (file, path, key) in stale {
            let old = self.entry(&file)?;
            if let Ok(e) = read_entry(&path, key, old) {
                changed.push((file, e));
            }
        }
        self.store(&changed, &gone)
    }

    /// Brings the rows of one transcript up to date (its session has ended).
    pub fn refresh_one(&mut self, path: &Path) -> Result<(), LedgerError> {
        let Some(file) = file_name(path) else {
            return Ok(());
        };
        let meta = std::fs::metadata(path).map_err(|source| LedgerError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let key = FileKey::of(&meta);
        let old = self.entry(&file)?;
        if old.as_ref().and_then(|e| e.key) == Some(key) {
            return Ok(());
        }
        let e = read_entry(path, key, old)?;
        self.store(&[(file, e)], &[])
    }

    fn keys(&self) -> Result<HashMap<String, FileKey>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT file, len, mtime_ns, ino FROM ledger_sessions")
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    FileKey {
                        len: r.get::<_, i64>(1)? as u64,
                        mtime_ns: r.get(2)?,
                        ino: r.get::<_, i64>(3)? as u64,
                    },
                ))
            })
            .map_err(|e| self.db(e))?
            .collect::<Result<HashMap<_, _>, _>>()
            .map_err(|e| self.db(e))?;
        Ok(rows)
    }

    /// The stored state of one transcript, to continue reading it.
    fn entry(&self, file: &str) -> Result<Option<Entry>, LedgerError> {
        let head = self
            .conn
            .query_row(
                "SELECT len, mtime_ns, ino, read, started_at, workspace, workflow, route, \
                 top_model, top_input, top_cached, top_output FROM ledger_sessions WHERE file = ?1",
                [file],
                |r| {
                    let top = r.get::<_, Option<String>>(8)?.map(|model| TopRung {
                        model,
                        input_price: r.get(9).ok().flatten(),
                        cached_input_price: r.get(10).ok().flatten(),
                        output_price: r.get(11).ok().flatten(),
                    });
                    Ok(Entry {
                        key: Some(FileKey {
                            len: r.get::<_, i64>(0)? as u64,
                            mtime_ns: r.get(1)?,
                            ino: r.get::<_, i64>(2)? as u64,
                        }),
                        read: r.get::<_, i64>(3)? as u64,
                        started_at: r.get::<_, i64>(4)? as u64,
                        workspace: r.get(5)?,
                        workflow: r.get(6)?,
                        route: r.get(7)?,
                        top,
                        models: BTreeMap::new(),
                    })
                },
            )
            .optional()
            .map_err(|e| self.db(e))?;
        let Some(mut entry) = head else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT model, requests, input, cached, output, reasoning, cost, priced \
                 FROM ledger_models WHERE file = ?1",
            )
            .map_err(|e| self.db(e))?;
        let models = stmt
            .query_map([file], |r| {
                let n = |i: usize| r.get::<_, i64>(i).map(|v| v as u64);
                Ok((
                    r.get::<_, String>(0)?,
                    ModelUse {
                        requests: n(1)?,
                        input: n(2)?,
                        cached: n(3)?,
                        output: n(4)?,
                        reasoning: n(5)?,
                        cost: r.get(6)?,
                        priced: n(7)?,
                    },
                ))
            })
            .map_err(|e| self.db(e))?
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map_err(|e| self.db(e))?;
        entry.models = models;
        Ok(Some(entry))
    }

    fn store(&mut self, changed: &[(String, Entry)], gone: &[String]) -> Result<(), LedgerError> {
        if changed.is_empty() && gone.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let db = |source| LedgerError::Db {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(db)?;
        {
            let mut del_models = tx
                .prepare("DELETE FROM ledger_models WHERE file = ?1")
                .map_err(db)?;
            let mut del_session = tx
                .prepare("DELETE FROM ledger_sessions WHERE file = ?1")
                .map_err(db)?;
            for file in gone {
                del_models.execute([file]).map_err(db)?;
                del_session.execute([file]).map_err(db)?;
            }
            let mut session = tx
                .prepare(
                    "INSERT OR REPLACE INTO ledger_sessions (file, len, mtime_ns, ino, read, \
                     started_at, workspace, workflow, route, top_model, top_input, top_cached, \
                     top_output) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )
                .map_err(db)?;
            let mut model = tx
                .prepare(
                    "INSERT INTO ledger_models (file, model, requests, input, cached, output, \
                     reasoning, cost, priced) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(db)?;
            for (file, e) in changed {
                let key = e.key.unwrap_or(FileKey {
                    len: 0,
                    mtime_ns: 0,
                    ino: 0,
                });
                let top = e.top.as_ref();
                session
                    .execute(params![
                        file,
                        key.len as i64,
                        key.mtime_ns,
                        key.ino as i64,
                        e.read as i64,
                        e.started_at as i64,
                        e.workspace,
                        e.workflow,
                        e.route,
                        top.map(|t| t.model.clone()),
                        top.and_then(|t| t.input_price),
                        top.and_then(|t| t.cached_input_price),
                        top.and_then(|t| t.output_price),
                    ])
                    .map_err(db)?;
                del_models.execute([file]).map_err(db)?;
                for (name, m) in &e.models {
                    model
                        .execute(params![
                            file,
                            name,
                            m.requests as i64,
                            m.input as i64,
                            m.cached as i64,
                            m.output as i64,
                            m.reasoning as i64,
                            m.cost,
                            m.priced as i64,
                        ])
                        .map_err(db)?;
                }
            }
        }
        tx.commit().map_err(db)
    }

    /// The totals per group of the sessions started at or after `since` (seconds since the
    /// epoch), largest cost first, then by key.
    pub fn query(&self, since: Option<u64>, by: GroupBy) -> Result<Vec<LedgerRow>, LedgerError> {
        let key = match by {
            GroupBy::Day => "date(s.started_at, 'unixepoch')",
            GroupBy::Model => "m.model",
            GroupBy::Workflow => "coalesce(s.workflow, '-')",
            GroupBy::Workspace => "s.workspace",
            GroupBy::Route => "coalesce(s.route, '-')",
        };
        // A top-rung price missing means "no price": the routed session's figure then is NULL
        // and the sum says only what is known.
        let sql = format!(
            "SELECT {key} AS k, count(DISTINCT s.file), sum(m.requests), sum(m.input), \
             sum(m.cached), sum(m.output), sum(m.reasoning), sum(m.cost), \
             sum(m.requests - m.priced), \
             sum(CASE WHEN s.route IS NOT NULL THEN coalesce(m.cost, 0) END), \
             sum(CASE WHEN s.route IS NOT NULL THEN \
                 ((m.input - m.cached) * s.top_input + m.cached * s.top_cached \
                  + m.output * s.top_output) / 1000000.0 END) \
             FROM ledger_sessions s JOIN ledger_models m ON m.file = s.file \
             WHERE s.started_at >= ?1 GROUP BY k"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.db(e))?;
        let since = since.unwrap_or(0) as i64;
        let mut rows = stmt
            .query_map([since], |r| {
                let n = |i: usize| r.get::<_, Option<i64>>(i).map(|v| v.unwrap_or(0) as u64);
                Ok(LedgerRow {
                    key: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    sessions: n(1)?,
                    steps: n(2)?,
                    input_tokens: n(3)?,
                    cached_input_tokens: n(4)?,
                    output_tokens: n(5)?,
                    reasoning_tokens: n(6)?,
                    cost_usd: r.get(7)?,
                    unpriced_requests: n(8)?,
                    routed_cost_usd: r.get(9)?,
                    top_rung_cost_usd: r.get(10)?,
                })
            })
            .map_err(|e| self.db(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.db(e))?;
        rows.sort_by(|a, b| {
            b.cost_usd
                .unwrap_or(0.0)
                .total_cmp(&a.cost_usd.unwrap_or(0.0))
                .then_with(|| a.key.cmp(&b.key))
        });
        if by == GroupBy::Day {
            rows.sort_by(|a, b| a.key.cmp(&b.key));
        }
        Ok(rows)
    }

    /// Every session started at or after `since`, summed (sessions counted once).
    pub fn total(&self, since: Option<u64>) -> Result<LedgerRow, LedgerError> {
        let rows = self.query(since, GroupBy::Day)?;
        let add = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (None, None) => None,
            (x, y) => Some(x.unwrap_or(0.0) + y.unwrap_or(0.0)),
        };
        Ok(rows.into_iter().fold(
            LedgerRow {
                key: "total".into(),
                ..Default::default()
            },
            |t, r| LedgerRow {
                key: t.key,
                sessions: t.sessions + r.sessions,
                steps: t.steps + r.steps,
                input_tokens: t.input_tokens + r.input_tokens,
                cached_input_tokens: t.cached_input_tokens + r.cached_input_tokens,
                output_tokens: t.output_tokens + r.output_tokens,
                reasoning_tokens: t.reasoning_tokens + r.reasoning_tokens,
                cost_usd: add(t.cost_usd, r.cost_usd),
                unpriced_requests: t.unpriced_requests + r.unpriced_requests,
                routed_cost_usd: add(t.routed_cost_usd, r.routed_cost_usd),
                top_rung_cost_usd: add(t.top_rung_cost_usd, r.top_rung_cost_usd),
            },
        ))
    }
}

fn file_name(path: &Path) -> Option<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
}

/// Brings the ledger rows of the transcript at `path` up to date; a failure only means the next
/// `reins usage` reads that transcript itself.
pub(crate) fn index_transcript(path: &Path) {
    if let Some(dir) = path.parent() {
        let _ = Ledger::open(dir).and_then(|mut l| l.refresh_one(path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const META_ROUTED: &str = r#"{"type":"session.meta","session_id":"a","workspace":"/w1","started_at":86400,"prompt":"p","route":"cheap","top_rung":{"model":"big","input_price":10.0,"cached_input_price":1.0,"output_price":40.0},"workflow":"fix"}"#;
    const META_PLAIN: &str = r#"{"type":"session.meta","session_id":"b","workspace":"/w2","started_at":172800,"prompt":"p"}"#;

    fn usage(model: &str, input: u64, cached: u64, output: u64, cost: Option<f64>) -> String {
        let cost = cost.map_or("null".to_string(), |c| c.to_string());
        format!(
            r#"{{"type":"usage","model":"{model}","input_tokens":{input},"cached_input_tokens":{cached},"output_tokens":{output},"cost_usd":{cost}}}"#
        )
    }

    fn write(path: &Path, lines: &[String]) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
    }

    #[test]
    fn groups_add_up_and_routed_sessions_are_priced_on_their_top_rung() {
        let dir = tempfile::tempdir().unwrap();
        write(
            &dir.path().join("a.jsonl"),
            &[
                META_ROUTED.into(),
                usage("small", 1_000_000, 500_000, 100_000, Some(0.25)),
                r#"{"type":"history.item","item":{"role":"user","text":"\"usage\""}}"#.into(),
                usage("big", 100_000, 0, 10_000, Some(1.4)),
            ],
        );
        write(
            &dir.path().join("b.jsonl"),
            &[
                META_PLAIN.into(),
                usage("small", 2_000, 0, 100, None),
                r#"{"type":"usage","model":"small","input_tok"#.into(),
            ],
        );
        let mut l = Ledger::open(dir.path()).unwrap();
        l.refresh().unwrap();
        let total = l.total(None).unwrap();
        assert_eq!((total.sessions, total.steps), (2, 3));
        assert_eq!(total.input_tokens, 1_102_000);
        assert_eq!(total.unpriced_requests, 1);
        assert!((total.cost_usd.unwrap() - 1.65).abs() < 1e-9);
        // On `big` at 10/1/40 per million: small's tokens 0.5M×10 + 0.5M×1 + 0.1M×40 = 9.5,
        // big's own 0.1M×10 + 0.01M×40 = 1.4.
        assert!((total.top_rung_cost_usd.unwrap() - 10.9).abs() < 1e-9);
        assert!((total.routed_cost_usd.unwrap() - 1.65).abs() < 1e-9);
        let by_route = l.query(None, GroupBy::Route).unwrap();
        assert_eq!(by_route[0].key, "cheap");
        assert_eq!(by_route[1].key, "-");
        assert_eq!(by_route[1].top_rung_cost_usd, None);
        let by_model = l.query(None, GroupBy::Model).unwrap();
        let small = by_model.iter().find(|r| r.key == "small").unwrap();
        assert_eq!((small.sessions, small.steps), (2, 2));
        let by_day = l.query(None, GroupBy::Day).unwrap();
        let days: Vec<&str> = by_day.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(days, ["1970-01-02", "1970-01-03"]);
        let wf = l.query(None, GroupBy::Workflow).unwrap();
        assert!(wf.iter().any(|r| r.key == "fix" && r.sessions == 1));
        let since = l.query(Some(100_000), GroupBy::Workspace).unwrap();
        assert_eq!(since.len(), 1);
        assert_eq!(since[0].key, "/w2");
    }

    #[test]
    fn a_grown_transcript_is_read_on_and_a_deleted_one_leaves() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.jsonl");
        write(&a, &[META_PLAIN.into(), usage("m", 10, 0, 1, Some(0.5))]);
        let mut l = Ledger::open(dir.path()).unwrap();
        l.refresh().unwrap();
        let read_before = l.entry("a.jsonl").unwrap().unwrap().read;
        write(&a, &[usage("m", 20, 0, 2, Some(0.25))]);
        l.refresh_one(&a).unwrap();
        let e = l.entry("a.jsonl").unwrap().unwrap();
        assert!(e.read > read_before);
        assert_eq!(e.models["m"].requests, 2);
        assert_eq!(e.models["m"].cost, Some(0.75));
        // A second pass with nothing changed reads nothing and changes nothing.
        l.refresh().unwrap();
        assert_eq!(l.entry("a.jsonl").unwrap().unwrap(), e);
        std::fs::remove_file(&a).unwrap();
        l.refresh().unwrap();
        assert_eq!(l.total(None).unwrap().sessions, 0);
    }

    #[test]
    fn the_ledger_lives_beside_the_sessions_table() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.jsonl");
        write(&a, &[META_PLAIN.into(), usage("m", 10, 0, 1, Some(0.5))]);
        super::super::session_index::index_transcript(&a);
        index_transcript(&a);
        let l = Ledger::open(dir.path()).unwrap();
        assert_eq!(l.total(None).unwrap().sessions, 1);
        let conn = Connection::open(dir.path().join(INDEX_FILE)).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "the sessions table is untouched");
    }
}
