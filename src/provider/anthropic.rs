//! Anthropic's native Messages API over SSE. The stable prefix (system prompt and tool schemas)
//! carries `cache_control` so repeated steps read it from the prompt cache; so does the newest
//! message, which makes each step's history a cache hit for the next. Thinking is in
//! `anthropic_thinking`.

use super::answer_format::{AnswerFormat, FormatUse};
use super::anthropic_body::{Body, Settings};
use super::anthropic_thinking as thinking;
use super::sse::{event_json, json_error, post_stream, Answer};
use super::{BoxFuture, Delta, DeltaSink, HttpEndpoint, ModelClient, ProviderError, Request};
use crate::conversation::{Completion, Reasoning, ReasoningBlock, ToolCall, Usage};
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
        // Filled below; the thinking plan may add a beta.
        if let Some(k) = &self.ep.api_key {
            headers.push(("x-api-key", k.clone()));
        }
        let origin = self.ep.origin();
        let max_tokens = self.ep.max_output_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
        let plan = thinking::plan(
            self.ep.capabilities.thinking,
            req.effort,
            max_tokens,
            req.history,
            &origin,
        );
        if plan.as_ref().is_some_and(|p| p.interleaved_beta) {
            headers.push(("anthropic-beta", thinking::INTERLEAVED_BETA.to_string()));
        }
        let format = req.format.and_then(|f| format_use(&self.ep, f).sent);
        let body = Body::new(
            req,
            Settings {
                model: &self.ep.model,
                max_tokens,
                plan: plan.as_ref(),
                origin: &origin,
                format,
            },
        );
        let mut acc = Accumulator::new(origin.clone());
        let stream = match post_stream(&self.ep, &url, &headers, &body).await? {
            Answer::Stream(s) => s,
            Answer::Json(v) => {
                if let Some(e) = json_error(&self.ep.provider, &v) {
                    return Err(e);
                }
                acc.absorb_message(&v, sink);
                return acc.finish(&self.ep.provider);
            }
        };
        let mut stream = Box::pin(stream);
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

    fn answer_format(&self, format: &AnswerFormat) -> FormatUse {
        format_use(&self.ep, format)
    }
}

/// `output_config.format` of the Messages API: `{type: "json_schema", schema}`, the schema cut
/// to what the decoder takes ([`super::claude_schema`]). There is no non-strict mode, so a
/// schema it cannot take is not sent.
fn format_use(ep: &HttpEndpoint, format: &AnswerFormat) -> FormatUse {
    if !ep.capabilities.structured_output {
        return FormatUse::none();
    }
    match super::claude_schema::adapt(&format.schema) {
        Ok((schema, removed)) => FormatUse {
            sent: Some(json!({"type": "json_schema", "schema": schema})),
            note: (!removed.is_empty()).then(|| {
                let names: Vec<String> = removed.iter().map(|k| format!("`{k}`")).collect();
                format!(
                    "the output schema is sent as native structured output without {}, which Claude's decoder does not enforce; the answer is still validated against them",
                    names.join(", ")
                )
            }),
        },
        Err(reason) => FormatUse::not_sent(&reason.to_string()),
    }
}

/// One content block being streamed.
enum Block {
    Text,
    Tool(ToolCall),
    Thinking { thinking: String, signature: String },
    Other,
}

struct Accumulator {
    origin: String,
    text: String,
    blocks: Vec<(u64, Block)>,
    calls: Vec<ToolCall>,
    reasoning: Vec<Reasoning>,
    /// Input, cache-read and cache-write counts as last reported.
    raw: [Option<u64>; 3],
    output: Option<u64>,
    stopped: bool,
}

