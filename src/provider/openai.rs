//! Chat completions over SSE, for OpenAI and every compatible server. Chunks are read as loose JSON
//! rather than strict types: compatible servers omit `created`/`object`, send `finish_reason: ""`,
//! or put usage in a chunk with no choices, and none of that should fail a session.

use super::answer_format::{openai_json_schema, AnswerFormat, FormatUse};
use super::sse::{event_json, json_error, post_stream, Answer};
use super::{BoxFuture, Delta, DeltaSink, HttpEndpoint, ModelClient, ProviderError, Request};
use crate::conversation::{Completion, Image, Item, ToolCall, Usage};
use futures_util::StreamExt;
use serde_json::{json, Value};

pub(super) struct OpenAiClient {
    ep: HttpEndpoint,
}

impl OpenAiClient {
    pub fn new(ep: HttpEndpoint) -> Self {
        OpenAiClient { ep }
    }

    async fn run(
        &self,
        req: &Request<'_>,
        sink: DeltaSink<'_>,
    ) -> Result<Completion, ProviderError> {
        let url = format!("{}/chat/completions", self.ep.base_url);
        let auth: Vec<(&str, String)> = self
            .ep
            .api_key
            .iter()
            .map(|k| ("authorization", format!("Bearer {k}")))
            .collect();
        let body = request_body(&self.ep, req);
        let mut acc = Accumulator::default();
        let stream = match post_stream(&self.ep, &url, &auth, &body).await? {
            Answer::Stream(s) => s,
            Answer::Json(v) => {
                if let Some(e) = json_error(&self.ep.provider, &v) {
                    return Err(e);
                }
                acc.absorb_whole(&v, sink);
                return acc.finish(&self.ep.provider);
            }
        };
        let mut stream = Box::pin(stream);
        while let Some(event) = stream.next().await {
            let event = event?;
            if event.data.trim() == "[DONE]" {
                acc.done = true;
                break;
            }
            let chunk = event_json(&self.ep.provider, &event.data)?;
            acc.absorb(&chunk, &self.ep.provider, sink)?;
        }
        acc.finish(&self.ep.provider)
    }
}

