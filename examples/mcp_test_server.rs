//! A minimal MCP server on stdio for reins' tests, built with `rmcp` like a real one.
//!
//! Tools: `echo {text}`, `add {a, b}` (text and structured content), `slow {ms}`, `crash`
//! (exits mid-call), `change_tools` (adds `late` and announces the new list), `rich` (an image,
//! a resource link and an embedded resource), `fail` (a tool-level error), `env {name}` (a
//! variable of its environment), `pid`, `cwd` and `write {path, text}` (to see what its sandbox
//! lets it do). With `--fail-start` it exits before the handshake, saying why on stderr.

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, Resource, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations,
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
    if std::env::args().any(|a| a == "--fail-start") {
        eprintln!("test server: refusing to start (--fail-start)");
        std::process::exit(1);
    }
    let service = TestServer::default()
        .serve(rmcp::transport::stdio())
        .await?;
    service.waiting().await?;
    Ok(())
}
