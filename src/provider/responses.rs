//! OpenAI's Responses API over SSE: the protocol its reasoning models are built for.
//!
//! Requests are stateless (`store: false`): the whole neutral history goes out every time, and
//! the model's reasoning comes back encrypted (`include: ["reasoning.encrypted_content"]`) so it
//! can be replayed on the next request, where the model picks its chain of thought up again
//! between tool calls. Reasoning is replayed only to the model that produced it.

use super::answer_format::{openai_json_schema, AnswerFormat, FormatUse};
use super::responses_body::Body;
use super::sse::{event_json, json_error, post_stream, Answer};
use super::{BoxFuture, Delta, DeltaSink, HttpEndpoint, ModelClient, ProviderError, Request};
use crate::conversation::{Completion, Reasoning, ReasoningBlock, ToolCall, Usage};
use futures_util::StreamExt;
use serde_json::{json, Value};

pub(super) struct ResponsesClient {
    ep: HttpEndpoint,
}

impl ResponsesClient {
    pub fn new(ep: HttpEndpoint) -> Self {
        ResponsesClient { ep }
    }

    async fn run(
        &self,
        req: &Request<'_>,
        sink: DeltaSink<'_>,
    ) -> Result<Completion, ProviderError> {
        let url = format!("{}/responses", self.ep.base_url);
        let auth: Vec<(&str, String)> = self
            .ep
            .api_key
            .iter()
            .map(|k| ("authorization", format!("Bearer {k}")))
            .collect();
        let format = req.format.and_then(|f| format_use(&self.ep, f).sent);
        let origin = self.ep.origin();
        let body = Body::new(&self.ep, req, &origin, format);
        let provider = &self.ep.provider;
        let mut acc = Accumulator::new(self.ep.origin());
        match post_stream(&self.ep, &url, &auth, &body).await? {
            Answer::Json(v) => {
                if let Some(e) = json_error(provider, &v) {
                    return Err(e);
                }
                acc.absorb_response(&v, provider, sink)?;
            }
            Answer::Stream(stream) => {
                let mut stream = Box::pin(stream);
                while let Some(event) = stream.next().await {
                    let data = event_json(provider, &event?.data)?;
                    if acc.absorb(&data, provider, sink)? {
                        break;
                    }
                }
            }
        }
        acc.finish(provider)
    }
}

impl ModelClient for ResponsesClient {
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

/// `text.format` of the Responses API: `{type: "json_schema", name, schema, strict}`.
fn format_use(ep: &HttpEndpoint, format: &AnswerFormat) -> FormatUse {
    if !ep.capabilities.structured_output {
        return FormatUse::none();
    }
    let (mut sent, note) = openai_json_schema(format);
    sent["type"] = json!("json_schema");
    FormatUse {
        sent: Some(sent),
        note,
    }
}

/// A function call being streamed, keyed by its output item id.
struct Call {
    item_id: String,
    call: ToolCall,
}

/// Reassembles a streamed response from its semantic events.
struct Accumulator {
    origin: String,
    text: String,
    /// Text arrived as deltas, so a finished message item adds nothing.
    streamed_text: bool,
    calls: Vec<Call>,
    reasoning: Vec<Reasoning>,
    usage: Option<Usage>,
    completed: bool,
}

impl Accumulator {
    fn new(origin: String) -> Self {
        Accumulator {
            origin,
            text: String::new(),
            streamed_text: false,
            calls: Vec::new(),
            reasoning: Vec::new(),
            usage: None,
            completed: false,
        }
    }

    /// Takes one event; true once the response is complete.
    fn absorb(
        &mut self,
        ev: &Value,
        provider: &str,
        sink: DeltaSink<'_>,
    ) -> Result<bool, ProviderError> {
        let s = |k: &str| ev.get(k).and_then(Value::as_str).unwrap_or_default();
        match s("type") {
            "response.output_item.added" => {
                let item = &ev["item"];
                if item["type"] == "function_call" {
                    self.call_item(item);
                }
            }
            // A refusal under a JSON-schema format: its reason is the answer the schema check
            // sends back.
            "response.output_text.delta" | "response.refusal.delta" => {
                let d = s("delta");
                self.text.push_str(d);
                self.streamed_text = true;
                sink(Delta::Text(d));
            }
            "response.function_call_arguments.delta" => {
                if let Some(c) = self.calls.iter_mut().find(|c| c.item_id == s("item_id")) {
                    c.call.arguments.push_str(s("delta"));
                }
            }
            "response.function_call_arguments.done" => {
                if let Some(c) = self.calls.iter_mut().find(|c| c.item_id == s("item_id")) {
                    c.call.arguments = s("arguments").to_string();
                }
            }
            "response.reasoning_summary_part.added"
                if ev["summary_index"].as_u64().is_some_and(|i| i > 0) =>
            {
                sink(Delta::Reasoning("\n\n"))
            }
            "response.reasoning_summary_text.delta" => sink(Delta::Reasoning(s("delta"))),
            "response.output_item.done" => self.done_item(&ev["item"], sink),
            "response.completed" => {
                self.usage = usage(&ev["response"]["usage"]);
                self.completed = true;
                return Ok(true);
            }
            "response.incomplete" => return Err(incomplete(provider, &ev["response"])),
            "response.failed" => return Err(failed(provider, &ev["response"]["error"])),
            "error" => return Err(failed(provider, ev)),
            _ => {}
        }
        Ok(false)
    }

