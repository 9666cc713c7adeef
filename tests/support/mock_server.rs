//! An in-process mock model server for integration tests.
//!
//! [`MockServer::start`] binds `127.0.0.1:0` and serves a script of [`Reply`]s, one per request, on a
//! background std thread with its own tokio runtime, so both async tests and synchronous tests that
//! spawn the `reins` binary can point a provider at it. The wire format follows the request path:
//! a path ending in `/messages` gets the Anthropic Messages SSE stream (with signed thinking, see
//! `mock_thinking`), one ending in `/responses` the OpenAI Responses stream (`mock_responses`),
//! anything else the OpenAI chat-completions SSE stream. Requests the real APIs reject (a
//! reasoning item without its encrypted content, a thinking block dropped or altered) are
//! answered 400 without using up a scripted reply, and so are native structured-output formats
//! they refuse (`mock_format`). Every request is recorded (method, path, lowercased headers, JSON
//! body) and can be inspected with [`MockServer::requests`].
//!
//! The HTTP side is deliberately small: one request per connection (`Connection: close`), bodies by
//! `Content-Length` or `Transfer-Encoding: chunked`, streamed responses sent chunked with a flush per
//! SSE event.

// Child modules by path, so the examples that include this file alone get them too.
#[path = "mock_format.rs"]
pub mod format;
#[path = "mock_images.rs"]
pub mod images;
#[path = "mock_responses.rs"]
pub mod responses;
#[path = "mock_thinking.rs"]
pub mod thinking;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// Pause between two SSE events, so that clients really receive the stream in pieces.
const EVENT_GAP: Duration = Duration::from_millis(1);
/// Refuse request heads larger than this (a runaway client, not a test scenario).
const MAX_HEAD_BYTES: usize = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Script types
// ---------------------------------------------------------------------------------------------

/// Token usage reported for a turn. `input_tokens` is the total prompt size *including* the cached
/// part (the OpenAI convention); the Anthropic stream reports `input_tokens - cached` and
/// `cache_read_input_tokens = cached`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
}

impl Usage {
    pub fn new(input_tokens: u64, cached_input_tokens: u64, output_tokens: u64) -> Usage {
        Usage {
            input_tokens,
            cached_input_tokens,
            output_tokens,
        }
    }
}

impl Default for Usage {
    /// 100 input tokens (none cached), 10 output tokens.
    fn default() -> Usage {
        Usage::new(100, 0, 10)
    }
}

/// One tool call in a scripted turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// Empty means "assign one": the server numbers such calls `call_1`, `call_2`, … in script
    /// order when the reply is scripted (in [`MockServer::start`] / [`MockServer::push`]).
    pub id: String,
    pub name: String,
    /// Raw JSON text of the arguments, streamed verbatim in fragments; may be deliberately malformed.
    pub arguments: String,
}

impl ToolCall {
    /// A call with well-formed JSON arguments.
    pub fn new(name: impl Into<String>, args: Value) -> ToolCall {
        ToolCall {
            id: String::new(),
            name: name.into(),
            arguments: args.to_string(),
        }
    }

    /// A call whose arguments text is sent exactly as given (for malformed-arguments tests).
    pub fn raw(name: impl Into<String>, raw_args: impl Into<String>) -> ToolCall {
        ToolCall {
            id: String::new(),
            name: name.into(),
            arguments: raw_args.into(),
        }
    }

    /// Use a fixed id instead of the auto-assigned `call_N`.
    pub fn with_id(mut self, id: impl Into<String>) -> ToolCall {
        self.id = id.into();
        self
    }
}

/// One assistant turn: optional reasoning, optional text, then zero or more tool calls.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Turn {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
    /// Reasoning before the reply: a Responses reasoning item (summary = this text) or an
    /// Anthropic thinking block (thinking = this text), when the request enabled it.
    pub reasoning: Option<String>,
    /// Anthropic: a `redacted_thinking` block after the thinking block.
    pub redacted: bool,
    /// Reported reasoning tokens (part of the output tokens).
    pub reasoning_tokens: u64,
    /// Anthropic: input tokens written to the cache (`cache_creation_input_tokens`).
    pub cache_write_tokens: u64,
    /// Report no usage at all.
    pub no_usage: bool,
}

impl Turn {
    /// A plain text answer (finish reason `stop` / `end_turn`).
    pub fn text(text: impl Into<String>) -> Turn {
        Turn {
            text: text.into(),
            ..Turn::default()
        }
    }

    /// A single tool call with JSON arguments (finish reason `tool_calls` / `tool_use`).
    pub fn tool(name: impl Into<String>, args: Value) -> Turn {
        Turn::calls(vec![ToolCall::new(name, args)])
    }

    /// Several tool calls in one turn.
    pub fn tools<N: Into<String>>(calls: impl IntoIterator<Item = (N, Value)>) -> Turn {
        Turn::calls(
            calls
                .into_iter()
                .map(|(name, args)| ToolCall::new(name, args))
                .collect(),
        )
    }

