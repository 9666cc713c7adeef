//! Chat completions over SSE, for OpenAI and every compatible server. Chunks are read as loose JSON
//! rather than strict types: compatible servers omit `created`/`object`, send `finish_reason: ""`,
//! or put usage in a chunk with no choices, and none of that should fail a session.

use super::answer_format::{openai_json_schema, AnswerFormat, FormatUse};
use super::openai_body::Body;
use super::sse::{event_json, json_error, post_stream, Answer};
use super::{BoxFuture, Delta, DeltaSink, HttpEndpoint, ModelClient, ProviderError, Request};
use crate::conversation::{Completion, ToolCall, Usage};
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
        let body = Body::new(&self.ep, req, response_format(&self.ep, req.format));
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

/// What the answer format sends as `response_format`, if anything.
fn response_format(ep: &HttpEndpoint, format: Option<&AnswerFormat>) -> Option<Value> {
    format.and_then(|f| format_use(ep, f).sent)
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
    use crate::conversation::{Image, Item};

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

    /// Every kind of history item, as the server receives it.
    #[test]
    fn the_body_carries_every_kind_of_message_in_order() {
        let png = Image::from_bytes("shot.png", b"\x89PNG\r\n\x1a\n0000".to_vec()).unwrap();
        let call = |id: &str| ToolCall {
            id: id.into(),
            name: "read_file".into(),
            arguments: r#"{"path":"a"}"#.into(),
        };
        let mut history = vec![
            Item::user("fix it"),
            Item::User {
                text: "look".into(),
                images: vec![png.clone()],
            },
            Item::Assistant {
                text: String::new(),
                tool_calls: vec![call("c1"), call("c2")],
                reasoning: Vec::new(),
            },
            Item::Assistant {
                text: String::new(),
                tool_calls: Vec::new(),
                reasoning: Vec::new(),
            },
            Item::Assistant {
                text: "done".into(),
                tool_calls: Vec::new(),
                reasoning: Vec::new(),
            },
        ];
        // The results answer the calls: right after the assistant message that made them.
        history.splice(3..3, HttpEndpoint::read_results_for_tests(&png));
        let tools = vec![crate::conversation::ToolSpec {
            name: "read_file".into(),
            description: "Reads".into(),
            parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        }];
        let ep = HttpEndpoint::for_body_tests(Default::default());
        let req = Request::for_tests(&tools, &history);
        let url = png.data_url();
        let images_note = format!(
            "{}- `c1`: shot.png",
            include_str!("../../prompts/tool_images.md")
        );
        let call_out = |id: &str| json!({"id": id, "type": "function", "function": {"name": "read_file", "arguments": "{\"path\":\"a\"}"}});
        let expected = json!({
            "model": "m",
            "messages": [
                {"role": "system", "content": "sys"},
                {"role": "user", "content": "fix it"},
                {"role": "user", "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": url}},
                ]},
                {"role": "assistant", "content": null, "tool_calls": [call_out("c1"), call_out("c2")]},
                {"role": "tool", "tool_call_id": "c1", "content": "one"},
                {"role": "tool", "tool_call_id": "c2", "content": "two"},
                {"role": "user", "content": [
                    {"type": "text", "text": images_note.trim_end()},
                    {"type": "image_url", "image_url": {"url": url}},
                ]},
                {"role": "assistant", "content": ""},
                {"role": "assistant", "content": "done"},
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
            "tools": [{"type": "function", "function": {
                "name": "read_file",
                "description": "Reads",
                "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
            }}],
            "max_tokens": 77,
        });
        let sent = body_text(&ep, &req);
        assert_eq!(serde_json::from_str::<Value>(&sent).unwrap(), expected);
        let keys: Vec<&str> = [
            "\"model\"",
            "\"messages\"",
            "\"stream\"",
            "\"stream_options\"",
            "\"tools\"",
            "\"max_tokens\"",
        ]
        .to_vec();
        let at: Vec<usize> = keys.iter().map(|k| sent.find(k).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "field order: {sent}");
        assert!(
            sent.starts_with("{\"model\"") && sent.contains("{\"role\":\"tool\",\"tool_call_id\""),
            "{sent}"
        );
    }

    fn body_text(ep: &HttpEndpoint, req: &Request<'_>) -> String {
        serde_json::to_string(&Body::new(ep, req, response_format(ep, req.format))).unwrap()
    }

    #[test]
    fn stream_without_finish_is_truncated() {
        let r = feed(&[json!({"choices":[{"delta":{"content":"Hi"}}]})]);
        assert!(matches!(r, Err(ProviderError::Truncated { .. })));
    }
}
