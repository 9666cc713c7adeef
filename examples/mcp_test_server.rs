//! A minimal MCP server for reins' tests, built with `rmcp` like a real one: on stdio, or with
//! `--http 127.0.0.1:PORT` on streamable HTTP.
//!
//! Tools: `echo {text}`, `add {a, b}` (text and structured content), `slow {ms}`,
//! `progress {ms, steps}` (reports progress `steps` times over `ms`), `crash` (exits mid-call),
//! `change_tools` (adds `late` and announces the new list), `rich` (an image, a resource link and
//! an embedded resource), `fail` (a tool-level error), `env {name}` (a variable of its
//! environment), `pid`, `cwd` and `write {path, text}` (to see what its sandbox lets it do).
//!
//! Misbehaviour on request: `--fail-start` exits before the handshake, saying why on stderr;
//! `--stdout-junk` prints a log line to stdout before serving, `--stdout-junk-only` prints it
//! and never speaks MCP (a server started in the wrong mode). Over HTTP, `--log FILE` appends
//! `METHOD SESSION` for every request, and `--unknown-session-400` answers a session it does
//! not know with 400 and a JSON-RPC error without an id, as the TypeScript SDK does (rmcp
//! answers 404).

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, Resource,
    ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// When this server process started (nanoseconds since the epoch), set by the first call.
fn started() -> u128 {
    static STARTED: OnceLock<u128> = OnceLock::new();
    *STARTED.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    })
}

/// A 1x1 transparent PNG.
const TINY_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

#[derive(Default)]
struct TestServer {
    /// Whether `change_tools` added `late`.
    late: AtomicBool,
}

fn tool(name: &'static str, description: &'static str, schema: Value) -> Tool {
    let schema: JsonObject = match schema {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    };
    Tool::new(name, description, Arc::new(schema))
}

fn no_args() -> Value {
    json!({"type": "object", "properties": {}})
}

impl TestServer {
    fn tools(&self) -> Vec<Tool> {
        let mut echo = tool(
            "echo",
            "Echoes the text back.",
            json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}),
        );
        let mut read_only = ToolAnnotations::default();
        read_only.read_only_hint = Some(true);
        echo.annotations = Some(read_only);
        let mut tools = vec![
            echo,
            tool(
                "add",
                "Adds two numbers.",
                json!({"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}),
            ),
            tool(
                "slow",
                "Sleeps for ms milliseconds.",
                json!({"type": "object", "properties": {"ms": {"type": "integer"}}}),
            ),
            tool(
                "progress",
                "Works for ms milliseconds, reporting progress steps times.",
                json!({"type": "object", "properties": {"ms": {"type": "integer"}, "steps": {"type": "integer"}}}),
            ),
            tool("crash", "Exits in the middle of the call.", no_args()),
            tool(
                "change_tools",
                "Adds the tool `late` and announces it.",
                no_args(),
            ),
            tool(
                "rich",
                "Returns an image, a resource link and an embedded resource.",
                no_args(),
            ),
            tool("fail", "Always reports an error.", no_args()),
            tool(
                "env",
                "Returns an environment variable of the server.",
                json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}),
            ),
            tool("pid", "Returns the server's process id.", no_args()),
            tool("cwd", "Returns the server's working directory.", no_args()),
            tool(
                "write",
                "Writes text to a file; says whether it could.",
                json!({"type": "object", "properties": {"path": {"type": "string"}, "text": {"type": "string"}}, "required": ["path", "text"]}),
            ),
        ];
        if self.late.load(Ordering::SeqCst) {
            tools.push(tool("late", "Exists after change_tools.", no_args()));
        }
        tools
    }

    async fn run(
        &self,
        name: &str,
        args: &JsonObject,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let text = |s: String| Ok(CallToolResult::success(vec![ContentBlock::text(s)]));
        match name {
            "echo" => text(str_arg(args, "text")),
            "add" => {
                let sum = num_arg(args, "a") + num_arg(args, "b");
                let sum = if sum.fract() == 0.0 {
                    json!(sum as i64)
                } else {
                    json!(sum)
                };
                let mut result = CallToolResult::success(vec![ContentBlock::text(sum.to_string())]);
                result.structured_content = Some(json!({ "sum": sum }));
                Ok(result)
            }
            "slow" => {
                let ms = num_arg(args, "ms") as u64;
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                text(format!("slept {ms} ms"))
            }
            "progress" => {
                let steps = (num_arg(args, "steps") as u64).max(1);
                let pause = std::time::Duration::from_millis(num_arg(args, "ms") as u64 / steps);
                let token = context.meta.get_progress_token();
                for step in 1..=steps {
                    tokio::time::sleep(pause).await;
                    if let Some(token) = &token {
                        let note = ProgressNotificationParam::new(token.clone(), step as f64)
                            .with_total(steps as f64);
                        let _ = context.peer.notify_progress(note).await;
                    }
                }
                let reported = if token.is_some() {
                    "reported"
                } else {
                    "no token"
                };
                text(format!("done after {steps} steps ({reported})"))
            }
            "crash" => {
                eprintln!("test server: crashing on purpose");
                std::process::exit(3)
            }
            "change_tools" => {
                self.late.store(true, Ordering::SeqCst);
                let _ = context.peer.notify_tool_list_changed().await;
                text("the tool list changed".into())
            }
            "late" if self.late.load(Ordering::SeqCst) => text("late tool here".into()),
            "rich" => Ok(CallToolResult::success(rich())),
            "fail" => Ok(CallToolResult::error(vec![ContentBlock::text(
                "it went wrong on purpose",
            )])),
            "env" => {
                text(std::env::var(str_arg(args, "name")).unwrap_or_else(|_| "(unset)".into()))
            }
            // In a PID namespace every server is pid 2, so the start time tells restarts apart.
            "pid" => text(format!("{}@{}", std::process::id(), started())),
            "cwd" => text(
                std::env::current_dir()
                    .map_or_else(|e| format!("(no cwd: {e})"), |d| d.display().to_string()),
            ),
            "write" => text(
                match std::fs::write(str_arg(args, "path"), str_arg(args, "text")) {
                    Ok(()) => "written".into(),
                    Err(e) => format!("not written: {e}"),
                },
            ),
            other => Err(ErrorData::invalid_params(
                format!("no tool named {other}"),
                None,
            )),
        }
    }
}

