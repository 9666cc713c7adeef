//! Reading transcripts back: rebuilding a conversation to resume it, and summarising sessions for
//! `reins sessions`. A damaged transcript never stops a resume: a torn last line (a crash mid-write)
//! is skipped with a warning, any other bad line is reported with its number and skipped.

use super::session_index::SessionIndex;
use super::summary::{self, LineKind};
use super::transcript::{sessions_dir, transcript_path, Record, TranscriptError};
use crate::conversation::Item;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;

pub use super::summary::SessionInfo;

/// A transcript read back.
#[derive(Debug, Default)]
pub struct LoadedSession {
    pub info: SessionInfo,
    pub history: Vec<Item>,
    /// The last saved session state (`session.state`), if the transcript has one.
    pub state: Option<Value>,
    pub warnings: Vec<String>,
    /// The last plan the session announced.
    pub plan: Option<crate::types::Plan>,
}

/// Reads a whole transcript.
pub fn load(path: &Path) -> Result<LoadedSession, TranscriptError> {
    let file = std::fs::File::open(path).map_err(|source| TranscriptError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut out = LoadedSession {
        info: SessionInfo::fresh(path),
        ..Default::default()
    };
    let mut line = String::new();
    let mut n = 0;
    loop {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .map_err(|source| TranscriptError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if read == 0 {
            break;
        }
        n += 1;
        let complete = line.ends_with('\n');
        let text = line.trim_end();
        if text.is_empty() {
            continue;
        }
        let parsed = summary::apply(&mut out.info, text).and_then(|kind| match kind {
            LineKind::History | LineKind::Plan => serde_json::from_str::<Record>(text).map(Some),
            LineKind::Other => Ok(None),
        });
        match parsed {
            Ok(Some(Record::HistoryItem { item })) => out.history.push(item),
            Ok(Some(Record::HistoryReplace { items })) => out.history = items,
            Ok(Some(Record::SessionState { state })) => out.state = Some(state),
            // Only `plan` events are read this far; one that does not parse keeps the last.
            Ok(Some(Record::Event(event))) => {
                if let Ok(plan) = serde_json::from_value(event) {
                    out.plan = Some(plan);
                }
            }
            Ok(_) => {}
            Err(_) if !complete => out.warnings.push(format!(
                "{}: skipped a torn last line {n} (the session was cut off mid-write)",
                path.display()
            )),
            Err(e) => out.warnings.push(format!(
                "{}: line {n} is corrupt ({e}); skipped",
                path.display()
            )),
        }
    }
    if out.history.iter().any(|i| !i.images().is_empty()) {
        let dir = super::images::dir_for(path);
        super::images::load(&dir, &mut out.history, &mut out.warnings);
    }
    Ok(out)
}

/// Loads the session `id`.
pub fn load_by_id(reins_home: &Path, id: &str) -> Result<LoadedSession, TranscriptError> {
    let path = transcript_path(reins_home, id);
    if !path.exists() {
        return Err(TranscriptError::NotFound(id.to_string()));
    }
    load(&path)
}

/// Every session, most recently started first; only those of `workspace` when given. Read
/// through the index (see `session_index`), or from every transcript when the index cannot be
/// used (a read-only `$REINS_HOME`, say). Subagents' sessions are left out: they are part of
/// their parent's (which links them and counts their cost), and resuming one is not what
/// `--continue` or a picker means; `reins sessions show ID` still reads them.
pub fn list(reins_home: &Path, workspace: Option<&Path>) -> Vec<SessionInfo> {
    let dir = sessions_dir(reins_home);
    let all = match SessionIndex::open(&dir).and_then(|mut index| index.refresh_all()) {
        Ok(all) => all,
        Err(_) => scan(&dir),
    };
    let ws = workspace.map(|w| w.display().to_string());
    let mut out: Vec<SessionInfo> = all
        .into_iter()
        .filter(|i| i.subagent.is_none())
        .filter(|i| ws.as_ref().is_none_or(|w| &i.workspace == w))
        .collect();
    out.sort_by(|a, b| (b.started_ns, &b.id).cmp(&(a.started_ns, &a.id)));
    out
}

/// Every transcript of `dir` read in full.
fn scan(dir: &Path) -> Vec<SessionInfo> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|p| load(&p).ok())
        .map(|l| l.info)
        .collect()
}

/// The most recent session of `workspace`, for `--continue`.
pub fn latest(reins_home: &Path, workspace: &Path) -> Result<String, TranscriptError> {
    list(reins_home, Some(workspace))
        .into_iter()
        .next()
        .map(|i| i.id)
        .ok_or(TranscriptError::NoneToContinue)
}

/// The `route` events of a transcript: (step, model, reason), for `reins sessions show --routes`.
pub fn routes(path: &Path) -> Result<Vec<(u64, String, String)>, TranscriptError> {
    let text = std::fs::read_to_string(path).map_err(|source| TranscriptError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("type").and_then(Value::as_str) == Some("route"))
        .map(|v| {
            let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            (
                v.get("step").and_then(Value::as_u64).unwrap_or(0),
                s("model"),
                s("reason"),
            )
        })
        .collect())
}