impl ModelClient for OpenAiClient {
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

/// `response_format` of Chat Completions: `{type: "json_schema", json_schema: {name, schema,
/// strict}}`.
fn format_use(ep: &HttpEndpoint, format: &AnswerFormat) -> FormatUse {
    if !ep.capabilities.structured_output {
        return FormatUse::none();
    }
    let (json_schema, note) = openai_json_schema(format);
    FormatUse {
        sent: Some(json!({"type": "json_schema", "json_schema": json_schema})),
        note,
    }
}

/// The body is rebuilt for every step, history and tool schemas included, so the built `Value`s
/// are moved in and the schemas cloned: `json!` would copy each through serde, which was most of
/// a cheap step's CPU (the fields keep their order: the placeholder holds the key's place).
fn request_body(ep: &HttpEndpoint, req: &Request<'_>) -> Value {
    let tools: Vec<Value> = req
        .tools
        .iter()
        .map(|t| {
            let mut tool = json!({"type": "function", "function": {"name": t.name, "description": t.description}});
            tool["function"]["parameters"] = t.parameters.clone();
            tool
        })
        .collect();
    let mut body = json!({
        "model": ep.model,
        "messages": null,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    body["messages"] = Value::Array(messages(req));
    if !tools.is_empty() {
        body["tools"] = Value::Array(tools);
    }
    if let Some(n) = ep.max_output_tokens {
        body["max_tokens"] = json!(n);
    }
    if let Some(sent) = req.format.and_then(|f| format_use(ep, f).sent) {
        body["response_format"] = sent;
    }
    body
}

/// Neutral history → messages. A `tool` message takes text only, so the images of tool results
/// follow in one user message after the run of results (a user message between two results
/// would break their pairing with the assistant's calls).
fn messages(req: &Request<'_>) -> Vec<Value> {
    let mut out = vec![json!({"role": "system", "content": req.system})];
    let mut from_tools: Vec<(&str, &Image)> = Vec::new();
    for item in req.history {
        if !matches!(item, Item::ToolResult { .. }) {
            flush_tool_images(&mut out, &mut from_tools);
        }
        out.push(match item {
            Item::User { text, images } => {
                json!({"role": "user", "content": user_content(text, images)})
            }
            Item::Assistant {
                text, tool_calls, ..
            } => assistant_message(text, tool_calls),
            Item::ToolResult {
                call_id,
                output,
                images,
                ..
            } => {
                from_tools.extend(images.iter().map(|i| (call_id.as_str(), i)));
                json!({"role": "tool", "tool_call_id": call_id, "content": output})
            }
        });
    }
    flush_tool_images(&mut out, &mut from_tools);
    out
}

/// Text alone stays a string (what every compatible server takes); with images, content parts.
fn user_content(text: &str, images: &[Image]) -> Value {
    if images.is_empty() {
        return json!(text);
    }
    let mut parts = vec![json!({"type": "text", "text": text})];
    parts.extend(images.iter().map(image_part));
    Value::Array(parts)
}

fn image_part(image: &Image) -> Value {
    json!({"type": "image_url", "image_url": {"url": image.data_url()}})
}

/// The images tool results returned, as the user message after them.
fn flush_tool_images(out: &mut Vec<Value>, pending: &mut Vec<(&str, &Image)>) {
    if pending.is_empty() {
        return;
    }
    let mut text = include_str!("../../prompts/tool_images.md").to_string();
    let mut parts = Vec::new();
    for (call_id, image) in pending.drain(..) {
        text.push_str(&format!("- `{call_id}`: {}\n", image.name));
        parts.push(image_part(image));
    }
    parts.insert(0, json!({"type": "text", "text": text.trim_end()}));
    out.push(json!({"role": "user", "content": parts}));
}

fn assistant_message(text: &str, calls: &[ToolCall]) -> Value {
    // `content: null` is only valid beside tool calls; an empty reply must be an empty string.
    let content = if text.is_empty() && !calls.is_empty() {
        Value::Null
    } else {
        json!(text)
    };
    let mut m = json!({"role": "assistant", "content": content});
    if !calls.is_empty() {
        m["tool_calls"] = calls
            .iter()
            .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
            .collect();
    }
    m
}

/// Reassembles a streamed reply: text deltas, tool calls in fragments keyed by `index`, usage.
#[derive(Default)]
struct Accumulator {
    text: String,
    calls: Vec<ToolCall>,
    usage: Option<Usage>,
    finished: bool,
    done: bool,
}

impl Accumulator {
    fn absorb(
        &mut self,
        chunk: &Value,
        provider: &str,
        sink: DeltaSink<'_>,
    ) -> Result<(), ProviderError> {
        if let Some(err) = chunk.get("error").filter(|e| !e.is_null()) {
            let message = err
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("error in stream");
            return Err(ProviderError::Status {
                provider: provider.into(),
                status: 502,
                message: message.into(),
                retry_after: None,
            });
        }
        if let Some(u) = chunk.get("usage").filter(|u| u.is_object()) {
            self.usage = Some(usage(u));
        }
        let Some(choice) = chunk.get("choices").and_then(|c| c.get(0)) else {
            return Ok(());
        };
        if let Some(delta) = choice.get("delta") {
            // A model refusing under a JSON-schema format says why in `refusal`, not `content`:
            // taken as text, the reason reaches the trace and the schema check sends it back.
            for key in ["content", "refusal"] {
                if let Some(t) = delta
                    .get(key)
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                {
                    self.text.push_str(t);
                    sink(Delta::Text(t));
                }
            }
            for tc in delta
                .get("tool_calls")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.absorb_tool_fragment(tc);
            }
        }
        if choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .is_some_and(|r| !r.is_empty())
        {
            self.finished = true;
        }
        Ok(())
    }

    /// A complete `chat.completion` object (a server that ignored `stream: true`): the message
    /// has the same shape as a delta carrying everything at once.
    fn absorb_whole(&mut self, v: &Value, sink: DeltaSink<'_>) {
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            self.usage = Some(usage(u));
        }
        let Some(choice) = v.pointer("/choices/0") else {
            return;
        };
        let m = &choice["message"];
        for key in ["content", "refusal"] {
            if let Some(t) = m[key].as_str().filter(|t| !t.is_empty()) {
                self.text.push_str(t);
                sink(Delta::Text(t));
            }
        }
        for (i, tc) in m["tool_calls"].as_array().into_iter().flatten().enumerate() {
            let mut tc = tc.clone();
            tc["index"] = json!(i);
            self.absorb_tool_fragment(&tc);
        }
        self.finished = true;
    }

    fn absorb_tool_fragment(&mut self, tc: &Value) {
        let index = tc
            .get("index")
            .and_then(Value::as_u64)
            .map_or(self.calls.len().saturating_sub(1), |i| i as usize);
        while self.calls.len() <= index {
            self.calls.push(ToolCall {
                id: String::new(),
                name: String::new(),
                arguments: String::new(),
            });
        }
        let call = &mut self.calls[index];
        if let Some(id) = tc
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            call.id = id.to_string();
        }
        if let Some(f) = tc.get("function") {
            if let Some(n) = f.get("name").and_then(Value::as_str) {
                call.name.push_str(n);
            }
            if let Some(a) = f.get("arguments").and_then(Value::as_str) {
                call.arguments.push_str(a);
            }
        }
    }

