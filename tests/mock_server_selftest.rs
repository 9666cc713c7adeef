//! Self-test of the mock model server in `tests/support`: every reply kind on both wire formats,
//! request recording, and script exhaustion.

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use support::{http_client, MockServer, Reply, ToolCall, Turn};

/// One parsed SSE event: its `event:` name (if any) and its `data:` text.
#[derive(Debug)]
struct Sse {
    event: Option<String>,
    data: String,
}

impl Sse {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).expect("SSE data is JSON")
    }
}

/// A spec-following SSE parser (optional single space after the colon, LF line endings).
fn parse_sse(text: &str) -> Vec<Sse> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        if block.trim().is_empty() {
            continue;
        }
        let mut event = None;
        let mut data = Vec::new();
        for line in block.lines() {
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => event = Some(value.to_owned()),
                "data" => data.push(value.to_owned()),
                _ => {}
            }
        }
        out.push(Sse {
            event,
            data: data.join("\n"),
        });
    }
    out
}

fn openai_request(model: &str, include_usage: bool) -> Value {
    let mut body = json!({
        "model": model,
        "stream": true,
        "messages": [{ "role": "user", "content": "hello" }],
    });
    if include_usage {
        body["stream_options"] = json!({ "include_usage": true });
    }
    body
}

fn anthropic_request(model: &str) -> Value {
    json!({
        "model": model,
        "max_tokens": 1024,
        "stream": true,
        "messages": [{ "role": "user", "content": "hello" }],
    })
}

async fn post(url: &str, body: &Value) -> reqwest::Response {
    http_client()
        .post(url)
        .header("authorization", "Bearer sk-test")
        .json(body)
        .send()
        .await
        .expect("send request to the mock server")
}

/// What a client would reconstruct from an OpenAI stream.
#[derive(Debug, Default)]
struct OpenAiResult {
    text: String,
    /// (id, name, arguments) per tool-call index.
    calls: Vec<(String, String, String)>,
    fragments_per_call: Vec<usize>,
    finish_reason: Option<String>,
    usage: Option<Value>,
    done: bool,
}

fn fold_openai(events: &[Sse]) -> OpenAiResult {
    let mut r = OpenAiResult::default();
    for ev in events {
        assert!(!r.done, "nothing may follow [DONE]");
        if ev.data == "[DONE]" {
            r.done = true;
            continue;
        }
        let chunk = ev.json();
        if let Some(usage) = chunk.get("usage").filter(|u| !u.is_null()) {
            r.usage = Some(usage.clone());
        }
        let choices = chunk["choices"].as_array().expect("choices array");
        for choice in choices {
            let delta = &choice["delta"];
            if let Some(text) = delta["content"].as_str() {
                r.text.push_str(text);
            }
            if let Some(calls) = delta["tool_calls"].as_array() {
                for call in calls {
                    let i = call["index"].as_u64().expect("tool call index") as usize;
                    if r.calls.len() <= i {
                        r.calls.resize(i + 1, Default::default());
                        r.fragments_per_call.resize(i + 1, 0);
                    }
                    if let Some(id) = call["id"].as_str() {
                        r.calls[i].0 = id.to_owned();
                    }
                    if let Some(name) = call["function"]["name"].as_str() {
                        r.calls[i].1 = name.to_owned();
                    }
                    if let Some(args) = call["function"]["arguments"].as_str() {
                        if !args.is_empty() {
                            r.fragments_per_call[i] += 1;
                        }
                        r.calls[i].2.push_str(args);
                    }
                }
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                if !reason.is_empty() {
                    r.finish_reason = Some(reason.to_owned());
                }
            }
        }
    }
    r
}

/// What a client would reconstruct from an Anthropic stream.
#[derive(Debug, Default)]
struct AnthropicResult {
    names: Vec<String>,
    text: String,
    /// (id, name, partial_json concatenated)
    calls: Vec<(String, String, String)>,
    stop_reason: Option<String>,
    start_usage: Value,
    output_tokens: Option<u64>,
}

