//! MCP over streamable HTTP against a real server on 127.0.0.1 (the test server's `--http` mode,
//! a separate process the tests kill and start again): a restarted server's lost session, the
//! session's end, progress that keeps a long call alive.

mod support;

use reins::mcp::{McpHub, McpServer};
use serde_json::json;
use std::sync::Arc;
use support::mcp::HttpServer;

/// A hub with one HTTP server `web` at `url`, with `extra` lines in its table, started.
async fn hub(url: &str, extra: &str) -> Arc<McpHub> {
    let ws = tempfile::tempdir().expect("workspace");
    let config: reins::mcp::McpServerConfig =
        toml::from_str(&format!("url = \"{url}\"\n{extra}")).expect("config");
    let policy = reins::sandbox::SandboxPolicy::new(
        reins::sandbox::SandboxMode::WorkspaceWrite,
        false,
        ws.path(),
        Vec::new(),
    );
    let launch = reins::mcp::Launch::new(policy, Vec::new(), false, None).expect("launch");
    let hub = McpHub::start(&[("web".to_string(), config)].into(), launch).expect("start");
    hub.wait_started().await;
    hub
}

fn web(hub: &McpHub) -> &Arc<McpServer> {
    hub.server("web").expect("the server web")
}

/// Calls `tool` and returns its text, or the message the model would get.
async fn call(server: &McpServer, tool: &str, args: serde_json::Value) -> Result<String, String> {
    let serde_json::Value::Object(args) = args else {
        panic!("arguments must be an object")
    };
    server
        .call(tool, args, &reins::cancel::Cancel::never())
        .await
        .map(|r| reins::mcp::convert::to_text(&r))
        .map_err(|e| e.to_string())
}

/// The states `web` went through, from the hub's status events.
fn states(hub: &McpHub) -> Vec<String> {
    hub.take_events()
        .into_iter()
        .filter_map(|e| match e {
            reins::agent::Event::McpStatus { state, .. } => Some(state),
            _ => None,
        })
        .collect()
}