impl Accumulator {
    fn new(origin: String) -> Self {
        Accumulator {
            origin,
            text: String::new(),
            blocks: Vec::new(),
            calls: Vec::new(),
            reasoning: Vec::new(),
            raw: [None; 3],
            output: None,
            stopped: false,
        }
    }

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
            "message_start" => self.take_usage(&data["message"]["usage"]),
            "content_block_start" => self.start_block(data),
            "content_block_delta" => self.delta(data, sink),
            "content_block_stop" => self.stop_block(data["index"].as_u64().unwrap_or(0)),
            "message_delta" => {
                self.take_usage(&data["usage"]);
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

    /// Usage from `message_start` or `message_delta`. Anthropic sends the input counts at the
    /// start and the output count at the end; proxies such as LiteLLM send zeros at the start
    /// and every count at the end. So a count replaces the one before it unless it is a zero
    /// after a real figure; the output count is always the latest.
    fn take_usage(&mut self, u: &Value) {
        let get = |k: &str| u.get(k).and_then(Value::as_u64);
        let keys = [
            "input_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ];
        for (slot, key) in self.raw.iter_mut().zip(keys) {
            if let Some(n) = get(key).filter(|n| *n > 0 || slot.is_none()) {
                *slot = Some(n);
            }
        }
        if let Some(n) = get("output_tokens") {
            self.output = Some(n);
        }
    }

    /// Anthropic's `input_tokens` excludes cache reads and writes; neutral usage counts them all.
    fn usage(&self) -> Option<Usage> {
        let [fresh, read, write] = self.raw;
        if self.raw.iter().all(Option::is_none) && self.output.is_none() {
            return None;
        }
        let (read, write) = (read.unwrap_or(0), write.unwrap_or(0));
        Some(Usage {
            input_tokens: fresh.unwrap_or(0) + read + write,
            cached_input_tokens: read,
            cache_write_tokens: write,
            output_tokens: self.output.unwrap_or(0),
            reasoning_tokens: 0,
        })
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
            Some("thinking") => Block::Thinking {
                thinking: b["thinking"].as_str().unwrap_or_default().to_string(),
                signature: b["signature"].as_str().unwrap_or_default().to_string(),
            },
            Some("redacted_thinking") => {
                self.reasoning.push(Reasoning {
                    origin: self.origin.clone(),
                    block: ReasoningBlock::RedactedThinking {
                        data: b["data"].as_str().unwrap_or_default().to_string(),
                    },
                });
                Block::Other
            }
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
                sink(Delta::Text(t));
            }
            (Block::Thinking { thinking, .. }, Some("thinking_delta")) => {
                let t = d["thinking"].as_str().unwrap_or_default();
                thinking.push_str(t);
                sink(Delta::Reasoning(t));
            }
            (Block::Thinking { signature, .. }, Some("signature_delta")) => {
                signature.push_str(d["signature"].as_str().unwrap_or_default());
            }
            (Block::Tool(call), Some("input_json_delta")) => {
                call.arguments
                    .push_str(d["partial_json"].as_str().unwrap_or_default());
            }
            _ => {}
        }
    }

    fn stop_block(&mut self, index: u64) {
        let Some(pos) = self.blocks.iter().position(|(i, _)| *i == index) else {
            return;
        };
        match self.blocks.remove(pos).1 {
            Block::Tool(mut call) => {
                if call.arguments.trim().is_empty() {
                    call.arguments = "{}".into();
                }
                self.calls.push(call);
            }
            Block::Thinking {
                thinking,
                signature,
            } => self.reasoning.push(Reasoning {
                origin: self.origin.clone(),
                block: ReasoningBlock::Thinking {
                    thinking,
                    signature,
                },
            }),
            Block::Text | Block::Other => {}
        }
    }

    /// A complete `message` object, from a server that answered without streaming.
    fn absorb_message(&mut self, m: &Value, sink: DeltaSink<'_>) {
        for (i, b) in m["content"].as_array().into_iter().flatten().enumerate() {
            let index = i as u64;
            let mut b = b.clone();
            let text = b["text"].as_str().map(str::to_string);
            let input = b.get("input").cloned();
            if b["type"] == "text" {
                b["text"] = json!("");
            }
            self.start_block(&json!({"index": index, "content_block": b}));
            if let Some(t) = text {
                self.delta(
                    &json!({"index": index, "delta": {"type": "text_delta", "text": t}}),
                    sink,
                );
            }
            if let Some(input) = input.filter(|_| b["type"] == "tool_use") {
                let args = input.to_string();
                self.delta(
                    &json!({"index": index, "delta": {"type": "input_json_delta", "partial_json": args}}),
                    sink,
                );
            }
            self.stop_block(index);
        }
        self.take_usage(&m["usage"]);
        self.stopped = !m["stop_reason"].is_null();
    }