    fn finish(mut self, provider: &str) -> Result<Completion, ProviderError> {
        if !self.finished {
            return Err(ProviderError::Truncated {
                provider: provider.into(),
            });
        }
        for (i, c) in self.calls.iter_mut().enumerate() {
            if c.id.is_empty() {
                c.id = format!("call_{i}");
            }
            if c.arguments.trim().is_empty() {
                c.arguments = "{}".into();
            }
        }
        let _ = self.done;
        Ok(Completion {
            text: self.text,
            tool_calls: self.calls,
            usage: self.usage,
            reasoning: Vec::new(),
        })
    }
}

/// Chat Completions usage: `prompt_tokens` includes the cached ones, `completion_tokens` the
/// reasoning ones.
fn usage(u: &Value) -> Usage {
    Usage {
        input_tokens: u64_at(u, "/prompt_tokens"),
        cached_input_tokens: u64_at(u, "/prompt_tokens_details/cached_tokens"),
        cache_write_tokens: 0,
        output_tokens: u64_at(u, "/completion_tokens"),
        reasoning_tokens: u64_at(u, "/completion_tokens_details/reasoning_tokens"),
    }
}

fn u64_at(v: &Value, ptr: &str) -> u64 {
    v.pointer(ptr).and_then(Value::as_u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(chunks: &[Value]) -> Result<Completion, ProviderError> {
        let mut acc = Accumulator::default();
        let mut seen = String::new();
        let mut sink = |d: Delta<'_>| {
            if let Delta::Text(t) = d {
                seen.push_str(t)
            }
        };
        for c in chunks {
            acc.absorb(c, "p", &mut sink)?;
        }
        acc.finish("p")
    }

    #[test]
    fn reassembles_fragmented_tool_calls_and_usage() {
        let c = feed(&[
            json!({"choices":[{"delta":{"content":"Hi"},"finish_reason":""}]}),
            json!({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"read_file","arguments":"{\"pa"}}]}}]}),
            json!({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"th\":\"a\"}"}}]}}]}),
            json!({"choices":[{"delta":{},"finish_reason":"tool_calls"}]}),
            json!({"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":4}}}),
        ])
        .unwrap();
        assert_eq!(c.text, "Hi");
        assert_eq!(c.tool_calls[0].arguments, r#"{"path":"a"}"#);
        assert_eq!(
            c.usage,
            Some(Usage {
                input_tokens: 10,
                cached_input_tokens: 4,
                output_tokens: 3,
                ..Usage::default()
            })
        );
    }

    #[test]
    fn a_refusal_under_a_format_is_taken_as_the_text() {
        let c = feed(&[
            json!({"choices":[{"delta":{"refusal":"I can't help"},"finish_reason":""}]}),
            json!({"choices":[{"delta":{"refusal":" with that."},"finish_reason":"stop"}]}),
        ])
        .unwrap();
        assert_eq!(c.text, "I can't help with that.");
    }

    #[test]
    fn stream_without_finish_is_truncated() {
        let r = feed(&[json!({"choices":[{"delta":{"content":"Hi"}}]})]);
        assert!(matches!(r, Err(ProviderError::Truncated { .. })));
    }
}