fn fold_anthropic(events: &[Sse]) -> AnthropicResult {
    let mut r = AnthropicResult::default();
    for ev in events {
        let name = ev.event.clone().expect("anthropic events are named");
        let data = ev.json();
        assert_eq!(
            data["type"],
            Value::from(name.as_str()),
            "event name = data.type"
        );
        match name.as_str() {
            "message_start" => r.start_usage = data["message"]["usage"].clone(),
            "content_block_start" => {
                let block = &data["content_block"];
                if block["type"] == "tool_use" {
                    assert_eq!(block["input"], json!({}));
                    r.calls.push((
                        block["id"].as_str().expect("id").to_owned(),
                        block["name"].as_str().expect("name").to_owned(),
                        String::new(),
                    ));
                }
            }
            "content_block_delta" => {
                let delta = &data["delta"];
                match delta["type"].as_str() {
                    Some("text_delta") => r.text.push_str(delta["text"].as_str().expect("text")),
                    Some("input_json_delta") => r
                        .calls
                        .last_mut()
                        .expect("tool block open")
                        .2
                        .push_str(delta["partial_json"].as_str().expect("partial_json")),
                    other => panic!("unexpected delta type {other:?}"),
                }
            }
            "message_delta" => {
                r.stop_reason = data["delta"]["stop_reason"].as_str().map(str::to_owned);
                r.output_tokens = data["usage"]["output_tokens"].as_u64();
            }
            _ => {}
        }
        r.names.push(name);
    }
    r
}

