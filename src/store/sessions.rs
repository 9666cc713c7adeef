//! Reading transcripts back: rebuilding a conversation to resume it, and summarising sessions for
//! `reins sessions`. A damaged transcript never stops a resume: a torn last line (a crash mid-write)
//! is skipped with a warning, any other bad line is reported with its number and skipped.

use super::transcript::{sessions_dir, transcript_path, Record, TranscriptError};
use crate::conversation::Item;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// What a transcript says about its session.
#[derive(Debug, Clone, Default)]
pub struct SessionInfo {
    pub id: String,
    pub workspace: String,
    pub started_at: u64,
    pub prompt: String,
    pub steps: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    pub status: String,
    pub path: PathBuf,
}

/// A transcript read back.
#[derive(Debug, Default)]
pub struct LoadedSession {
    pub info: SessionInfo,
    pub history: Vec<Item>,
    pub warnings: Vec<String>,
}

/// Reads a whole transcript.
pub fn load(path: &Path) -> Result<LoadedSession, TranscriptError> {
    let file = std::fs::File::open(path).map_err(|source| TranscriptError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut out = LoadedSession {
        info: SessionInfo {
            path: path.to_path_buf(),
            status: "unfinished".into(),
            ..Default::default()
        },
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
        match serde_json::from_str::<Record>(text) {
            Ok(record) => apply(&mut out, record),
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
    if out.info.id.is_empty() {
        // A session closed before its first prompt has no header; its file name is its id.
        out.info.id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    Ok(out)
}

fn apply(out: &mut LoadedSession, record: Record) {
    match record {
        Record::Meta {
            session_id,
            workspace,
            started_at,
            prompt,
        } => {
            out.info.id = session_id;
            out.info.workspace = workspace;
            out.info.started_at = started_at;
            out.info.prompt = prompt;
        }
        Record::HistoryItem { item } => out.history.push(item),
        Record::HistoryReplace { items } => out.history = items,
        Record::Event(v) => tally(&mut out.info, &v),
    }
}

/// Totals across every run of the session (a resumed session has several `session.finished`).
fn tally(info: &mut SessionInfo, v: &Value) {
    let u = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    match v.get("type").and_then(Value::as_str) {
        Some("route") => info.steps += 1,
        Some("usage") => {
            info.input_tokens += u("input_tokens");
            info.output_tokens += u("output_tokens");
            if let Some(c) = v.get("cost_usd").and_then(Value::as_f64) {
                *info.cost_usd.get_or_insert(0.0) += c;
            }
        }
        Some("session.finished") => {
            info.status = v
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
        }
        _ => {}
    }
}

/// Loads the session `id`.
pub fn load_by_id(reins_home: &Path, id: &str) -> Result<LoadedSession, TranscriptError> {
    let path = transcript_path(reins_home, id);
    if !path.exists() {
        return Err(TranscriptError::NotFound(id.to_string()));
    }
    load(&path)
}

/// Every session, newest first; only those of `workspace` when given.
pub fn list(reins_home: &Path, workspace: Option<&Path>) -> Vec<SessionInfo> {
    let Ok(entries) = std::fs::read_dir(sessions_dir(reins_home)) else {
        return Vec::new();
    };
    let ws = workspace.map(|w| w.display().to_string());
    let mut out: Vec<SessionInfo> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|p| load(&p).ok())
        .map(|l| l.info)
        .filter(|i| ws.as_ref().is_none_or(|w| &i.workspace == w))
        .collect();
    out.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    out
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