    /// Tool calls given as [`ToolCall`]s (e.g. [`ToolCall::raw`]).
    pub fn calls(tool_calls: Vec<ToolCall>) -> Turn {
        Turn {
            tool_calls,
            ..Turn::default()
        }
    }

    /// Set the text that precedes the tool calls.
    pub fn with_text(mut self, text: impl Into<String>) -> Turn {
        self.text = text.into();
        self
    }

    /// Append one more tool call.
    pub fn with_call(mut self, call: ToolCall) -> Turn {
        self.tool_calls.push(call);
        self
    }

    /// Set the reported usage (`input_tokens` includes `cached_input_tokens`).
    pub fn with_usage(
        mut self,
        input_tokens: u64,
        cached_input_tokens: u64,
        output_tokens: u64,
    ) -> Turn {
        self.usage = Usage::new(input_tokens, cached_input_tokens, output_tokens);
        self
    }

    /// Reason (or think) before replying; the text is the summary / thinking shown.
    pub fn with_reasoning(mut self, text: impl Into<String>) -> Turn {
        self.reasoning = Some(text.into());
        self
    }

    /// Anthropic: add a `redacted_thinking` block.
    pub fn with_redacted_thinking(mut self) -> Turn {
        self.redacted = true;
        self
    }

    pub fn with_reasoning_tokens(mut self, n: u64) -> Turn {
        self.reasoning_tokens = n;
        self
    }

    /// Anthropic: input tokens written to the prompt cache (counted in `input_tokens` here).
    pub fn with_cache_write(mut self, n: u64) -> Turn {
        self.cache_write_tokens = n;
        self
    }

    /// The stream reports no usage anywhere.
    pub fn without_usage(mut self) -> Turn {
        self.no_usage = true;
        self
    }

    fn finishes_with_tools(&self) -> bool {
        !self.tool_calls.is_empty()
    }
}

/// What the server does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A normal streamed reply in the wire format of the request path.
    Turn(Turn),
    /// A non-streamed error: status line, optional `retry-after`, and a provider-shaped JSON error
    /// whose message is `body`. A `body` that already is valid JSON is sent verbatim instead.
    Status {
        code: u16,
        retry_after: Option<String>,
        body: String,
    },
    /// The stream starts normally, sends about half of its events (never the finish event) and then
    /// the connection is closed mid-body (no terminating chunk): the client sees a body error.
    Cut(Turn),
    /// Like `Cut`, but the HTTP body ends cleanly (terminating chunk sent) after about half of the
    /// events: the client sees a normal end of stream with no finish / `[DONE]` / `message_stop`.
    Truncated(Turn),
    /// OpenAI only: a turn the way sloppy "compatible" servers stream it (see the comment on
    /// `openai_sloppy_events` for the exact quirks). On an Anthropic path this answers 500 so the
    /// test fails loudly.
    SloppyTurn(Turn),
    /// Reads the request and never answers; the connection stays open until the server drops.
    Hang,
    /// The stream starts and sends about half of its events, then holds the connection open
    /// without another byte until the server drops: a model stalled mid-answer, for interrupts
    /// that must land while text is streaming.
    Stall(Turn),
    /// Anthropic only: usage the way LiteLLM's Anthropic endpoint reports it: zeros in
    /// `message_start`, every count (input, cache reads and writes, output) in `message_delta`.
    ProxyTurn(Turn),
    /// The complete reply as one `application/json` body, in the path's format, although the
    /// request asked for a stream (some proxies do this).
    JsonTurn(Turn),
    /// Answers `then` only once `count` requests in all have arrived: proof that several clients
    /// (parallel subagents) were in flight at the same time. Without them it gives up after
    /// [`AFTER_REQUESTS_LIMIT`] with a 400 saying so, which fails the run instead of hanging it.
    AfterRequests { count: usize, then: Box<Reply> },
}

/// How long [`Reply::AfterRequests`] waits for the other requests.
pub const AFTER_REQUESTS_LIMIT: Duration = Duration::from_secs(30);

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply::Turn(Turn::text(text))
    }

    pub fn tool(name: impl Into<String>, args: Value) -> Reply {
        Reply::Turn(Turn::tool(name, args))
    }

    pub fn status(code: u16, body: impl Into<String>) -> Reply {
        Reply::Status {
            code,
            retry_after: None,
            body: body.into(),
        }
    }

    /// A 429 with `retry-after: secs`.
    pub fn rate_limited(secs: impl Into<String>) -> Reply {
        Reply::Status {
            code: 429,
            retry_after: Some(secs.into()),
            body: "Rate limit reached, please retry later".to_owned(),
        }
    }

    fn turn_mut(&mut self) -> Option<&mut Turn> {
        match self {
            Reply::Turn(t)
            | Reply::Cut(t)
            | Reply::Truncated(t)
            | Reply::Stall(t)
            | Reply::SloppyTurn(t)
            | Reply::ProxyTurn(t)
            | Reply::JsonTurn(t) => Some(t),
            Reply::Status { .. } | Reply::Hang => None,
            Reply::AfterRequests { then, .. } => then.turn_mut(),
        }
    }
}

impl From<Turn> for Reply {
    fn from(turn: Turn) -> Reply {
        Reply::Turn(turn)
    }
}

