//! Scripted assistant turns from a JSON file: the real harness driven by recorded model output, for
//! demos without a key and for reproducing a session.

use super::{BoxFuture, Delta, DeltaSink, ModelClient, ProviderError, Request};
use crate::conversation::{Completion, ToolCall, Usage};
use serde::Deserialize;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
    turns: Vec<Turn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Turn {
    #[serde(default)]
    text: String,
    #[serde(default)]
    tool_calls: Vec<ScriptedCall>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptedCall {
    name: String,
    #[serde(default)]
    arguments: serde_json::Value,
}

pub(super) struct ReplayClient {
    turns: Vec<Turn>,
    next: AtomicUsize,
}

impl ReplayClient {
    pub fn load(path: &Path) -> Result<Self, ProviderError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ProviderError::Replay(format!("cannot read replay file {}: {e}", path.display()))
        })?;
        let script: Script = serde_json::from_str(&text).map_err(|e| {
            ProviderError::Replay(format!(
                "bad replay file {}: {e}; expected {{\"turns\": [{{\"text\": \"...\", \"tool_calls\": [{{\"name\": \"...\", \"arguments\": {{}}}}]}}]}}",
                path.display()
            ))
        })?;
        Ok(ReplayClient {
            turns: script.turns,
            next: AtomicUsize::new(0),
        })
    }

    fn next_turn(
        &self,
        req: &Request<'_>,
        sink: DeltaSink<'_>,
    ) -> Result<Completion, ProviderError> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let turn = self.turns.get(n).ok_or_else(|| {
            ProviderError::Replay(format!(
                "the replay script has only {} turns; the session asked for more",
                self.turns.len()
            ))
        })?;
        if !turn.text.is_empty() {
            sink(Delta::Text(&turn.text));
        }
        let tool_calls = turn
            .tool_calls
            .iter()
            .enumerate()
            .map(|(i, c)| ToolCall {
                id: format!("replay_{n}_{i}"),
                name: c.name.clone(),
                arguments: c.arguments.to_string(),
            })
            .collect();
        Ok(Completion {
            text: turn.text.clone(),
            tool_calls,
            usage: Some(estimate_usage(req, turn)),
            reasoning: Vec::new(),
        })
    }
}

impl ModelClient for ReplayClient {
    fn complete<'a>(
        &'a self,
        req: &'a Request<'a>,
        sink: DeltaSink<'a>,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>> {
        let r = self.next_turn(req, sink);
        Box::pin(async move { r })
    }
}

/// About four bytes a token: enough for budgets and figures on a replay, which has no tokenizer.
fn estimate_usage(req: &Request<'_>, turn: &Turn) -> Usage {
    let history: usize = req
        .history
        .iter()
        .map(|i| serde_json::to_string(i).map_or(0, |s| s.len()))
        .sum();
    let tools: usize = req
        .tools
        .iter()
        .map(|t| t.description.len() + t.parameters.to_string().len())
        .sum();
    let calls: usize = turn
        .tool_calls
        .iter()
        .map(|c| c.arguments.to_string().len() + c.name.len())
        .sum();
    Usage {
        input_tokens: ((req.system.len() + tools + history) / 4) as u64,
        output_tokens: ((turn.text.len() + calls) / 4) as u64,
        ..Usage::default()
    }
}