    /// A whole response object, from a server that answered without streaming.
    fn absorb_response(
        &mut self,
        r: &Value,
        provider: &str,
        sink: DeltaSink<'_>,
    ) -> Result<(), ProviderError> {
        match r["status"].as_str() {
            Some("failed") => return Err(failed(provider, &r["error"])),
            Some("incomplete") => return Err(incomplete(provider, r)),
            _ => {}
        }
        for item in r["output"].as_array().into_iter().flatten() {
            if item["type"] == "function_call" {
                self.call_item(item);
            }
            self.done_item(item, sink);
        }
        self.usage = usage(&r["usage"]);
        self.completed = true;
        Ok(())
    }

    fn call_item(&mut self, item: &Value) {
        let id = item["id"].as_str().unwrap_or_default();
        if self.calls.iter().any(|c| c.item_id == id && !id.is_empty()) {
            return;
        }
        self.calls.push(Call {
            item_id: id.to_string(),
            call: ToolCall {
                id: item["call_id"].as_str().unwrap_or_default().to_string(),
                name: item["name"].as_str().unwrap_or_default().to_string(),
                arguments: item["arguments"].as_str().unwrap_or_default().to_string(),
            },
        });
    }

    /// A finished output item is authoritative: it carries the reasoning's encrypted content and
    /// a call's full arguments.
    fn done_item(&mut self, item: &Value, sink: DeltaSink<'_>) {
        match item["type"].as_str() {
            Some("reasoning") => {
                let summary = item["summary"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["text"].as_str().map(str::to_string))
                    .collect();
                self.reasoning.push(Reasoning {
                    origin: self.origin.clone(),
                    block: ReasoningBlock::OpenaiReasoning {
                        id: item["id"].as_str().unwrap_or_default().to_string(),
                        summary,
                        encrypted_content: item["encrypted_content"].as_str().map(str::to_string),
                    },
                });
            }
            Some("function_call") => {
                let id = item["id"].as_str().unwrap_or_default();
                match self.calls.iter_mut().find(|c| c.item_id == id) {
                    Some(c) => {
                        if let Some(a) = item["arguments"].as_str() {
                            c.call.arguments = a.to_string();
                        }
                        if let Some(cid) = item["call_id"].as_str() {
                            c.call.id = cid.to_string();
                        }
                    }
                    None => self.call_item(item),
                }
            }
            Some("message") if !self.streamed_text => {
                for part in item["content"].as_array().into_iter().flatten() {
                    let t = match part["type"].as_str() {
                        Some("output_text") => part["text"].as_str(),
                        Some("refusal") => part["refusal"].as_str(),
                        _ => None,
                    };
                    if let Some(t) = t {
                        self.text.push_str(t);
                        sink(Delta::Text(t));
                    }
                }
            }
            _ => {}
        }
    }

    fn finish(self, provider: &str) -> Result<Completion, ProviderError> {
        if !self.completed {
            return Err(ProviderError::Truncated {
                provider: provider.into(),
            });
        }
        let tool_calls = self
            .calls
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let mut call = c.call;
                if call.id.is_empty() {
                    call.id = format!("call_{i}");
                }
                if call.arguments.trim().is_empty() {
                    call.arguments = "{}".into();
                }
                call
            })
            .collect();
        Ok(Completion {
            text: self.text,
            tool_calls,
            usage: self.usage,
            reasoning: self.reasoning,
        })
    }
}

/// Responses usage: `input_tokens` includes the cached ones, `output_tokens` the reasoning ones.
fn usage(u: &Value) -> Option<Usage> {
    let n = |p: &str| u.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    u.get("input_tokens")?.as_u64()?;
    Some(Usage {
        input_tokens: n("/input_tokens"),
        cached_input_tokens: n("/input_tokens_details/cached_tokens"),
        cache_write_tokens: 0,
        output_tokens: n("/output_tokens"),
        reasoning_tokens: n("/output_tokens_details/reasoning_tokens"),
    })
}

