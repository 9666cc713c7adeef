//! What a session spent, read back from its transcript: tokens and cost per model and the
//! router's decisions, so a front end that reopens a session (the TUI's `/resume`,
//! `--resume`) shows the figures of the whole session rather than starting again at zero.

use super::transcript::TranscriptError;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Tokens and cost of one model over every run of a session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelTotals {
    pub requests: u64,
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    /// `None` while no request to this model had a known price.
    pub cost_usd: Option<f64>,
}

/// The totals of a transcript.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionTotals {
    pub by_model: BTreeMap<String, ModelTotals>,
    /// `(step, model, reason)` of every `route` event, in order.
    pub routes: Vec<(u64, String, String)>,
    /// Input tokens of the last request: how full the context was when the session stopped.
    pub last_input_tokens: u64,
}

/// Reads the `usage` and `route` events of the transcript at `path`. Lines that do not parse
/// (a torn last line) are skipped, as resuming skips them.
pub fn read(path: &Path) -> Result<SessionTotals, TranscriptError> {
    let io = |source| TranscriptError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut out = SessionTotals::default();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(io)?;
        // Cheap filter first: history items carry whole tool outputs and are most of the file.
        if !line.contains("\"usage\"") && !line.contains("\"route\"") {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
        match v.get("type").and_then(Value::as_str) {
            Some("usage") => {
                let t = out.by_model.entry(s("model")).or_default();
                t.requests += 1;
                t.input_tokens += n("input_tokens");
                t.cached_input_tokens += n("cached_input_tokens");
                t.output_tokens += n("output_tokens");
                if let Some(c) = v.get("cost_usd").and_then(Value::as_f64) {
                    *t.cost_usd.get_or_insert(0.0) += c;
                }
                out.last_input_tokens = n("input_tokens");
            }
            Some("route") => out.routes.push((n("step"), s("model"), s("reason"))),
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_every_run_per_model() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let lines = [
            r#"{"type":"session.meta","session_id":"s","workspace":"/w","started_at":1,"prompt":"p"}"#,
            r#"{"type":"route","step":1,"model":"fast","reason":"plan: default"}"#,
            r#"{"type":"usage","model":"fast","input_tokens":1000,"cached_input_tokens":200,"output_tokens":50,"cost_usd":0.005}"#,
            r#"{"type":"history.item","item":{"role":"user","text":"a \"usage\" word"}}"#,
            r#"{"type":"route","step":2,"model":"big","reason":"escalated"}"#,
            r#"{"type":"usage","model":"big","input_tokens":1500,"cached_input_tokens":0,"output_tokens":80,"cost_usd":null}"#,
            r#"{"type":"usage","model":"fast","input_tokens":1800,"cached_input_tokens":0,"output_tokens":20,"cost_usd":0.0032}"#,
            r#"{"type":"usage","model":"fast","input_tok"#,
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let t = read(&path).unwrap();
        let fast = &t.by_model["fast"];
        assert_eq!(
            (fast.requests, fast.input_tokens, fast.output_tokens),
            (2, 2800, 70)
        );
        assert!((fast.cost_usd.unwrap() - 0.0082).abs() < 1e-12);
        assert_eq!(t.by_model["big"].cost_usd, None);
        assert_eq!(t.routes.len(), 2);
        assert_eq!(t.routes[1], (2, "big".into(), "escalated".into()));
        assert_eq!(t.last_input_tokens, 1800);
    }
}