fn rich() -> Vec<ContentBlock> {
    let mut link = Resource::new("file:///docs/guide.md", "guide.md");
    link.mime_type = Some("text/markdown".into());
    link.description = Some("the guide".into());
    vec![
        ContentBlock::text("here is everything"),
        ContentBlock::image(TINY_PNG, "image/png"),
        ContentBlock::resource_link(link),
        ContentBlock::embedded_text("mem://note", "an embedded note"),
    ]
}

fn str_arg(args: &JsonObject, key: &str) -> String {
    args.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn num_arg(args: &JsonObject, key: &str) -> f64 {
    args.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

impl ServerHandler for TestServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
        .with_server_info(Implementation::new("reins-test-server", "0.1.0"))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        self.run(&request.name, &args, &context)
            .await
            .map(CallToolResponse::from)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    started();
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if flag("--fail-start") {
        eprintln!("test server: refusing to start (--fail-start)");
        std::process::exit(1);
    }
    if let Some(addr) = value("--http") {
        return http::serve(&addr, value("--log"), flag("--unknown-session-400")).await;
    }
    if flag("--stdout-junk") || flag("--stdout-junk-only") {
        println!("Server listening on port 3000");
    }
    if flag("--stdout-junk-only") {
        std::future::pending::<()>().await;
    }
    let service = TestServer::default()
        .serve(rmcp::transport::stdio())
        .await?;
    service.waiting().await?;
    Ok(())
}

/// Streamable HTTP: rmcp's session-keeping service behind a bare hyper server.
mod http {
    use super::TestServer;
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper::body::Incoming;
    use hyper::{Request, Response, StatusCode};
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
    use std::io::Write;
    use std::sync::Arc;
    use tower_service::Service;

    /// What the TypeScript SDK's servers answer for a session they do not know.
    const UNKNOWN_SESSION: &str = r#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"},"id":null}"#;

    pub async fn serve(
        addr: &str,
        log: Option<String>,
        unknown_400: bool,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let service = StreamableHttpService::new(
            || Ok(TestServer::default()),
            Arc::new(LocalSessionManager::default()),
            StreamableHttpServerConfig::default(),
        );
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let log = log.map(Arc::new);
        loop {
            let (stream, _) = listener.accept().await?;
            let (service, log) = (service.clone(), log.clone());
            tokio::spawn(async move {
                let handler = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let (mut service, log) = (service.clone(), log.clone());
                    async move {
                        let method = req.method().clone();
                        let session = req
                            .headers()
                            .get("mcp-session-id")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string);
                        if let Some(path) = log.as_deref() {
                            record(
                                path,
                                &format!("{method} {}", session.as_deref().unwrap_or("-")),
                            );
                        }
                        let response = service.call(req).await?;
                        if unknown_400
                            && session.is_some()
                            && response.status() == StatusCode::NOT_FOUND
                        {
                            let body = Full::new(Bytes::from_static(UNKNOWN_SESSION.as_bytes()))
                                .map_err(|never| match never {})
                                .boxed();
                            let mut refusal = Response::new(body);
                            *refusal.status_mut() = StatusCode::BAD_REQUEST;
                            refusal.headers_mut().insert(
                                hyper::header::CONTENT_TYPE,
                                hyper::header::HeaderValue::from_static("application/json"),
                            );
                            return Ok(refusal);
                        }
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, handler)
                    .await;
            });
        }
    }

    fn record(path: &str, line: &str) {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{line}");
        }
    }
}