/// One request the server received.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub method: String,
    /// The request target as sent (origin-form; an absolute-form target is reduced to its path).
    pub path: String,
    /// Header names lowercased, values trimmed, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `Value::Null` when empty, `Value::String(text)` when not JSON.
    pub body: Value,
    /// When the request was fully read.
    pub received_at: std::time::Instant,
}

impl Recorded {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

/// The running mock server. Dropping it stops the server and closes every open connection
/// (including `Hang` ones).
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    event_gap: Duration,
}

struct State {
    script: VecDeque<Reply>,
    requests: Vec<Recorded>,
    next_call_id: u64,
    /// Model ids that take no images (see `images`).
    blind: Vec<String>,
}

impl State {
    fn enqueue(&mut self, mut reply: Reply) {
        if let Some(turn) = reply.turn_mut() {
            for call in &mut turn.tool_calls {
                if call.id.is_empty() {
                    self.next_call_id += 1;
                    call.id = format!("call_{}", self.next_call_id);
                }
            }
        }
        self.script.push_back(reply);
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not turn every later access into a second panic.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl MockServer {
    /// Starts on 127.0.0.1:0 and serves `script` in order, one entry per request (any path).
    /// When the script is exhausted every further request gets a 500 "mock script exhausted".
    pub fn start(script: Vec<Reply>) -> MockServer {
        Self::start_with_gap(script, EVENT_GAP)
    }

    /// Like `start`, with `event_gap` between SSE events (zero for benchmarks of the client).
    pub fn start_with_gap(script: Vec<Reply>, event_gap: Duration) -> MockServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind the mock server to 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("make the mock listener non-blocking");
        let addr = listener.local_addr().expect("mock server local address");

        let mut state = State {
            script: VecDeque::new(),
            requests: Vec::new(),
            next_call_id: 0,
            blind: Vec::new(),
        };
        for reply in script {
            state.enqueue(reply);
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            changed: Condvar::new(),
            event_gap,
        });

        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("mock-model-server-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("build the mock server runtime");
                runtime.block_on(accept_loop(listener, thread_shared, shutdown_rx));
                // Dropping the runtime cancels the connection tasks, closing hung connections.
                drop(runtime);
            })
            .expect("spawn the mock server thread");

        MockServer {
            addr,
            shared,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `url() + "/v1"`: the client POSTs `{base}/chat/completions` (or `{base}/responses`).
    pub fn openai_base(&self) -> String {
        format!("{}/v1", self.url())
    }

    /// `url()`: the client POSTs `{base}/v1/messages`.
    pub fn anthropic_base(&self) -> String {
        self.url()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// Blocks until at least `n` requests have arrived or `timeout` passes; returns what arrived.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while state.requests.len() < n {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        state.requests.clone()
    }

    /// Makes `model` (the id in the request body) a model without vision: a request that
    /// carries an image for it is answered 400, as the real APIs answer.
    pub fn without_vision(&self, model: &str) {
        self.shared.lock().blind.push(model.to_string());
    }

    /// Appends a reply to the script.
    pub fn push(&self, reply: Reply) {
        self.shared.lock().enqueue(reply);
    }

    /// How many scripted replies have not been served yet.
    pub fn remaining(&self) -> usize {
        self.shared.lock().script.len()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("mock server: cannot register listener: {e}");
            return;
        }
    };
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, Arc::clone(&shared)));
                }
                Err(e) => eprintln!("mock server: accept failed: {e}"),
            },
        }
    }
}

/// What the handler needs to know about the request to shape its answer.
struct Ctx {
    seq: usize,
    event_gap: Duration,
    anthropic: bool,
    responses: bool,
    model: String,
    include_usage: bool,
    /// Anthropic: the request enabled thinking (any `thinking` but `disabled`).
    thinking: bool,
    /// Responses: `include` asked for `reasoning.encrypted_content`.
    encrypted: bool,
    /// Responses: `reasoning.summary` was asked for.
    summary: bool,
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut conn = BufReader::new(stream);
    let request = match read_request(&mut conn).await {
        Ok(Some(r)) => r,
        Ok(None) => return,
        Err(e) => {
            let body = format!("mock server: bad request: {e}");
            let head = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let stream = conn.get_mut();
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            let _ = stream.shutdown().await;
            return;
        }
    };