// ---------------------------------------------------------------------------------------------
// OpenAI format
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn openai_text_turn_streams_incrementally_with_usage() {
    let text = "Hello there, this is a streamed answer — with ünïcödé.";
    let server = MockServer::start(vec![Reply::Turn(
        Turn::text(text).with_usage(1200, 1000, 42),
    )]);
    let url = format!("{}/chat/completions", server.openai_base());
    let resp = post(&url, &openai_request("gpt-test", true)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().expect("ascii"),
        "text/event-stream"
    );

    let mut stream = resp.bytes_stream();
    let mut pieces = 0;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.expect("stream chunk"));
        pieces += 1;
    }
    assert!(
        pieces > 1,
        "the stream arrives in several pieces, got {pieces}"
    );
    let body = String::from_utf8(body).expect("utf-8 stream");
    let events = parse_sse(&body);

    let first = events[0].json();
    assert!(first["id"].as_str().expect("id").starts_with("chatcmpl-"));
    assert_eq!(first["object"], "chat.completion.chunk");
    assert!(first["created"].as_u64().is_some());
    assert_eq!(first["model"], "gpt-test");
    assert_eq!(first["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(first["choices"][0]["delta"]["content"], "");
    assert_eq!(first["choices"][0]["finish_reason"], Value::Null);
    assert_eq!(
        first["usage"],
        Value::Null,
        "include_usage: other chunks carry usage: null"
    );

    let content_chunks = events
        .iter()
        .filter(|e| e.data != "[DONE]")
        .filter(|e| {
            e.json()["choices"][0]["delta"]["content"]
                .as_str()
                .is_some_and(|c| !c.is_empty())
        })
        .count();
    assert!(
        content_chunks >= 6,
        "text split into ~8-char deltas, got {content_chunks}"
    );

    let r = fold_openai(&events);
    assert_eq!(r.text, text);
    assert!(r.calls.is_empty());
    assert_eq!(r.finish_reason.as_deref(), Some("stop"));
    assert!(r.done);
    let usage_event = &events[events.len() - 2].json();
    assert_eq!(usage_event["choices"], json!([]));
    assert_eq!(
        r.usage.expect("usage chunk"),
        json!({
            "prompt_tokens": 1200,
            "completion_tokens": 42,
            "total_tokens": 1242,
            "prompt_tokens_details": { "cached_tokens": 1000, "audio_tokens": 0 },
            "completion_tokens_details": { "reasoning_tokens": 0, "audio_tokens": 0 },
        })
    );
    assert_eq!(server.remaining(), 0);
}

#[tokio::test]
async fn openai_tool_calls_stream_in_fragments() {
    let server = MockServer::start(vec![
        Reply::Turn(
            Turn::tools(vec![
                ("read_file", json!({ "path": "src/main.rs" })),
                (
                    "shell",
                    json!({ "command": "cargo test --all", "timeout": 30 }),
                ),
            ])
            .with_text("Let me look."),
        ),
        Reply::tool("ls", json!({})),
    ]);
    let url = format!("{}/chat/completions", server.openai_base());
    let body = post(&url, &openai_request("m", false))
        .await
        .text()
        .await
        .expect("body");
    let events = parse_sse(&body);
    let r = fold_openai(&events);
    assert_eq!(r.text, "Let me look.");
    assert_eq!(
        r.calls,
        vec![
            (
                "call_1".to_owned(),
                "read_file".to_owned(),
                json!({ "path": "src/main.rs" }).to_string()
            ),
            (
                "call_2".to_owned(),
                "shell".to_owned(),
                json!({ "command": "cargo test --all", "timeout": 30 }).to_string()
            ),
        ]
    );
    for n in &r.fragments_per_call {
        assert!((2..=4).contains(n), "arguments in 2-4 fragments, got {n}");
    }
    assert_eq!(r.finish_reason.as_deref(), Some("tool_calls"));
    assert!(r.usage.is_none(), "no usage chunk unless include_usage");
    assert!(r.done);
    // The first delta of a tool call carries id, type and name with empty arguments.
    let opener = events
        .iter()
        .map(Sse::json)
        .find(|c| c["choices"][0]["delta"]["tool_calls"][0]["id"].is_string())
        .expect("tool call opener");
    let call = &opener["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["arguments"], "");

    // Second turn: a tool-only turn opens with content null; ids keep counting across the script.
    let body = post(&url, &openai_request("m", false))
        .await
        .text()
        .await
        .expect("body");
    let events = parse_sse(&body);
    assert_eq!(
        events[0].json()["choices"][0]["delta"]["content"],
        Value::Null
    );
    let r = fold_openai(&events);
    assert_eq!(
        r.calls,
        vec![("call_3".to_owned(), "ls".to_owned(), "{}".to_owned())]
    );
}

#[tokio::test]
async fn raw_malformed_arguments_are_sent_verbatim() {
    let raw = r#"{"path": "a.txt", "content": "unterminated"#;
    let server = MockServer::start(vec![
        Reply::Turn(Turn::calls(vec![
            ToolCall::raw("write_file", raw).with_id("fixed_id")
        ])),
        Reply::Turn(Turn::calls(vec![ToolCall::raw("write_file", raw)])),
    ]);
    let url = format!("{}/chat/completions", server.openai_base());
    let body = post(&url, &openai_request("m", false))
        .await
        .text()
        .await
        .expect("body");
    let r = fold_openai(&parse_sse(&body));
    assert_eq!(
        r.calls,
        vec![(
            "fixed_id".to_owned(),
            "write_file".to_owned(),
            raw.to_owned()
        )]
    );

    let body = post(
        &format!("{}/v1/messages", server.anthropic_base()),
        &anthropic_request("c"),
    )
    .await
    .text()
    .await
    .expect("body");
    let r = fold_anthropic(&parse_sse(&body));
    assert_eq!(
        r.calls,
        vec![("call_1".to_owned(), "write_file".to_owned(), raw.to_owned())]
    );
}

#[tokio::test]
async fn openai_sloppy_turn() {
    let server = MockServer::start(vec![
        Reply::SloppyTurn(
            Turn::tool("grep", json!({ "pattern": "fn main" }))
                .with_text("Searching now")
                .with_usage(50, 10, 5),
        ),
        Reply::SloppyTurn(Turn::text("nope")),
    ]);
    let url = format!("{}/chat/completions", server.openai_base());
    let body = post(&url, &openai_request("local", false))
        .await
        .text()
        .await
        .expect("body");
    assert!(
        body.starts_with("data:{"),
        "sloppy servers omit the space after data:"
    );
    let events = parse_sse(&body);
    let last_json = events.len() - 2;
    for (i, ev) in events.iter().enumerate() {
        if ev.data == "[DONE]" {
            assert_eq!(i, events.len() - 1);
            continue;
        }
        let c = ev.json();
        assert!(c.get("id").is_none() && c.get("object").is_none() && c.get("created").is_none());
        if i < last_json - 1 {
            assert_eq!(
                c["choices"][0]["finish_reason"], "",
                "intermediate finish_reason is \"\""
            );
        }
    }
    let usage_chunk = events[last_json].json();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert!(body.contains("\"role\":null"));
    let r = fold_openai(&events);
    assert_eq!(r.text, "Searching now");
    assert_eq!(
        r.calls,
        vec![(
            "call_1".to_owned(),
            "grep".to_owned(),
            json!({ "pattern": "fn main" }).to_string()
        )]
    );
    assert_eq!(r.finish_reason.as_deref(), Some("tool_calls"));
    let usage = r.usage.expect("usage even without include_usage");
    assert_eq!(usage["prompt_tokens"], 50);
    assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 10);
    assert_eq!(usage["completion_tokens"], 5);
    assert!(r.done);

    // On an Anthropic path a SloppyTurn is a script error: loud 500.
    let resp = post(
        &format!("{}/v1/messages", server.anthropic_base()),
        &anthropic_request("c"),
    )
    .await;
    assert_eq!(resp.status(), 500);
    assert!(resp.text().await.expect("body").contains("OpenAI-only"));
}

// ---------------------------------------------------------------------------------------------
// Anthropic format
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn anthropic_text_turn() {
    let text = "Sure — here is a longer answer in several deltas.";
    let server = MockServer::start(vec![Reply::Turn(
        Turn::text(text).with_usage(1000, 800, 33),
    )]);
    let resp = post(
        &format!("{}/v1/messages", server.anthropic_base()),
        &anthropic_request("claude-x"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().expect("ascii"),
        "text/event-stream"
    );
    let body = resp.text().await.expect("body");
    let events = parse_sse(&body);
    let r = fold_anthropic(&events);
    assert_eq!(r.names[0], "message_start");
    assert_eq!(r.names[1], "ping");
    assert_eq!(r.names[2], "content_block_start");
    assert_eq!(r.names.last().map(String::as_str), Some("message_stop"));
    assert_eq!(r.names[r.names.len() - 2], "message_delta");
    assert!(
        r.names
            .iter()
            .filter(|n| *n == "content_block_delta")
            .count()
            >= 5
    );
    assert_eq!(r.text, text);
    assert_eq!(r.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(r.output_tokens, Some(33));
    assert_eq!(
        r.start_usage,
        json!({
            "input_tokens": 200,
            "cache_read_input_tokens": 800,
            "cache_creation_input_tokens": 0,
            "output_tokens": 1,
        })
    );
    let start = events[0].json();
    assert_eq!(start["message"]["model"], "claude-x");
    assert_eq!(start["message"]["role"], "assistant");
    assert_eq!(start["message"]["content"], json!([]));
    assert!(start["message"]["id"]
        .as_str()
        .expect("id")
        .starts_with("msg_"));
}

#[tokio::test]
async fn anthropic_tool_turn() {
    let server = MockServer::start(vec![Reply::Turn(
        Turn::tools(vec![
            ("read_file", json!({ "path": "Cargo.toml" })),
            (
                "edit",
                json!({ "path": "src/lib.rs", "old": "a", "new": "b" }),
            ),
        ])
        .with_text("Reading."),
    )]);
    let body = post(
        &format!("{}/v1/messages", server.anthropic_base()),
        &anthropic_request("c"),
    )
    .await
    .text()
    .await
    .expect("body");
    let events = parse_sse(&body);
    let r = fold_anthropic(&events);
    assert_eq!(r.text, "Reading.");
    assert_eq!(
        r.calls,
        vec![
            (
                "call_1".to_owned(),
                "read_file".to_owned(),
                json!({ "path": "Cargo.toml" }).to_string()
            ),
            (
                "call_2".to_owned(),
                "edit".to_owned(),
                json!({ "path": "src/lib.rs", "old": "a", "new": "b" }).to_string()
            ),
        ]
    );
    assert_eq!(r.stop_reason.as_deref(), Some("tool_use"));
    // Block indices: text 0, tools 1 and 2; each tool block gets 2-4 non-empty fragments.
    for index in 1..=2 {
        let fragments = events
            .iter()
            .map(Sse::json)
            .filter(|d| d["type"] == "content_block_delta" && d["index"] == index)
            .filter(|d| {
                d["delta"]["partial_json"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty())
            })
            .count();
        assert!(
            (2..=4).contains(&fragments),
            "block {index}: {fragments} fragments"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Status replies and exhaustion
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn status_replies_have_provider_shaped_errors() {
    let server = MockServer::start(vec![
        Reply::rate_limited("1"),
        Reply::status(500, "boom"),
        Reply::Status {
            code: 401,
            retry_after: None,
            body: "invalid x-api-key".to_owned(),
        },
        Reply::Status {
            code: 529,
            retry_after: Some("2".to_owned()),
            body: String::new(),
        },
        Reply::status(400, r#"{"custom":true}"#),
    ]);
    let openai = format!("{}/chat/completions", server.openai_base());
    let anthropic = format!("{}/v1/messages", server.anthropic_base());

    let resp = post(&openai, &openai_request("m", true)).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["type"], "requests");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("Rate limit"));

    let resp = post(&openai, &openai_request("m", true)).await;
    assert_eq!(resp.status(), 500);
    assert!(resp.headers().get("retry-after").is_none());
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        body["error"],
        json!({ "message": "boom", "type": "server_error", "param": null, "code": null })
    );

    let resp = post(&anthropic, &anthropic_request("c")).await;
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["type"], "error");
    assert_eq!(
        body["error"],
        json!({ "type": "authentication_error", "message": "invalid x-api-key" })
    );

    let resp = post(&anthropic, &anthropic_request("c")).await;
    assert_eq!(resp.status().as_u16(), 529);
    assert_eq!(resp.headers()["retry-after"], "2");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["type"], "overloaded_error");

    let resp = post(&anthropic, &anthropic_request("c")).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.expect("json"),
        json!({ "custom": true })
    );
}

#[tokio::test]
async fn exhausted_script_answers_500() {
    let server = MockServer::start(vec![Reply::text("only one")]);
    let openai = format!("{}/chat/completions", server.openai_base());
    assert_eq!(
        post(&openai, &openai_request("m", false)).await.status(),
        200
    );

    let resp = post(&openai, &openai_request("m", false)).await;
    assert_eq!(resp.status(), 500);
    let body: Value = resp.json().await.expect("json");
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("mock script exhausted"));

    let resp = post(
        &format!("{}/v1/messages", server.anthropic_base()),
        &anthropic_request("c"),
    )
    .await;
    assert_eq!(resp.status(), 500);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["type"], "error");
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("mock script exhausted"));
    assert_eq!(
        server.requests().len(),
        3,
        "exhausted requests are still recorded"
    );
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