    fn finish(self, provider: &str) -> Result<Completion, ProviderError> {
        if !self.stopped {
            return Err(ProviderError::Truncated {
                provider: provider.into(),
            });
        }
        let usage = self.usage();
        Ok(Completion {
            text: self.text,
            tool_calls: self.calls,
            usage,
            reasoning: self.reasoning,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::{Image, Item};

    /// Every kind of history item, as the server receives it: tool results merged into one user
    /// message with the text after them, this model's thinking first in its turn, the cache
    /// breakpoint on the last block, the answer format beside the thinking's effort.
    #[test]
    fn the_body_carries_every_kind_of_block_in_order() {
        let png = Image::from_bytes("shot.png", b"\x89PNG\r\n\x1a\n0000".to_vec()).unwrap();
        let thought = |origin: &str| Reasoning {
            origin: origin.into(),
            block: ReasoningBlock::Thinking {
                thinking: "hmm".into(),
                signature: "sig".into(),
            },
        };
        let redacted = Reasoning {
            origin: "p/m".into(),
            block: ReasoningBlock::RedactedThinking { data: "xx".into() },
        };
        let mut history = vec![
            Item::User {
                text: "look".into(),
                images: vec![png.clone()],
            },
            Item::Assistant {
                text: "reading".into(),
                tool_calls: vec![
                    ToolCall {
                        id: "c1".into(),
                        name: "read_file".into(),
                        arguments: r#"{"path":"a"}"#.into(),
                    },
                    ToolCall {
                        id: "c2".into(),
                        name: "read_file".into(),
                        arguments: "not json".into(),
                    },
                ],
                reasoning: vec![thought("p/m"), redacted, thought("other/x")],
            },
        ];
        history.extend(HttpEndpoint::read_results_for_tests(&png));
        history.push(Item::user("and now?"));
        history.push(Item::Assistant {
            text: String::new(),
            tool_calls: Vec::new(),
            reasoning: Vec::new(),
        });
        history.push(Item::user("go on"));
        let tools = vec![
            crate::conversation::ToolSpec {
                name: "read_file".into(),
                description: "Reads".into(),
                parameters: json!({"type": "object"}),
            },
            crate::conversation::ToolSpec {
                name: "shell".into(),
                description: "Runs".into(),
                parameters: json!({"type": "object", "required": ["command"]}),
            },
        ];
        let req = Request {
            system: "sys",
            tools: &tools,
            history: &history,
            effort: None,
            cache_key: "",
            format: None,
        };
        let plan = thinking::Plan {
            thinking: json!({"type": "adaptive"}),
            output_config: Some(json!({"effort": "high"})),
            interleaved_beta: false,
        };
        let format = json!({"type": "json_schema", "schema": {"type": "object"}});
        let image = json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png.base64()}});
        let ephemeral = json!({"type": "ephemeral"});
        let expected = json!({
            "model": "m",
            "max_tokens": 77,
            "system": [{"type": "text", "text": "sys", "cache_control": ephemeral}],
            "messages": [
                {"role": "user", "content": [image, {"type": "text", "text": "look"}]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "xx"},
                    {"type": "text", "text": "reading"},
                    {"type": "tool_use", "id": "c1", "name": "read_file", "input": {"path": "a"}},
                    {"type": "tool_use", "id": "c2", "name": "read_file", "input": {"_unparsed_arguments": "not json"}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "c1", "content": [
                        {"type": "text", "text": "one"}, image,
                    ], "is_error": false},
                    {"type": "tool_result", "tool_use_id": "c2", "content": "two", "is_error": false},
                    {"type": "text", "text": "and now?"},
                ]},
                {"role": "assistant", "content": [{"type": "text", "text": "(no output)"}]},
                {"role": "user", "content": [{"type": "text", "text": "go on", "cache_control": ephemeral}]},
            ],
            "stream": true,
            "tools": [
                {"name": "read_file", "description": "Reads", "input_schema": {"type": "object"}},
                {"name": "shell", "description": "Runs", "input_schema": {"type": "object", "required": ["command"]}, "cache_control": ephemeral},
            ],
            "thinking": {"type": "adaptive"},
            "output_config": {"effort": "high", "format": {"type": "json_schema", "schema": {"type": "object"}}},
        });
        let sent = body_text("m", 77, &req, Some(&plan), "p/m", Some(format));
        let parsed: Value = serde_json::from_str(&sent).unwrap();
        assert_eq!(parsed, expected);
        let keys: Vec<&str> = parsed
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "model",
                "max_tokens",
                "system",
                "messages",
                "stream",
                "tools",
                "thinking",
                "output_config"
            ]
        );
        assert!(
            sent.contains(
                r#"{"type":"tool_result","tool_use_id":"c2","content":"two","is_error":false}"#
            ),
            "{sent}"
        );
        assert!(
            sent.contains(r#"{"type":"text","text":"go on","cache_control":{"type":"ephemeral"}}"#),
            "{sent}"
        );
        assert!(sent.contains(r#"{"effort":"high","format":"#), "{sent}");
    }

    fn body_text(
        model: &str,
        max_tokens: u64,
        req: &Request<'_>,
        plan: Option<&thinking::Plan>,
        origin: &str,
        format: Option<Value>,
    ) -> String {
        let settings = Settings {
            model,
            max_tokens,
            plan,
            origin,
            format,
        };
        serde_json::to_string(&Body::new(req, settings)).unwrap()
    }

    #[test]
    fn tool_results_merge_with_following_user_text() {
        let h = vec![
            Item::user("go"),
            Item::Assistant {
                text: String::new(),
                tool_calls: vec![ToolCall {
                    id: "t1".into(),
                    name: "x".into(),
                    arguments: "{}".into(),
                }],
                reasoning: Vec::new(),
            },
            Item::ToolResult {
                call_id: "t1".into(),
                name: "x".into(),
                output: "ok".into(),
                is_error: false,
                images: Vec::new(),
            },
            Item::user("more"),
        ];
        let m = crate::provider::anthropic_body::messages(&h, None);
        let m = serde_json::to_value(m).unwrap();
        assert_eq!(m.as_array().unwrap().len(), 3);
        assert_eq!(m[2]["content"].as_array().unwrap().len(), 2);
        assert_eq!(m[2]["content"][1]["cache_control"]["type"], "ephemeral");
    }

    #[test]
    fn usage_counts_cache_reads_and_writes_as_input() {
        let mut acc = Accumulator::new("a/m".into());
        acc.take_usage(&json!({"input_tokens": 10, "cache_read_input_tokens": 90,
                               "cache_creation_input_tokens": 5, "output_tokens": 1}));
        acc.take_usage(&json!({"output_tokens": 7}));
        let u = acc.usage().unwrap();
        assert_eq!(u.input_tokens, 105);
        assert_eq!((u.cached_input_tokens, u.cache_write_tokens), (90, 5));
        assert_eq!(u.output_tokens, 7);
    }

    #[test]
    fn usage_reported_only_at_the_end_by_a_proxy_is_taken_from_message_delta() {
        let mut acc = Accumulator::new("a/m".into());
        acc.take_usage(
            &json!({"input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 0}),
        );
        acc.take_usage(&json!({"input_tokens": 12, "cache_read_input_tokens": 300,
                               "cache_creation_input_tokens": 40, "output_tokens": 9}));
        let u = acc.usage().unwrap();
        assert_eq!(u.input_tokens, 352);
        assert_eq!((u.cached_input_tokens, u.cache_write_tokens), (300, 40));
    }

    #[test]
    fn no_usage_anywhere_is_unknown() {
        assert_eq!(Accumulator::new("a/m".into()).usage(), None);
    }
}