    let route = request.path.split('?').next().unwrap_or("");
    let anthropic = route.trim_end_matches('/').ends_with("/messages");
    let responses = route.trim_end_matches('/').ends_with("/responses");
    let body = &request.body;
    let ctx = Ctx {
        seq: 0,
        event_gap: shared.event_gap,
        anthropic,
        responses,
        thinking: body
            .pointer("/thinking/type")
            .and_then(Value::as_str)
            .is_some_and(|t| t != "disabled"),
        encrypted: body["include"]
            .as_array()
            .is_some_and(|i| i.iter().any(|v| v == "reasoning.encrypted_content")),
        summary: body
            .pointer("/reasoning/summary")
            .is_some_and(|s| !s.is_null()),
        model: request
            .body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or("mock-model")
            .to_owned(),
        include_usage: request
            .body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let description = format!("{} {}", request.method, request.path);
    let wire = match (anthropic, responses) {
        (true, _) => images::ImageWire::Anthropic,
        (false, true) => images::ImageWire::Responses,
        (false, false) => images::ImageWire::Chat,
    };
    let blind = shared.lock().blind.clone();
    let format_wire = match (anthropic, responses) {
        (true, _) => "anthropic",
        (_, true) => "responses",
        _ => "chat",
    };
    let refused = if anthropic {
        thinking::check_anthropic_request(&request.body).err()
    } else if responses {
        responses::check_responses_request(&request.body).err()
    } else {
        None
    }
    .or_else(|| images::check_images(&request.body, wire, &blind).err())
    .or_else(|| format::check_format_request(format_wire, &request.body).err());

    let (reply, seq) = {
        let mut state = shared.lock();
        state.requests.push(request);
        let seq = state.requests.len();
        let reply = match &refused {
            Some(_) => None,
            None => state.script.pop_front(),
        };
        shared.changed.notify_all();
        (reply, seq)
    };
    let ctx = Ctx { seq, ..ctx };
    if let Some(message) = refused.as_deref() {
        let stream = conn.get_mut();
        if let Err(e) = send_status(stream, &ctx, 400, None, message).await {
            eprintln!("mock server: writing the refusal of request #{seq} failed: {e}");
        }
        return;
    }
    let stream = conn.get_mut();
    let reply = match reply {
        Some(Reply::AfterRequests { count, then }) => {
            let deadline = Instant::now() + AFTER_REQUESTS_LIMIT;
            while shared.lock().requests.len() < count && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            if shared.lock().requests.len() >= count {
                Some(*then)
            } else {
                Some(Reply::status(
                    400,
                    format!("mock: request #{seq} waited for {count} requests in flight together; they never came"),
                ))
            }
        }
        other => other,
    };

    let result = match reply {
        None => {
            let message = format!(
                "mock script exhausted: request #{seq} ({description}) has no scripted reply"
            );
            eprintln!("{message}");
            send_status(stream, &ctx, 500, None, &message).await
        }
        Some(Reply::Status {
            code,
            retry_after,
            body,
        }) => send_status(stream, &ctx, code, retry_after.as_deref(), &body).await,
        Some(Reply::Turn(turn)) => {
            let events = stream_events(&ctx, &turn);
            send_stream(stream, &ctx, &events.events, Ending::Complete).await
        }
        Some(Reply::Cut(turn)) => {
            let events = stream_events(&ctx, &turn);
            send_stream(stream, &ctx, events.first_half(), Ending::Abort).await
        }
        Some(Reply::Truncated(turn)) => {
            let events = stream_events(&ctx, &turn);
            send_stream(stream, &ctx, events.first_half(), Ending::Complete).await
        }
        Some(Reply::Stall(turn)) => {
            let events = stream_events(&ctx, &turn);
            send_stream(stream, &ctx, events.first_half(), Ending::Hold).await
        }
        Some(Reply::SloppyTurn(turn)) => {
            if ctx.anthropic {
                let message = "mock script error: SloppyTurn is OpenAI-only but the request went to an Anthropic path";
                eprintln!("{message}");
                send_status(stream, &ctx, 500, None, message).await
            } else {
                let events = openai_sloppy_events(&ctx, &turn);
                send_stream(stream, &ctx, &events.events, Ending::Complete).await
            }
        }
        Some(Reply::ProxyTurn(turn)) => {
            if ctx.anthropic {
                let events = anthropic_events_with(&ctx, &turn, UsageAt::End);
                send_stream(stream, &ctx, &events.events, Ending::Complete).await
            } else {
                let message = "mock script error: ProxyTurn is Anthropic-only";
                eprintln!("{message}");
                send_status(stream, &ctx, 500, None, message).await
            }
        }
        Some(Reply::JsonTurn(turn)) => send_json(stream, &ctx, &json_reply(&ctx, &turn)).await,
        Some(Reply::AfterRequests { .. }) => {
            send_status(stream, &ctx, 400, None, "mock: AfterRequests cannot nest").await
        }
        Some(Reply::Hang) => {
            // Keep the socket (owned by `conn`) open until the runtime is dropped with the server.
            std::future::pending::<()>().await;
            Ok(())
        }
    };
    if let Err(e) = result {
        // The client going away mid-stream is a legitimate test scenario, not a server failure.
        eprintln!("mock server: writing the reply to request #{seq} failed: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 request parsing
// ---------------------------------------------------------------------------------------------

/// Reads one request. `Ok(None)` when the peer closed before sending anything.
async fn read_request(conn: &mut BufReader<TcpStream>) -> Result<Option<Recorded>, String> {
    let mut head_bytes = 0usize;
    let request_line = match read_line(conn, &mut head_bytes).await? {
        None => return Ok(None),
        Some(l) => l,
    };
    let mut parts = request_line.split_whitespace();
    let (method, target) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) if v.starts_with("HTTP/") => (m.to_owned(), t.to_owned()),
        _ => return Err(format!("malformed request line {request_line:?}")),
    };
    let path = origin_form(&target);

    let mut headers = Vec::new();
    loop {
        let line = read_line(conn, &mut head_bytes)
            .await?
            .ok_or("connection closed inside the request head")?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("malformed header line {line:?}"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };

    if header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        conn.get_mut()
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .map_err(|e| e.to_string())?;
    }

    let chunked =
        header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        read_chunked_body(conn).await?
    } else if let Some(len) = header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| format!("bad content-length {len:?}"))?;
        let mut body = vec![0; len];
        conn.read_exact(&mut body)
            .await
            .map_err(|e| format!("reading a {len}-byte body: {e}"))?;
        body
    } else {
        Vec::new()
    };

    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
    };
    Ok(Some(Recorded {
        method,
        path,
        headers,
        body,
        received_at: std::time::Instant::now(),
    }))
}

