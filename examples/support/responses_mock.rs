//! A minimal OpenAI Responses API server on 127.0.0.1 for driving Codex CLI in benchmarks: each
//! POST gets the next scripted list of output items, streamed as `response.created`, one
//! `response.output_item.done` per item and `response.completed`, then the connection closes.
//! It records when each request was fully read, so a bench can time Codex's first request the
//! same way it times reins' (tests/support/mock_server.rs serves reins, which speaks Chat
//! Completions; Codex speaks only Responses).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The running server; it stops serving when dropped (its thread ends at the next connection
/// attempt or with the process).
pub struct ResponsesMock {
    port: u16,
    received: Arc<Mutex<Vec<Instant>>>,
}

impl ResponsesMock {
    /// Serves `script[i]` (output items) to the i-th request; requests past the end get the
    /// last entry again.
    pub fn start(script: Vec<Vec<Value>>) -> ResponsesMock {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let seen = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let n = seen.lock().unwrap_or_else(|e| e.into_inner()).len();
                let items = &script[n.min(script.len() - 1)];
                // A client that hung up mid-request is not answered; the next one is.
                let _ = serve(stream, n, items, &seen);
            }
        });
        ResponsesMock { port, received }
    }

    /// The base URL to put in a provider's `base_url`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// When each request so far was fully read.
    pub fn received(&self) -> Vec<Instant> {
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn serve(
    stream: TcpStream,
    n: usize,
    items: &[Value],
    seen: &Mutex<Vec<Instant>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    seen.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Instant::now());
    let id = format!("resp_{n}");
    let mut events = vec![json!({"type": "response.created", "response": {"id": id}})];
    events.extend(
        items
            .iter()
            .map(|item| json!({"type": "response.output_item.done", "item": item})),
    );
    events.push(
        json!({"type": "response.completed", "response": {"id": id, "usage": {
        "input_tokens": 100, "input_tokens_details": null, "output_tokens": 10,
        "output_tokens_details": null, "total_tokens": 110}}}),
    );
    let mut sse = String::new();
    for e in &events {
        sse.push_str(&format!(
            "event: {}\ndata: {e}\n\n",
            e["type"].as_str().unwrap_or("")
        ));
    }
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{sse}",
        sse.len()
    )?;
    out.flush()
}

/// A `function_call` output item.
pub fn function_call(call_id: &str, name: &str, arguments: Value) -> Value {
    json!({"type": "function_call", "call_id": call_id, "name": name,
           "arguments": arguments.to_string()})
}

/// An assistant `message` output item.
pub fn message(text: &str) -> Value {
    json!({"type": "message", "role": "assistant", "id": "msg_1",
           "content": [{"type": "output_text", "text": text}]})
}