/// Reads a streamed body until it ends or errors; returns the text and whether it errored.
async fn read_until_error(resp: reqwest::Response) -> (String, bool) {
    let mut stream = resp.bytes_stream();
    let mut body = Vec::new();
    let mut errored = false;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => body.extend_from_slice(&bytes),
            Err(_) => {
                errored = true;
                break;
            }
        }
    }
    (String::from_utf8(body).expect("utf-8"), errored)
}

#[tokio::test]
async fn cut_stream_closes_mid_body() {
    let turn = Turn::text("A reply that will never be finished by the server.")
        .with_call(ToolCall::new("ls", json!({ "dir": "." })));
    let server = MockServer::start(vec![Reply::Cut(turn.clone()), Reply::Cut(turn)]);

    let resp = post(
        &format!("{}/chat/completions", server.openai_base()),
        &openai_request("m", true),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let (body, errored) = read_until_error(resp).await;
    assert!(errored, "a cut chunked body is an error for the client");
    let events = parse_sse(&body);
    assert!(
        events.len() >= 3,
        "about half of the events arrive, got {}",
        events.len()
    );
    let r = fold_openai(&events);
    assert!(r.finish_reason.is_none() && !r.done && r.usage.is_none());

    let resp = post(
        &format!("{}/v1/messages", server.anthropic_base()),
        &anthropic_request("c"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let (body, errored) = read_until_error(resp).await;
    assert!(errored);
    let r = fold_anthropic(&parse_sse(&body));
    assert!(r.names.len() >= 3);
    assert!(r.stop_reason.is_none());
    assert!(!r.names.iter().any(|n| n == "message_stop"));
}

#[tokio::test]
async fn truncated_stream_ends_cleanly_without_finish() {
    let turn = Turn::text("Half of this arrives, then a clean end of body.");
    let server = MockServer::start(vec![Reply::Truncated(turn.clone()), Reply::Truncated(turn)]);

    let resp = post(
        &format!("{}/chat/completions", server.openai_base()),
        &openai_request("m", true),
    )
    .await;
    let (body, errored) = read_until_error(resp).await;
    assert!(!errored);
    let r = fold_openai(&parse_sse(&body));
    assert!(!r.text.is_empty());
    assert!(r.finish_reason.is_none() && !r.done);

    let resp = post(
        &format!("{}/v1/messages", server.anthropic_base()),
        &anthropic_request("c"),
    )
    .await;
    let (body, errored) = read_until_error(resp).await;
    assert!(!errored);
    let r = fold_anthropic(&parse_sse(&body));
    assert!(r.stop_reason.is_none());
    assert!(!r.names.iter().any(|n| n == "message_stop"));
}

#[tokio::test]
async fn hang_never_answers() {
    let server = MockServer::start(vec![Reply::Hang, Reply::text("after the hang")]);
    let client = http_client();
    let url = format!("{}/chat/completions", server.openai_base());
    let started = std::time::Instant::now();
    let err = client
        .post(&url)
        .json(&openai_request("m", false))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .expect_err("a hung request times out");
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(server.requests().len(), 1, "the hung request was recorded");

    // The server keeps serving other connections meanwhile.
    let resp = post(&url, &openai_request("m", false)).await;
    assert_eq!(resp.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// Recording, sync use, shutdown
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn requests_are_recorded() {
    let server = MockServer::start(vec![
        Reply::text("one"),
        Reply::text("two"),
        Reply::text("three"),
        Reply::text("four"),
    ]);
    let client = http_client();
    let body = anthropic_request("claude-rec");
    client
        .post(format!("{}/v1/messages", server.anthropic_base()))
        .header("X-Api-Key", "secret-key")
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("body");

    // A chunked request body.
    let openai_body = openai_request("gpt-chunked", true);
    let text = openai_body.to_string();
    let (a, b) = text.split_at(text.len() / 2);
    let parts: Vec<Result<String, std::io::Error>> = vec![Ok(a.to_owned()), Ok(b.to_owned())];
    client
        .post(format!(
            "{}/chat/completions?api-version=1",
            server.openai_base()
        ))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            parts,
        )))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("body");

    // A non-JSON body and an empty body.
    client
        .post(format!("{}/v1/chat/completions", server.url()))
        .body("not json")
        .send()
        .await
        .expect("send");
    client
        .get(format!("{}/models", server.openai_base()))
        .send()
        .await
        .expect("send");

    let recorded = server.requests();
    assert_eq!(recorded.len(), 4);
    let first = &recorded[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/v1/messages");
    assert_eq!(first.body, body);
    assert_eq!(first.header("x-api-key"), Some("secret-key"));
    assert_eq!(first.header("X-API-KEY"), Some("secret-key"));
    assert_eq!(first.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert!(first
        .headers
        .iter()
        .all(|(n, _)| *n == n.to_ascii_lowercase()));
    assert!(first.header("missing").is_none());

    let second = &recorded[1];
    assert_eq!(second.path, "/v1/chat/completions?api-version=1");
    assert_eq!(second.header("transfer-encoding"), Some("chunked"));
    assert_eq!(second.body, openai_body);

    assert_eq!(recorded[2].body, Value::String("not json".to_owned()));
    assert_eq!(recorded[3].method, "GET");
    assert_eq!(recorded[3].path, "/v1/models");
    assert_eq!(recorded[3].body, Value::Null);
}

/// A synchronous test (as when spawning the `reins` binary) talking raw HTTP with std::net.
#[test]
fn usable_from_sync_code_and_drop_closes_hung_connections() {
    let server = MockServer::start(vec![Reply::text("sync hello"), Reply::Hang]);
    assert!(server.url().starts_with("http://127.0.0.1:"));
    assert_eq!(server.openai_base(), format!("{}/v1", server.url()));
    assert_eq!(server.anthropic_base(), server.url());
    let addr = server.url().trim_start_matches("http://").to_owned();

    let send = |addr: &str| {
        let body = openai_request("sync", false).to_string();
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        write!(
            stream,
            "POST /v1/chat/completions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("write request");
        stream
    };

    let mut stream = send(&addr);
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(response.contains("transfer-encoding: chunked\r\n"));
    assert!(response.contains("connection: close\r\n"));
    assert!(response.contains("data: [DONE]"));
    assert!(response.ends_with("0\r\n\r\n"));

    let mut hung = send(&addr);
    let recorded = server.wait_for_requests(2, Duration::from_secs(10));
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[1].body["model"], "sync");
    drop(server);
    let mut rest = Vec::new();
    // Closed by the dropped server: EOF (or a reset), never the read timeout.
    match hung.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty(), "a hung request gets no bytes"),
        Err(e) => assert!(
            !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "the connection should be closed on drop: {e}"
        ),
    }
}

#[tokio::test]
async fn push_extends_the_script() {
    let server = MockServer::start(Vec::new());
    server.push(Reply::tool("ls", json!({})));
    assert_eq!(server.remaining(), 1);
    let body = post(
        &format!("{}/chat/completions", server.openai_base()),
        &openai_request("m", false),
    )
    .await
    .text()
    .await
    .expect("body");
    let r = fold_openai(&parse_sse(&body));
    assert_eq!(r.calls[0].0, "call_1");
    assert_eq!(server.remaining(), 0);
}