/// Reduces an absolute-form target (`http://host:port/path`, as sent through a proxy) to its path.
fn origin_form(target: &str) -> String {
    for scheme in ["http://", "https://"] {
        if let Some(rest) = target.strip_prefix(scheme) {
            return match rest.find('/') {
                Some(i) => rest[i..].to_owned(),
                None => "/".to_owned(),
            };
        }
    }
    target.to_owned()
}

/// One CRLF- (or LF-) terminated line without its terminator; `None` on EOF before any byte.
async fn read_line(
    conn: &mut BufReader<TcpStream>,
    head_bytes: &mut usize,
) -> Result<Option<String>, String> {
    let mut line = Vec::new();
    let n = conn
        .read_until(b'\n', &mut line)
        .await
        .map_err(|e| e.to_string())?;
    if n == 0 {
        return Ok(None);
    }
    *head_bytes += n;
    if *head_bytes > MAX_HEAD_BYTES {
        return Err("request head too large".to_owned());
    }
    if line.last() != Some(&b'\n') {
        return Err("connection closed mid-line".to_owned());
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| "non-UTF-8 request head".to_owned())
}

async fn read_chunked_body(conn: &mut BufReader<TcpStream>) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    let mut counted = 0usize;
    loop {
        let size_line = read_line(conn, &mut counted)
            .await?
            .ok_or("connection closed inside a chunked body")?;
        counted = 0;
        let size_text = size_line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size line {size_line:?}"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let trailer = read_line(conn, &mut counted)
                    .await?
                    .ok_or("connection closed inside chunked trailers")?;
                if trailer.is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        conn.read_exact(&mut body[start..])
            .await
            .map_err(|e| format!("reading a {size}-byte chunk: {e}"))?;
        let end = read_line(conn, &mut counted)
            .await?
            .ok_or("connection closed after a chunk")?;
        if !end.is_empty() {
            return Err("chunk data not followed by CRLF".to_owned());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 responses
// ---------------------------------------------------------------------------------------------

enum Ending {
    /// Terminating chunk, then close.
    Complete,
    /// Close without the terminating chunk: the body is incomplete at the HTTP level.
    Abort,
    /// Send nothing more and keep the connection open until the server drops.
    Hold,
}

fn request_id_header(ctx: &Ctx) -> String {
    if ctx.anthropic {
        format!("request-id: req_mock{}\r\n", ctx.seq)
    } else {
        format!("x-request-id: req_mock{}\r\n", ctx.seq)
    }
}

async fn send_stream(
    stream: &mut TcpStream,
    ctx: &Ctx,
    events: &[String],
    ending: Ending,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n{}transfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        request_id_header(ctx)
    );
    stream.write_all(head.as_bytes()).await?;
    stream.flush().await?;
    for event in events {
        let chunk = format!("{:x}\r\n{event}\r\n", event.len());
        stream.write_all(chunk.as_bytes()).await?;
        stream.flush().await?;
        if !ctx.event_gap.is_zero() {
            tokio::time::sleep(ctx.event_gap).await;
        }
    }
    match ending {
        Ending::Complete => {
            stream.write_all(b"0\r\n\r\n").await?;
            stream.flush().await?;
            stream.shutdown().await
        }
        Ending::Abort => stream.shutdown().await,
        Ending::Hold => std::future::pending().await,
    }
}

async fn send_status(
    stream: &mut TcpStream,
    ctx: &Ctx,
    code: u16,
    retry_after: Option<&str>,
    message: &str,
) -> std::io::Result<()> {
    let body = error_body(ctx, code, message);
    let mut head = format!(
        "HTTP/1.1 {code} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}connection: close\r\n",
        reason_phrase(code),
        body.len(),
        request_id_header(ctx)
    );
    if let Some(retry_after) = retry_after {
        head.push_str(&format!("retry-after: {retry_after}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.flush().await?;
    stream.shutdown().await
}

fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Overloaded",
        _ => "Unknown",
    }
}

/// The JSON error body the provider would send; a `message` that already is JSON goes out verbatim.
fn error_body(ctx: &Ctx, code: u16, message: &str) -> String {
    if serde_json::from_str::<Value>(message).is_ok_and(|v| v.is_object()) {
        return message.to_owned();
    }
    let message = if message.is_empty() {
        reason_phrase(code)
    } else {
        message
    };
    if ctx.anthropic {
        let kind = match code {
            400 => "invalid_request_error",
            401 => "authentication_error",
            402 => "billing_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            504 => "timeout_error",
            529 => "overloaded_error",
            500..=599 => "api_error",
            _ => "invalid_request_error",
        };
        json!({
            "type": "error",
            "error": { "type": kind, "message": message },
            "request_id": format!("req_mock{}", ctx.seq),
        })
        .to_string()
    } else {
        let (kind, error_code) = match code {
            401 => ("invalid_request_error", Value::from("invalid_api_key")),
            404 => ("invalid_request_error", Value::from("model_not_found")),
            429 => ("requests", Value::from("rate_limit_exceeded")),
            500..=599 => ("server_error", Value::Null),
            _ => ("invalid_request_error", Value::Null),
        };
        json!({
            "error": { "message": message, "type": kind, "param": null, "code": error_code }
        })
        .to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// SSE event generation
// ---------------------------------------------------------------------------------------------

/// The formatted SSE events of one reply and the index of its finish event (OpenAI: the chunk
/// carrying `finish_reason`; Anthropic: `message_delta`).
struct Events {
    events: Vec<String>,
    finish: usize,
}

impl Events {
    /// About half of the events, never reaching the finish event (but at least the first one).
    fn first_half(&self) -> &[String] {
        let n = (self.events.len() / 2).min(self.finish).max(1);
        &self.events[..n.min(self.events.len())]
    }
}

fn stream_events(ctx: &Ctx, turn: &Turn) -> Events {
    if ctx.anthropic {
        anthropic_events_with(ctx, turn, UsageAt::Start)
    } else if ctx.responses {
        let ask = responses::ResponsesAsk {
            seq: ctx.seq,
            model: &ctx.model,
            encrypted: ctx.encrypted,
            summary: ctx.summary,
        };
        let (events, finish) = responses::responses_events(&ask, turn);
        Events { events, finish }
    } else {
        openai_events(ctx, turn)
    }
}

/// A 200 with the whole reply as JSON.
async fn send_json(stream: &mut TcpStream, ctx: &Ctx, body: &Value) -> std::io::Result<()> {
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}connection: close\r\n\r\n",
        body.len(),
        request_id_header(ctx)
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.flush().await?;
    stream.shutdown().await
}

/// The non-streamed reply object of the path's API.
fn json_reply(ctx: &Ctx, turn: &Turn) -> Value {
    let u = &turn.usage;
    if ctx.anthropic {
        let mut content = Vec::new();
        if !turn.text.is_empty() {
            content.push(json!({"type": "text", "text": turn.text}));
        }
        for c in &turn.tool_calls {
            let input: Value = serde_json::from_str(&c.arguments).unwrap_or(json!({}));
            content.push(json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input}));
        }
        let stop = if turn.finishes_with_tools() {
            "tool_use"
        } else {
            "end_turn"
        };
        json!({"id": format!("msg_mock{}", ctx.seq), "type": "message", "role": "assistant",
               "model": ctx.model, "content": content, "stop_reason": stop, "stop_sequence": null,
               "usage": {"input_tokens": u.input_tokens - u.cached_input_tokens,
                         "cache_read_input_tokens": u.cached_input_tokens,
                         "cache_creation_input_tokens": 0, "output_tokens": u.output_tokens}})
    } else if ctx.responses {
        let ask = responses::ResponsesAsk {
            seq: ctx.seq,
            model: &ctx.model,
            encrypted: ctx.encrypted,
            summary: ctx.summary,
        };
        let (events, _) = responses::responses_events(&ask, turn);
        let last = events
            .last()
            .and_then(|e| e.split("data: ").nth(1))
            .unwrap_or("{}");
        let done: Value = serde_json::from_str(last.trim()).unwrap_or(Value::Null);
        done["response"].clone()
    } else {
        let calls: Vec<Value> = turn
            .tool_calls
            .iter()
            .map(|c| {
                json!({"id": c.id, "type": "function",
                            "function": {"name": c.name, "arguments": c.arguments}})
            })
            .collect();
        let mut message = json!({"role": "assistant", "content": turn.text});
        if !calls.is_empty() {
            message["tool_calls"] = Value::Array(calls);
        }
        let reason = if turn.finishes_with_tools() {
            "tool_calls"
        } else {
            "stop"
        };
        json!({"id": format!("chatcmpl-mock{}", ctx.seq), "object": "chat.completion",
               "created": unix_now(), "model": ctx.model,
               "choices": [{"index": 0, "message": message, "finish_reason": reason}],
               "usage": openai_usage(u)})
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Splits into pieces of `n` chars (the last may be shorter); empty input gives no pieces.
pub fn split_every(s: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(n.max(1)).map(|c| c.iter().collect()).collect()
}

/// Splits tool-call arguments into 2–4 roughly equal fragments (fewer only if there are fewer
/// chars); empty input gives no fragments.
pub fn split_arguments(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return Vec::new();
    }
    let wanted = match chars.len() {
        0..=7 => 2,
        8..=23 => 3,
        _ => 4,
    };
    let k = wanted.min(chars.len());
    let per = chars.len().div_ceil(k);
    chars.chunks(per).map(|c| c.iter().collect()).collect()
}

fn openai_usage(usage: &Usage) -> Value {
    json!({
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": { "cached_tokens": usage.cached_input_tokens, "audio_tokens": 0 },
        "completion_tokens_details": { "reasoning_tokens": 0, "audio_tokens": 0 },
    })
}

/// The OpenAI chat-completions stream as api.openai.com sends it.
fn openai_events(ctx: &Ctx, turn: &Turn) -> Events {
    let id = format!("chatcmpl-mock{}", ctx.seq);
    let created = unix_now();
    let chunk = |delta: Value, finish_reason: Value| {
        let mut c = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": ctx.model,
            "system_fingerprint": "fp_mock",
            "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason }],
        });
        if ctx.include_usage {
            c["usage"] = Value::Null;
        }
        format!("data: {c}\n\n")
    };

    let mut events = Vec::new();
    // A tool-only turn starts with `content: null`, as the real API does.
    let first_content = if turn.text.is_empty() {
        Value::Null
    } else {
        Value::from("")
    };
    events.push(chunk(
        json!({ "role": "assistant", "content": first_content, "refusal": null }),
        Value::Null,
    ));
    for piece in split_every(&turn.text, 8) {
        events.push(chunk(json!({ "content": piece }), Value::Null));
    }
    for (i, call) in turn.tool_calls.iter().enumerate() {
        events.push(chunk(
            json!({ "tool_calls": [{
                "index": i,
                "id": call.id,
                "type": "function",
                "function": { "name": call.name, "arguments": "" },
            }] }),
            Value::Null,
        ));
        for fragment in split_arguments(&call.arguments) {
            events.push(chunk(
                json!({ "tool_calls": [{ "index": i, "function": { "arguments": fragment } }] }),
                Value::Null,
            ));
        }
    }
    let finish = events.len();
    let reason = if turn.finishes_with_tools() {
        "tool_calls"
    } else {
        "stop"
    };
    events.push(chunk(json!({}), Value::from(reason)));
    if ctx.include_usage && !turn.no_usage {
        let c = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": ctx.model,
            "system_fingerprint": "fp_mock",
            "choices": [],
            "usage": openai_usage(&turn.usage),
        });
        events.push(format!("data: {c}\n\n"));
    }
    events.push("data: [DONE]\n\n".to_owned());
    Events { events, finish }
}