async fn lost_session_fails_at_once_and_reconnects(server_args: &[&str]) {
    let dir = tempfile::tempdir().expect("log dir");
    let mut server = HttpServer::start(dir.path(), server_args);
    // Far longer than the test may take: a hang shows as the timeout's message.
    let hub = hub(&server.url(), "timeout_ms = 120000").await;
    assert_eq!(
        call(web(&hub), "echo", json!({"text": "one"})).await,
        Ok("one".to_string())
    );
    states(&hub);

    server.restart();
    let lost = call(web(&hub), "echo", json!({"text": "two"})).await;
    let message = lost.expect_err("the old session is gone");
    assert!(
        message.contains("lost its session") && message.contains("next call"),
        "{message}"
    );
    assert_eq!(
        call(web(&hub), "echo", json!({"text": "three"})).await,
        Ok("three".to_string()),
        "the next call starts a new session"
    );
    assert_eq!(states(&hub), ["failed", "restarting", "ready"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_server_that_answers_404_fails_the_call_at_once_and_the_next_reconnects() {
    lost_session_fails_at_once_and_reconnects(&[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_server_that_answers_400_fails_the_call_at_once_and_the_next_reconnects() {
    lost_session_fails_at_once_and_reconnects(&["--unknown-session-400"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_keeps_a_long_call_alive_up_to_its_maximum() {
    let dir = tempfile::tempdir().expect("log dir");
    let server = HttpServer::start(dir.path(), &[]);
    let hub = hub(&server.url(), "timeout_ms = 1000\nmax_timeout_ms = 2500").await;
    // 2 s of work reported every 200 ms: twice the idle limit, alive all along.
    assert_eq!(
        call(web(&hub), "progress", json!({"ms": 2000, "steps": 10})).await,
        Ok("done after 10 steps (reported)".to_string())
    );
    // The same silence without progress ends at the idle limit.
    let silent = call(web(&hub), "slow", json!({"ms": 2000})).await;
    let message = silent.expect_err("no progress, no answer within 1000 ms");
    assert!(
        message.contains("within 1000 ms and reported no progress")
            && message.contains("timeout_ms"),
        "{message}"
    );
    // Progress forever does not outlast the maximum.
    let endless = call(web(&hub), "progress", json!({"ms": 20000, "steps": 100})).await;
    let message = endless.expect_err("stopped at max_timeout_ms");
    assert!(
        message.contains("after 2500 ms, the most a call may take")
            && message.contains("max_timeout_ms"),
        "{message}"
    );
    assert_eq!(
        call(web(&hub), "echo", json!({"text": "still serving"})).await,
        Ok("still serving".to_string())
    );
}

/// The sessions the server saw opened (an initialize without a session, answered with one) and
/// deleted.
fn deleted_sessions(server: &HttpServer) -> (Vec<String>, Vec<String>) {
    let requests = server.requests();
    let used: std::collections::BTreeSet<String> = requests
        .iter()
        .filter_map(|r| r.strip_prefix("POST "))
        .filter(|s| *s != "-")
        .map(str::to_string)
        .collect();
    let deleted = requests
        .iter()
        .filter_map(|r| r.strip_prefix("DELETE "))
        .map(str::to_string)
        .collect();
    (used.into_iter().collect(), deleted)
}

#[test]
fn mcp_list_and_mcp_call_end_their_http_session() {
    let dir = tempfile::tempdir().expect("log dir");
    let server = HttpServer::start(dir.path(), &[]);
    let model = support::MockServer::start(vec![]);
    let home = support::mcp::home_with(
        &model,
        &format!("[mcp_servers.web]\nurl = \"{}\"\n", server.url()),
    );
    let list = support::reins::reins(home.path())
        .args(["mcp", "list"])
        .output()
        .expect("run reins");
    assert_eq!(list.status.code(), Some(0), "{list:?}");
    let call = support::reins::reins(home.path())
        .args(["mcp", "call", "web", "echo", r#"{"text": "hi"}"#])
        .output()
        .expect("run reins");
    assert_eq!(String::from_utf8_lossy(&call.stdout), "hi\n");
    let (used, deleted) = deleted_sessions(&server);
    assert_eq!(used.len(), 2, "{:?}", server.requests());
    let mut deleted = deleted;
    deleted.sort();
    assert_eq!(deleted, used, "every session is deleted on exit");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutting_the_hub_down_deletes_the_session() {
    let dir = tempfile::tempdir().expect("log dir");
    let server = HttpServer::start(dir.path(), &[]);
    let hub = hub(&server.url(), "").await;
    assert!(call(web(&hub), "echo", json!({"text": "x"})).await.is_ok());
    assert!(deleted_sessions(&server).1.is_empty());
    hub.shutdown().await;
    let (used, deleted) = deleted_sessions(&server);
    assert_eq!(deleted, used);
}

#[test]
fn mcp_list_fails_and_says_why_in_words_when_a_server_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    // Nothing listens there any more.
    let model = support::MockServer::start(vec![]);
    let home = support::mcp::home_with(
        &model,
        &format!("[mcp_servers.gone]\nurl = \"http://127.0.0.1:{port}/mcp\"\n"),
    );
    let out = support::reins::reins(home.path())
        .args(["mcp", "list"])
        .output()
        .expect("run reins");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "error: cannot connect to http://127.0.0.1:{port}/mcp: Connection refused"
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("rmcp::"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 of 1 MCP servers failed to start: gone"),
        "{stderr}"
    );
}

/// `@modelcontextprotocol/server-everything` serving streamable HTTP on `port`.
fn everything_http(dir: &std::path::Path, port: u16) -> std::process::Child {
    let child = std::process::Command::new("node")
        .arg(dir.join("dist/index.js"))
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the HTTP server");
    support::mcp::wait_listening(port);
    child
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reference_server_restarted_loses_the_session_and_the_next_call_reconnects() {
    let Some(dir) = support::mcp::everything() else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut server = everything_http(&dir, port);
    let hub = hub(
        &format!("http://127.0.0.1:{port}/mcp"),
        "timeout_ms = 120000",
    )
    .await;
    let echo = |text: &str| json!({ "message": text });
    let first = call(web(&hub), "echo", echo("one")).await;
    assert!(
        first.as_deref().is_ok_and(|t| t.contains("Echo: one")),
        "{first:?}"
    );

    let _ = server.kill();
    let _ = server.wait();
    let mut server = everything_http(&dir, port);
    let lost = call(web(&hub), "echo", echo("two")).await;
    let message = lost.expect_err("the restarted server answers the old session with 400");
    assert!(
        message.contains("lost its session") && message.contains("No valid session ID"),
        "{message}"
    );
    let third = call(web(&hub), "echo", echo("three")).await;
    hub.shutdown().await;
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        third.as_deref().is_ok_and(|t| t.contains("Echo: three")),
        "{third:?}"
    );
}

#[test]
fn exec_ends_its_http_session_when_the_session_ends() {
    let dir = tempfile::tempdir().expect("log dir");
    let server = HttpServer::start(dir.path(), &[]);
    let model = support::MockServer::start(vec![
        support::Reply::tool("web__echo", json!({"text": "over http"})),
        support::Reply::text("done"),
    ]);
    let home = support::mcp::home_with(
        &model,
        &format!("[mcp_servers.web]\nurl = \"{}\"\n", server.url()),
    );
    let ws = tempfile::tempdir().expect("workspace");
    let out = support::reins::reins(home.path())
        .args(["exec", "--json", "-C"])
        .arg(ws.path())
        .arg("use the tools")
        .output()
        .expect("run reins");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(support::mcp::tool_results(&model), ["over http"]);
    let (used, deleted) = deleted_sessions(&server);
    assert_eq!(used.len(), 1, "{:?}", server.requests());
    assert_eq!(deleted, used, "the session is deleted when reins exits");
}
