//! Reading a transcript into the ledger's entry for it: the header's workspace, day, workflow
//! and route, and every `usage` line summed per model, from where the last read stopped (except
//! a parent's roll-up of its subagents, whose own transcripts are read too).

use super::{LedgerError, TopRung};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// A transcript's identity on disk: when it differs from a row's, the row is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileKey {
    pub(super) len: u64,
    pub(super) mtime_ns: i64,
    pub(super) ino: u64,
}

impl FileKey {
    pub(super) fn of(meta: &std::fs::Metadata) -> Self {
        FileKey {
            len: meta.len(),
            mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            ino: meta.ino(),
        }
    }
}

/// One model's totals within a session.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct ModelUse {
    pub(super) requests: u64,
    pub(super) input: u64,
    pub(super) cached: u64,
    pub(super) output: u64,
    pub(super) reasoning: u64,
    pub(super) cost: Option<f64>,
    pub(super) priced: u64,
}

/// A session as the ledger keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Entry {
    pub(super) key: Option<FileKey>,
    pub(super) read: u64,
    pub(super) started_at: u64,
    pub(super) workspace: String,
    pub(super) workflow: Option<String>,
    pub(super) route: Option<String>,
    pub(super) top: Option<TopRung>,
    pub(super) models: BTreeMap<String, ModelUse>,
}

/// A line's type, read before anything else.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Meta {
    workspace: String,
    started_at: u64,
    #[serde(default)]
    route: Option<String>,
    #[serde(default)]
    top_rung: Option<TopRung>,
    #[serde(default)]
    workflow: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UsageLine {
    model: String,
    input_tokens: u64,
    cached_input_tokens: u64,
    output_tokens: u64,
    /// Reported by providers that bill reasoning separately; absent otherwise.
    reasoning_tokens: u64,
    cost_usd: Option<f64>,
}

/// Reads the transcript at `path` into `old` (or a fresh entry when the file did not only grow).
pub(super) fn read_entry(
    path: &Path,
    key: FileKey,
    old: Option<Entry>,
) -> Result<Entry, LedgerError> {
    let io = |source| LedgerError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut e = match old {
        Some(e) if e.key.is_some_and(|k| k.ino == key.ino) && e.read <= key.len => e,
        _ => Entry::default(),
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(e.read)).map_err(io)?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(io)?;
        // A line still being written is read next time, whole.
        if n == 0 || !line.ends_with('\n') {
            break;
        }
        e.read += n as u64;
        apply(&mut e, line.trim_end());
    }
    e.key = Some(key);
    Ok(e)
}

/// Applies one transcript line; anything that does not parse is skipped (a torn line).
fn apply(e: &mut Entry, text: &str) {
    let Ok(head) = serde_json::from_str::<Head>(text) else {
        return;
    };
    match head.kind.as_deref() {
        Some("session.meta") => {
            if let Ok(m) = serde_json::from_str::<Meta>(text) {
                // A resumed session writes no second header; the first one names it.
                if e.workspace.is_empty() {
                    e.workspace = m.workspace;
                    e.started_at = m.started_at;
                    e.workflow = m.workflow;
                    e.route = m.route;
                    e.top = m.top_rung;
                }
            }
        }
        Some("usage") => {
            let Ok(u) = serde_json::from_str::<UsageLine>(text) else {
                return;
            };
            // Counted in the children's own transcripts.
            if u.model == crate::types::SUBAGENTS_USAGE_MODEL {
                return;
            }
            let m = e.models.entry(u.model).or_default();
            m.requests += 1;
            m.input += u.input_tokens;
            m.cached += u.cached_input_tokens;
            m.output += u.output_tokens;
            m.reasoning += u.reasoning_tokens;
            if let Some(c) = u.cost_usd {
                *m.cost.get_or_insert(0.0) += c;
                m.priced += 1;
            }
        }
        _ => {}
    }
}