/// The OpenAI stream the way sloppy "compatible" servers send it:
/// - no `id` / `object` / `created` on any chunk (only `model`);
/// - `data:` lines without the space after the colon (valid SSE, trips naive `"data: "` parsers);
/// - `finish_reason: ""` on every intermediate chunk;
/// - explicit `null`s for absent fields (`role`, `content`, `tool_calls`, and `id` / `type` /
///   `function.name` on argument fragments);
/// - usage always sent (whether or not `stream_options.include_usage` was asked), in a final chunk
///   with `"choices": []`, followed by `[DONE]`.
fn openai_sloppy_events(ctx: &Ctx, turn: &Turn) -> Events {
    let chunk = |delta: Value, finish_reason: &str| {
        let c = json!({
            "model": ctx.model,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }],
        });
        format!("data:{c}\n\n")
    };
    let mut events = Vec::new();
    events.push(chunk(
        json!({ "role": "assistant", "content": "", "tool_calls": null }),
        "",
    ));
    for piece in split_every(&turn.text, 8) {
        events.push(chunk(
            json!({ "role": null, "content": piece, "tool_calls": null }),
            "",
        ));
    }
    for (i, call) in turn.tool_calls.iter().enumerate() {
        events.push(chunk(
            json!({ "role": null, "content": null, "tool_calls": [{
                "index": i,
                "id": call.id,
                "type": "function",
                "function": { "name": call.name, "arguments": "" },
            }] }),
            "",
        ));
        for fragment in split_arguments(&call.arguments) {
            events.push(chunk(
                json!({ "role": null, "content": null, "tool_calls": [{
                    "index": i,
                    "id": null,
                    "type": null,
                    "function": { "name": null, "arguments": fragment },
                }] }),
                "",
            ));
        }
    }
    let finish = events.len();
    let reason = if turn.finishes_with_tools() {
        "tool_calls"
    } else {
        "stop"
    };
    events.push(chunk(
        json!({ "role": null, "content": null, "tool_calls": null }),
        reason,
    ));
    let usage = json!({
        "model": ctx.model,
        "choices": [],
        "usage": {
            "prompt_tokens": turn.usage.input_tokens,
            "completion_tokens": turn.usage.output_tokens,
            "total_tokens": turn.usage.input_tokens + turn.usage.output_tokens,
            "prompt_tokens_details": { "cached_tokens": turn.usage.cached_input_tokens },
        },
    });
    events.push(format!("data:{usage}\n\n"));
    events.push("data:[DONE]\n\n".to_owned());
    Events { events, finish }
}

