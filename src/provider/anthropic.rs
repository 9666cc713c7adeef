//! Anthropic's native Messages API over SSE. The stable prefix (system prompt and tool schemas)
//! carries `cache_control` so repeated steps read it from the prompt cache; so does the newest
//! message, which makes each step's history a cache hit for the next.

use super::sse::{event_json, post_stream};
use super::{BoxFuture, DeltaSink, HttpEndpoint, ModelClient, ProviderError, Request};
use crate::conversation::{arguments_object, Completion, Item, ToolCall, Usage};
use futures_util::StreamExt;
use serde_json::{json, Value};

const API_VERSION: &str = "2023-06-01";
const DEFAULT_MAX_TOKENS: u64 = 8192;

pub(super) struct AnthropicClient {
    ep: HttpEndpoint,
}

impl AnthropicClient {
    pub fn new(ep: HttpEndpoint) -> Self {
        AnthropicClient { ep }
    }

    async fn run(
        &self,
        req: &Request<'_>,
        sink: DeltaSink<'_>,
    ) -> Result<Completion, ProviderError> {
        let base = self.ep.base_url.trim_end_matches("/v1");
        let url = format!("{base}/v1/messages");
        let mut headers = vec![("anthropic-version", API_VERSION.to_string())];
        if let Some(k) = &self.ep.api_key {
            headers.push(("x-api-key", k.clone()));
        }
        let body = request_body(
            &self.ep.model,
            self.ep.max_output_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            req,
        );
        let mut stream = Box::pin(post_stream(&self.ep, &url, &headers, &body).await?);
        let mut acc = Accumulator::default();
        while let Some(event) = stream.next().await {
            let event = event?;
            let data = event_json(&self.ep.provider, &event.data)?;
            if acc.absorb(&event.event, &data, &self.ep.provider, sink)? {
                break;
            }
        }
        acc.finish(&self.ep.provider)
    }
}

impl ModelClient for AnthropicClient {
    fn complete<'a>(
        &'a self,
        req: &'a Request<'a>,
        sink: DeltaSink<'a>,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>> {
        Box::pin(self.run(req, sink))
    }
}

fn request_body(model: &str, max_tokens: u64, req: &Request<'_>) -> Value {
    let mut tools: Vec<Value> = req
        .tools
        .iter()
        .map(
            |t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}),
        )
        .collect();
    if let Some(last) = tools.last_mut() {
        last["cache_control"] = json!({"type": "ephemeral"});
    }
    let mut body = json!({
        "model": model,
        "max_tokens": max_tokens,
        "system": [{"type": "text", "text": req.system, "cache_control": {"type": "ephemeral"}}],
        "messages": messages(req.history),
        "stream": true,
    });
    if !tools.is_empty() {
        body["tools"] = Value::Array(tools);
    }
    body
}

/// Neutral history → alternating user/assistant messages. Tool results become `tool_result`
/// blocks of a user message, merged with any user text that follows, since the API rejects two
/// user messages in a row.
fn messages(history: &[Item]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for item in history {
        let (role, block) = match item {
            Item::User { text } => ("user", vec![json!({"type": "text", "text": text})]),
            Item::ToolResult {
                call_id,
                output,
                is_error,
                ..
            } => (
                "user",
                vec![
                    json!({"type": "tool_result", "tool_use_id": call_id, "content": output, "is_error": is_error}),
                ],
            ),
            Item::Assistant { text, tool_calls } => {
                ("assistant", assistant_blocks(text, tool_calls))
            }
        };
        match out.last_mut() {
            Some(last) if last["role"] == role => {
                if let Some(content) = last["content"].as_array_mut() {
                    content.extend(block);
                }
            }
            _ => out.push(json!({"role": role, "content": block})),
        }
    }
    mark_cache_breakpoint(&mut out);
    out
}

fn assistant_blocks(text: &str, calls: &[ToolCall]) -> Vec<Value> {
    let mut blocks = Vec::new();
    if !text.is_empty() {
        blocks.push(json!({"type": "text", "text": text}));
    }
    for c in calls {
        blocks.push(json!({"type": "tool_use", "id": c.id, "name": c.name, "input": arguments_object(&c.arguments)}));
    }
    if blocks.is_empty() {
        blocks.push(json!({"type": "text", "text": "(no output)"}));
    }
    blocks
}

fn mark_cache_breakpoint(messages: &mut [Value]) {
    let block = messages
        .last_mut()
        .and_then(|m| m["content"].as_array_mut())
        .and_then(|c| c.last_mut());
    if let Some(b) = block {
        b["cache_control"] = json!({"type": "ephemeral"});
    }
}

/// One content block being streamed.
enum Block {
    Text,
    Tool(ToolCall),
    Other,
}

#[derive(Default)]
struct Accumulator {
    text: String,
    blocks: Vec<(u64, Block)>,
    calls: Vec<ToolCall>,
    usage: Usage,
    stopped: bool,
}

