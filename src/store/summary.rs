//! What a transcript says about its session (`reins sessions`, the TUI's picker), read line by
//! line without rebuilding the conversation: each line's `type` is read first, and only the
//! header and the events that count (routes, usage, the finish) are deserialized further, into a
//! few fields. History lines, most of a transcript's bytes, are left to the caller that needs
//! them (a resume). One reading for the index and for a resume, so the two never disagree.

use serde::Deserialize;
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// What a transcript says about its session.
#[derive(Debug, Clone, Default)]
pub struct SessionInfo {
    pub id: String,
    pub workspace: String,
    /// Seconds since the Unix epoch.
    pub started_at: u64,
    /// Nanoseconds since the Unix epoch: what orders sessions (two may start in one second).
    pub started_ns: u64,
    pub prompt: String,
    pub steps: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    pub status: String,
    pub path: PathBuf,
    /// The agent's name when the session is a subagent of another.
    pub subagent: Option<String>,
}

impl SessionInfo {
    /// What is known of the transcript at `path` before reading it: a session closed before its
    /// first prompt has no header, and its file name is its id.
    pub(crate) fn fresh(path: &Path) -> Self {
        SessionInfo {
            id: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            status: "unfinished".into(),
            path: path.to_path_buf(),
            ..Default::default()
        }
    }
}

/// A transcript line's type.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Meta {
    session_id: String,
    workspace: String,
    started_at: u64,
    /// Absent in transcripts written before it was recorded.
    #[serde(default)]
    started_at_ns: Option<u64>,
    prompt: String,
    #[serde(default)]
    subagent: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Usage {
    input_tokens: u64,
    output_tokens: u64,
    cost_usd: Option<f64>,
}

#[derive(Deserialize)]
struct Finished {
    status: Option<String>,
}

/// What a line is, once [`apply`] has read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// A history record: only a resume reads it further.
    History,
    /// A `plan` event: a resume restores the last one.
    Plan,
    /// Anything else; already applied.
    Other,
}

/// Applies one complete transcript line to `info`; `Err` when it is not a JSON object.
/// Totals add up across every run of a resumed session (it has several `session.finished`).
pub(crate) fn apply(info: &mut SessionInfo, text: &str) -> Result<LineKind, serde_json::Error> {
    let head: Head = serde_json::from_str(text)?;
    match head.kind.as_deref() {
        Some("history.item" | "history.replace" | "session.state") => return Ok(LineKind::History),
        Some("plan") => return Ok(LineKind::Plan),
        Some("session.meta") => {
            // A header that does not parse leaves the file name as the id, as a missing one does.
            if let Ok(m) = serde_json::from_str::<Meta>(text) {
                info.id = m.session_id;
                info.workspace = m.workspace;
                info.started_at = m.started_at;
                info.started_ns = m
                    .started_at_ns
                    .unwrap_or(m.started_at.saturating_mul(1_000_000_000));
                info.prompt = m.prompt;
                info.subagent = m.subagent;
            }
        }
        Some("route") => info.steps += 1,
        Some("usage") => {
            let u: Usage = serde_json::from_str(text).unwrap_or_default();
            info.input_tokens += u.input_tokens;
            info.output_tokens += u.output_tokens;
            if let Some(c) = u.cost_usd {
                *info.cost_usd.get_or_insert(0.0) += c;
            }
        }
        Some("session.finished") => {
            let f = serde_json::from_str::<Finished>(text).ok();
            info.status = f.and_then(|f| f.status).unwrap_or_else(|| "?".into());
        }
        _ => {}
    }
    Ok(LineKind::Other)
}