/// Where an Anthropic stream reports its input counts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UsageAt {
    /// In `message_start`, the output count in `message_delta` (api.anthropic.com).
    Start,
    /// Zeros in `message_start`, everything in `message_delta` (LiteLLM).
    End,
}

/// The Anthropic Messages stream as api.anthropic.com sends it (or a proxy, see [`UsageAt`]).
fn anthropic_events_with(ctx: &Ctx, turn: &Turn, usage_at: UsageAt) -> Events {
    let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let mut events = Vec::new();
    let u = &turn.usage;
    let fresh = u
        .input_tokens
        .saturating_sub(u.cached_input_tokens + turn.cache_write_tokens);
    let full = json!({
        "input_tokens": fresh,
        "cache_creation_input_tokens": turn.cache_write_tokens,
        "cache_read_input_tokens": u.cached_input_tokens,
        "output_tokens": 1,
    });
    let start_usage = match (turn.no_usage, usage_at) {
        (true, _) => None,
        (false, UsageAt::Start) => Some(full.clone()),
        (false, UsageAt::End) => Some(json!({"input_tokens": 0, "cache_creation_input_tokens": 0,
                                              "cache_read_input_tokens": 0, "output_tokens": 0})),
    };
    events.push(event(
        "message_start",
        json!({
            "type": "message_start",
            "message": {
                "id": format!("msg_mock{}", ctx.seq),
                "type": "message",
                "role": "assistant",
                "model": ctx.model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
            },
        }),
    ));
    if let Some(su) = start_usage {
        let last = events.len() - 1;
        let mut data: Value =
            serde_json::from_str(events[last].split("data: ").nth(1).unwrap_or("{}").trim())
                .unwrap_or(Value::Null);
        data["message"]["usage"] = su;
        events[last] = event("message_start", data);
    }
    events.push(event("ping", json!({ "type": "ping" })));

    let mut index = 0usize;
    if let Some(thinking) = turn.reasoning.as_ref().filter(|_| ctx.thinking) {
        events.push(event(
            "content_block_start",
            json!({ "type": "content_block_start", "index": index,
                    "content_block": { "type": "thinking", "thinking": "", "signature": "" } }),
        ));
        for piece in split_every(thinking, 8) {
            events.push(event(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": index,
                        "delta": { "type": "thinking_delta", "thinking": piece } }),
            ));
        }
        events.push(event(
            "content_block_delta",
            json!({ "type": "content_block_delta", "index": index,
                    "delta": { "type": "signature_delta",
                               "signature": thinking::signature_for(thinking) } }),
        ));
        events.push(event(
            "content_block_stop",
            json!({ "type": "content_block_stop", "index": index }),
        ));
        index += 1;
    }
    if turn.redacted && ctx.thinking {
        events.push(event(
            "content_block_start",
            json!({ "type": "content_block_start", "index": index,
                    "content_block": { "type": "redacted_thinking",
                                       "data": thinking::redacted_data(ctx.seq) } }),
        ));
        events.push(event(
            "content_block_stop",
            json!({ "type": "content_block_stop", "index": index }),
        ));
        index += 1;
    }
    if !turn.text.is_empty() {
        events.push(event(
            "content_block_start",
            json!({ "type": "content_block_start", "index": index, "content_block": { "type": "text", "text": "" } }),
        ));
        for piece in split_every(&turn.text, 8) {
            events.push(event(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": index, "delta": { "type": "text_delta", "text": piece } }),
            ));
        }
        events.push(event(
            "content_block_stop",
            json!({ "type": "content_block_stop", "index": index }),
        ));
        index += 1;
    }
    for call in &turn.tool_calls {
        events.push(event(
            "content_block_start",
            json!({ "type": "content_block_start", "index": index, "content_block": {
                "type": "tool_use", "id": call.id, "name": call.name, "input": {},
            } }),
        ));
        // The real API opens every tool_use block with an empty partial_json.
        let fragments = std::iter::once(String::new()).chain(split_arguments(&call.arguments));
        for fragment in fragments {
            events.push(event(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": index, "delta": {
                    "type": "input_json_delta", "partial_json": fragment,
                } }),
            ));
        }
        events.push(event(
            "content_block_stop",
            json!({ "type": "content_block_stop", "index": index }),
        ));
        index += 1;
    }
    let finish = events.len();
    let stop_reason = if turn.finishes_with_tools() {
        "tool_use"
    } else {
        "end_turn"
    };
    let mut delta = json!({
        "type": "message_delta",
        "delta": { "stop_reason": stop_reason, "stop_sequence": null },
    });
    if !turn.no_usage {
        delta["usage"] = match usage_at {
            UsageAt::Start => json!({ "output_tokens": turn.usage.output_tokens }),
            UsageAt::End => {
                let mut all = full;
                all["output_tokens"] = json!(turn.usage.output_tokens);
                all
            }
        };
    }
    events.push(event("message_delta", delta));
    events.push(event("message_stop", json!({ "type": "message_stop" })));
    Events { events, finish }
}