/// `response.failed` and `error` events: the error code decides whether another try may help.
fn failed(provider: &str, err: &Value) -> ProviderError {
    let code = err["code"].as_str().unwrap_or_default();
    let message = err["message"].as_str().unwrap_or("the response failed");
    let status = match code {
        c if c.contains("rate_limit") => 429,
        "server_error" | "overloaded" | "" => 500,
        _ => 400,
    };
    ProviderError::Status {
        provider: provider.into(),
        status,
        message: if code.is_empty() {
            message.to_string()
        } else {
            format!("{message} ({code})")
        },
        retry_after: None,
    }
}

fn incomplete(provider: &str, response: &Value) -> ProviderError {
    let reason = response
        .pointer("/incomplete_details/reason")
        .and_then(Value::as_str)
        .unwrap_or("unknown reason");
    ProviderError::Incomplete {
        provider: provider.into(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::{Image, Item};

    /// Every kind of history item, as the server receives it; reasoning from another model is
    /// left out.
    #[test]
    fn the_body_carries_every_kind_of_input_item_in_order() {
        let png = Image::from_bytes("shot.png", b"\x89PNG\r\n\x1a\n0000".to_vec()).unwrap();
        let thought = |origin: &str, id: &str| Reasoning {
            origin: origin.into(),
            block: ReasoningBlock::OpenaiReasoning {
                id: id.into(),
                summary: vec!["s1".into(), "s2".into()],
                encrypted_content: Some("enc".into()),
            },
        };
        let mut history = vec![
            Item::User {
                text: "look".into(),
                images: vec![png.clone()],
            },
            Item::Assistant {
                text: "reading".into(),
                tool_calls: vec![ToolCall {
                    id: "c1".into(),
                    name: "read_file".into(),
                    arguments: r#"{"path":"a"}"#.into(),
                }],
                reasoning: vec![thought("p/m", "r1"), thought("other/x", "r2")],
            },
        ];
        history.extend(HttpEndpoint::read_results_for_tests(&png));
        let tools = vec![crate::conversation::ToolSpec {
            name: "read_file".into(),
            description: "Reads".into(),
            parameters: json!({"type": "object"}),
        }];
        let ep = HttpEndpoint::for_body_tests(crate::config::model::Capabilities {
            reasoning: true,
            ..Default::default()
        });
        let mut req = Request::for_tests(&tools, &history);
        req.effort = Some(crate::types::Effort::Medium);
        req.cache_key = "key";
        let url = png.data_url();
        let image = json!({"type": "input_image", "image_url": url, "detail": "auto"});
        let expected = json!({
            "model": "m",
            "instructions": "sys",
            "input": [
                {"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "look"}, image,
                ]},
                {"type": "reasoning", "id": "r1", "summary": [
                    {"type": "summary_text", "text": "s1"}, {"type": "summary_text", "text": "s2"},
                ], "encrypted_content": "enc"},
                {"type": "message", "role": "assistant", "content": [
                    {"type": "output_text", "text": "reading"},
                ]},
                {"type": "function_call", "call_id": "c1", "name": "read_file", "arguments": "{\"path\":\"a\"}"},
                {"type": "function_call_output", "call_id": "c1", "output": [
                    {"type": "input_text", "text": "one"}, image,
                ]},
                {"type": "function_call_output", "call_id": "c2", "output": "two"},
            ],
            "stream": true,
            "store": false,
            "tools": [{"type": "function", "name": "read_file", "description": "Reads",
                       "parameters": {"type": "object"}, "strict": false}],
            "reasoning": {"summary": "auto", "effort": "medium"},
            "include": ["reasoning.encrypted_content"],
            "prompt_cache_key": "key",
            "max_output_tokens": 77,
        });
        let sent = body_text(&ep, &req);
        assert_eq!(serde_json::from_str::<Value>(&sent).unwrap(), expected);
        let keys = [
            "model",
            "instructions",
            "input",
            "stream",
            "store",
            "tools",
            "reasoning",
            "include",
            "prompt_cache_key",
            "max_output_tokens",
        ];
        let at: Vec<usize> = keys
            .iter()
            .map(|k| sent.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "field order: {sent}");
        assert!(
            sent.contains(r#"{"type":"function_call","call_id":"c1","name""#),
            "{sent}"
        );
    }

    fn body_text(ep: &HttpEndpoint, req: &Request<'_>) -> String {
        let format = req.format.and_then(|f| format_use(ep, f).sent);
        serde_json::to_string(&Body::new(ep, req, &ep.origin(), format)).unwrap()
    }

    fn feed(events: &[Value]) -> Result<(Completion, String), ProviderError> {
        let mut acc = Accumulator::new("openai/gpt".into());
        let mut seen = String::new();
        let mut sink = |d: Delta<'_>| match d {
            Delta::Text(t) => seen.push_str(t),
            Delta::Reasoning(r) => seen.push_str(&format!("[{r}]")),
        };
        for e in events {
            if acc.absorb(e, "p", &mut sink)? {
                break;
            }
        }
        acc.finish("p").map(|c| (c, seen))
    }

    #[test]
    fn reassembles_reasoning_text_calls_and_usage() {
        let (c, seen) = feed(&[
            json!({"type":"response.created","response":{"id":"resp_1"}}),
            json!({"type":"response.output_item.added","output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[]}}),
            json!({"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":0,"delta":"think"}),
            json!({"type":"response.output_item.done","output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"think"}],"encrypted_content":"enc"}}),
            json!({"type":"response.output_text.delta","item_id":"msg_1","output_index":1,"content_index":0,"delta":"Hi"}),
            json!({"type":"response.output_item.added","output_index":2,"item":{"id":"fc_1","type":"function_call","call_id":"call_a","name":"read_file","arguments":""}}),
            json!({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":2,"delta":"{\"pa"}),
            json!({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":2,"delta":"th\":\"a\"}"}),
            json!({"type":"response.completed","response":{"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":4},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":5}}}}),
        ])
        .unwrap();
        assert_eq!(seen, "[think]Hi");
        assert_eq!(c.text, "Hi");
        assert_eq!(c.tool_calls[0].id, "call_a");
        assert_eq!(c.tool_calls[0].arguments, r#"{"path":"a"}"#);
        let u = c.usage.unwrap();
        assert_eq!((u.input_tokens, u.cached_input_tokens), (10, 4));
        assert_eq!((u.output_tokens, u.reasoning_tokens), (7, 5));
        assert!(matches!(
            &c.reasoning[0].block,
            ReasoningBlock::OpenaiReasoning { encrypted_content: Some(e), .. } if e == "enc"
        ));
    }

    #[test]
    fn a_refusal_is_taken_as_the_text_streamed_or_whole() {
        let (c, _) = feed(&[
            json!({"type":"response.refusal.delta","item_id":"msg_1","delta":"No."}),
            json!({"type":"response.completed","response":{}}),
        ])
        .unwrap();
        assert_eq!(c.text, "No.");
        let mut acc = Accumulator::new("openai/gpt".into());
        let mut sink = |_: Delta<'_>| {};
        let whole = json!({"status": "completed", "output": [{"type": "message",
            "content": [{"type": "refusal", "refusal": "No."}]}]});
        acc.absorb_response(&whole, "p", &mut sink).unwrap();
        assert_eq!(acc.finish("p").unwrap().text, "No.");
    }

    #[test]
    fn a_stream_without_completion_is_truncated_and_failure_is_an_error() {
        let r = feed(&[json!({"type":"response.output_text.delta","delta":"Hi"})]);
        assert!(matches!(r, Err(ProviderError::Truncated { .. })));
        let r = feed(&[
            json!({"type":"response.failed","response":{"error":{"code":"rate_limit_exceeded","message":"slow down"}}}),
        ]);
        assert!(matches!(r, Err(ProviderError::Status { status: 429, .. })));
        let r = feed(&[
            json!({"type":"response.incomplete","response":{"incomplete_details":{"reason":"max_output_tokens"}}}),
        ]);
        assert!(
            matches!(r, Err(ProviderError::Incomplete { reason, .. }) if reason == "max_output_tokens")
        );
    }

    #[test]
    fn reasoning_goes_back_only_to_its_model_and_only_with_its_content() {
        let mine = |enc: Option<&str>, origin: &str| Reasoning {
            origin: origin.into(),
            block: ReasoningBlock::OpenaiReasoning {
                id: "rs_1".into(),
                summary: vec!["s".into()],
                encrypted_content: enc.map(str::to_string),
            },
        };
        let turn = |r: Vec<Reasoning>| Item::Assistant {
            text: String::new(),
            tool_calls: vec![ToolCall {
                id: "c".into(),
                name: "x".into(),
                arguments: "{}".into(),
            }],
            reasoning: r,
        };
        let sent = |history: &[Item]| -> Vec<Value> {
            let items = crate::provider::responses_body::input(history, "openai/gpt");
            serde_json::from_value(serde_json::to_value(items).unwrap()).unwrap()
        };
        let items = sent(&[turn(vec![mine(Some("enc"), "openai/gpt")])]);
        assert_eq!(items[0]["type"], "reasoning");
        assert_eq!(items[0]["encrypted_content"], "enc");
        assert_eq!(items[1]["type"], "function_call");
        for other in [mine(Some("enc"), "openai/other"), mine(None, "openai/gpt")] {
            let items = sent(&[turn(vec![other])]);
            assert_eq!(items.len(), 1, "{items:?}");
        }
    }
}