impl Accumulator {
    /// Returns true at `message_stop`.
    fn absorb(
        &mut self,
        event: &str,
        data: &Value,
        provider: &str,
        sink: DeltaSink<'_>,
    ) -> Result<bool, ProviderError> {
        let kind = if event.is_empty() {
            data["type"].as_str().unwrap_or("")
        } else {
            event
        };
        match kind {
            "message_start" => self.start_usage(&data["message"]["usage"]),
            "content_block_start" => self.start_block(data),
            "content_block_delta" => self.delta(data, sink),
            "content_block_stop" => self.stop_block(data["index"].as_u64().unwrap_or(0)),
            "message_delta" => {
                if let Some(n) = data.pointer("/usage/output_tokens").and_then(Value::as_u64) {
                    self.usage.output_tokens = n;
                }
                if data
                    .pointer("/delta/stop_reason")
                    .is_some_and(|r| !r.is_null())
                {
                    self.stopped = true;
                }
            }
            "message_stop" => return Ok(true),
            "error" => {
                let kind = data
                    .pointer("/error/type")
                    .and_then(Value::as_str)
                    .unwrap_or("error");
                let message = data
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .unwrap_or(kind);
                let status = if kind == "overloaded_error" {
                    529
                } else if kind == "api_error" {
                    500
                } else {
                    400
                };
                return Err(ProviderError::Status {
                    provider: provider.into(),
                    status,
                    message: message.into(),
                    retry_after: None,
                });
            }
            _ => {}
        }
        Ok(false)
    }

    /// Anthropic's `input_tokens` excludes cache reads and writes; neutral usage counts them all.
    fn start_usage(&mut self, u: &Value) {
        let get = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
        let cached = get("cache_read_input_tokens");
        self.usage.input_tokens = get("input_tokens") + cached + get("cache_creation_input_tokens");
        self.usage.cached_input_tokens = cached;
        self.usage.output_tokens = get("output_tokens");
    }

    fn start_block(&mut self, data: &Value) {
        let index = data["index"].as_u64().unwrap_or(0);
        let b = &data["content_block"];
        let block = match b["type"].as_str() {
            Some("text") => {
                if let Some(t) = b["text"].as_str() {
                    self.text.push_str(t);
                }
                Block::Text
            }
            Some("tool_use") => Block::Tool(ToolCall {
                id: b["id"].as_str().unwrap_or_default().to_string(),
                name: b["name"].as_str().unwrap_or_default().to_string(),
                arguments: String::new(),
            }),
            _ => Block::Other,
        };
        self.blocks.push((index, block));
    }

    fn delta(&mut self, data: &Value, sink: DeltaSink<'_>) {
        let index = data["index"].as_u64().unwrap_or(0);
        let Some((_, block)) = self.blocks.iter_mut().find(|(i, _)| *i == index) else {
            return;
        };
        let d = &data["delta"];
        match (block, d["type"].as_str()) {
            (Block::Text, Some("text_delta")) => {
                let t = d["text"].as_str().unwrap_or_default();
                self.text.push_str(t);
                sink(t);
            }
            (Block::Tool(call), Some("input_json_delta")) => {
                call.arguments
                    .push_str(d["partial_json"].as_str().unwrap_or_default());
            }
            _ => {}
        }
    }

    fn stop_block(&mut self, index: u64) {
        if let Some(pos) = self.blocks.iter().position(|(i, _)| *i == index) {
            if let (_, Block::Tool(mut call)) = self.blocks.remove(pos) {
                if call.arguments.trim().is_empty() {
                    call.arguments = "{}".into();
                }
                self.calls.push(call);
            }
        }
    }

    fn finish(self, provider: &str) -> Result<Completion, ProviderError> {
        if !self.stopped {
            return Err(ProviderError::Truncated {
                provider: provider.into(),
            });
        }
        Ok(Completion {
            text: self.text,
            tool_calls: self.calls,
            usage: self.usage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_results_merge_with_following_user_text() {
        let h = vec![
            Item::User { text: "go".into() },
            Item::Assistant {
                text: String::new(),
                tool_calls: vec![ToolCall {
                    id: "t1".into(),
                    name: "x".into(),
                    arguments: "{}".into(),
                }],
            },
            Item::ToolResult {
                call_id: "t1".into(),
                name: "x".into(),
                output: "ok".into(),
                is_error: false,
            },
            Item::User {
                text: "more".into(),
            },
        ];
        let m = messages(&h);
        assert_eq!(m.len(), 3);
        assert_eq!(m[2]["content"].as_array().unwrap().len(), 2);
        assert_eq!(m[2]["content"][1]["cache_control"]["type"], "ephemeral");
    }

    #[test]
    fn usage_counts_cache_reads_as_input() {
        let mut acc = Accumulator::default();
        acc.start_usage(
            &json!({"input_tokens": 10, "cache_read_input_tokens": 90, "output_tokens": 1}),
        );
        assert_eq!(acc.usage.input_tokens, 100);
        assert_eq!(acc.usage.cached_input_tokens, 90);
    }
}
