//! MCP servers as the model meets them through `reins exec`, and `reins mcp`: against the small
//! rmcp server in `examples/mcp_test_server.rs` (always), and against the reference
//! `@modelcontextprotocol/server-everything` when `.ci/run` installed it (node present).

mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use support::mcp::{everything, home_with, test_server, test_server_config, tool_results};
use support::reins::{events, reins};
use support::{MockServer, Reply};

/// Runs `reins exec --json` and returns the events; the exit code must be 0.
fn exec(home: &Path, extra_args: &[&str]) -> Vec<Value> {
    let ws = tempfile::tempdir().expect("workspace");
    let out = reins(home)
        .args(["exec", "--json"])
        .args(extra_args)
        .arg("-C")
        .arg(ws.path())
        .arg("use the tools")
        .output()
        .expect("run reins");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    events(&out.stdout)
}

/// The `mcp.status` events of `server` as (state, error).
fn statuses(evs: &[Value], server: &str) -> Vec<(String, String)> {
    evs.iter()
        .filter(|e| e["type"] == "mcp.status" && e["server"] == server)
        .map(|e| {
            (
                e["state"].as_str().unwrap_or_default().to_string(),
                e["error"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn reins_mcp(home: &Path, args: &[&str]) -> std::process::Output {
    let ws = tempfile::tempdir().expect("workspace");
    reins(home)
        .arg("mcp")
        .args(args)
        .arg("-C")
        .arg(ws.path())
        .output()
        .expect("run reins mcp")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn mcp_list_shows_each_server_state_and_tools() {
    let model = MockServer::start(vec![]);
    let broken = format!(
        "[mcp_servers.broken]\ncommand = \"{}\"\nargs = [\"--fail-start\"]\n",
        test_server().display()
    );
    let home = home_with(&model, &(test_server_config("") + &broken));
    let out = reins_mcp(home.path(), &["list", "--json"]);
    assert_eq!(out.status.code(), Some(1), "a server failed: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 of 2 MCP servers failed to start: broken"),
        "{out:?}"
    );
    let servers: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let by_name = |n: &str| {
        servers
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == n))
            .cloned()
            .unwrap_or_else(|| panic!("no {n} in {servers}"))
    };
    let test = by_name("test");
    assert_eq!(test["state"], "ready");
    let names: Vec<&str> = test["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for expected in ["echo", "add", "slow", "crash", "change_tools"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    let broken = by_name("broken");
    assert_eq!(broken["state"], "failed");
    let error = broken["error"].as_str().unwrap_or_default();
    assert!(error.contains("refusing to start"), "{error}");

    let human = stdout(&reins_mcp(home.path(), &["list"]));
    assert!(human.contains("test  ready"), "{human}");
    assert!(
        human.contains("  test__echo  Echoes the text back."),
        "{human}"
    );
}

#[test]
fn mcp_call_prints_the_result_as_the_model_would_get_it() {
    let model = MockServer::start(vec![]);
    let home = home_with(&model, &test_server_config(""));
    let out = reins_mcp(home.path(), &["call", "test", "add", r#"{"a": 2, "b": 3}"#]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout(&out), "5\n", "the text carries the structured sum");

    let rich = stdout(&reins_mcp(home.path(), &["call", "test", "rich"]));
    assert!(rich.contains("[image: image/png, 70 bytes"), "{rich}");
    assert!(
        rich.contains(
            "[resource link: guide.md <file:///docs/guide.md> (text/markdown): the guide]"
        ),
        "{rich}"
    );
    assert!(
        rich.contains("[resource <mem://note> (text/plain)]\nan embedded note"),
        "{rich}"
    );

    let fail = reins_mcp(home.path(), &["call", "test", "fail"]);
    assert_eq!(fail.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&fail.stderr).contains("it went wrong on purpose"));
}

#[test]
fn servers_get_a_scrubbed_environment_plus_their_named_variables() {
    let model = MockServer::start(vec![]);
    let home = home_with(
        &model,
        &test_server_config("env = { PASSED = \"$MCP_TEST_TOKEN\", LITERAL = \"plain\" }"),
    );
    let var = |name: &str| {
        let out = reins(home.path())
            .env("MCP_TEST_TOKEN", "tok-123")
            .env("UNLISTED_TOKEN", "secret-456")
            .args(["mcp", "call", "test", "env"])
            .arg(json!({ "name": name }).to_string())
            .output()
            .expect("run reins");
        stdout(&out).trim().to_string()
    };
    assert_eq!(var("PASSED"), "tok-123");
    assert_eq!(var("LITERAL"), "plain");
    assert_eq!(var("UNLISTED_TOKEN"), "(unset)");
    assert_eq!(var("MCP_TEST_TOKEN"), "(unset)");
    assert_eq!(var("MOCK_API_KEY"), "(unset)");

    let unset = reins(home.path())
        .env_remove("MCP_TEST_TOKEN")
        .args(["mcp", "call", "test", "pid"])
        .output()
        .expect("run reins");
    assert_eq!(unset.status.code(), Some(1));
    let err = String::from_utf8_lossy(&unset.stderr);
    assert!(err.contains("$MCP_TEST_TOKEN is not set"), "{err}");
}

#[test]
fn exec_offers_mcp_tools_to_the_model_and_returns_their_results() {
    let model = MockServer::start(vec![
        Reply::tool("test__echo", json!({"text": "hello from mcp"})),
        Reply::text("done"),
    ]);
    let home = home_with(&model, &test_server_config(""));
    let evs = exec(home.path(), &[]);

    let first = &model.requests()[0].body;
    let echo = first["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .find(|t| t["function"]["name"] == "test__echo")
        .unwrap_or_else(|| panic!("no test__echo in {}", first["tools"]));
    assert_eq!(echo["function"]["description"], "Echoes the text back.");
    assert_eq!(echo["function"]["parameters"]["required"], json!(["text"]));

    assert_eq!(tool_results(&model), ["hello from mcp"]);
    let states: Vec<String> = statuses(&evs, "test").into_iter().map(|s| s.0).collect();
    assert_eq!(states, ["starting", "ready"]);
    let result = evs
        .iter()
        .find(|e| e["type"] == "tool.result")
        .expect("tool.result");
    assert_eq!(result["ok"], true);
}

#[test]
fn a_crash_is_reported_to_the_model_and_the_next_call_restarts_the_server() {
    let model = MockServer::start(vec![
        Reply::tool("test__pid", json!({})),
        Reply::tool("test__crash", json!({})),
        Reply::tool("test__pid", json!({})),
        Reply::text("done"),
    ]);
    let home = home_with(&model, &test_server_config(""));
    let evs = exec(home.path(), &[]);

    let results = tool_results(&model);
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(
        results[1].contains("stopped during the call to `crash`")
            && results[1].contains("crashing on purpose")
            && results[1].contains("restarted on the next call"),
        "{}",
        results[1]
    );
    assert_ne!(results[0], results[2], "the server was restarted");
    let states: Vec<String> = statuses(&evs, "test").into_iter().map(|s| s.0).collect();
    assert_eq!(
        states,
        ["starting", "ready", "failed", "restarting", "ready"]
    );
    let failed = &statuses(&evs, "test")[2];
    assert!(failed.1.contains("crashing on purpose"), "{failed:?}");
}

#[test]
fn a_call_past_its_timeout_is_cancelled_and_the_server_keeps_serving() {
    let model = MockServer::start(vec![
        Reply::tool("test__slow", json!({"ms": 20000})),
        Reply::tool("test__echo", json!({"text": "still here"})),
        Reply::text("done"),
    ]);
    let home = home_with(&model, &test_server_config("timeout_ms = 300"));
    let started = Instant::now();
    exec(home.path(), &[]);
    assert!(started.elapsed() < Duration::from_secs(15));
    let results = tool_results(&model);
    assert!(
        results[0].contains("did not answer `slow` within 300 ms")
            && results[0].contains("timeout_ms"),
        "{}",
        results[0]
    );
    assert_eq!(results[1], "still here");
}

#[test]
fn a_server_that_fails_to_start_is_reported_and_its_session_goes_on() {
    let model = MockServer::start(vec![Reply::text("no tools needed")]);
    let home = home_with(
        &model,
        &test_server_config("args = [\"--fail-start\"]\nstartup_timeout_ms = 5000"),
    );
    let evs = exec(home.path(), &[]);
    let states = statuses(&evs, "test");
    assert_eq!(states.len(), 2, "{states:?}");
    assert_eq!(states[1].0, "failed");
    assert!(states[1].1.contains("refusing to start"), "{states:?}");
    let tools = model.requests()[0].body["tools"].to_string();
    assert!(!tools.contains("test__"), "{tools}");
}

#[test]
fn permission_rules_name_mcp_tools_and_on_request_asks_for_them() {
    let call = || {
        MockServer::start(vec![
            Reply::tool("test__echo", json!({"text": "hi"})),
            Reply::text("done"),
        ])
    };
    let model = call();
    let home = home_with(&model, &test_server_config(""));
    exec(home.path(), &["-c", "permissions.deny=[\"mcp(test__e*)\"]"]);
    let denied = &tool_results(&model)[0];
    assert!(
        denied.contains("not permitted") && denied.contains("mcp(test__e*)"),
        "{denied}"
    );

    let model = call();
    let home = home_with(&model, &test_server_config(""));
    exec(home.path(), &["-c", "approval=\"on-request\""]);
    let asked = &tool_results(&model)[0];
    assert!(
        asked.contains("never asks") && asked.contains("mcp(test__echo)"),
        "{asked}"
    );

    let model = call();
    let home = home_with(&model, &test_server_config(""));
    exec(
        home.path(),
        &[
            "-c",
            "approval=\"on-request\"",
            "-c",
            "permissions.allow=[\"mcp(test__*)\"]",
        ],
    );
    assert_eq!(tool_results(&model), ["hi"]);
}

#[tokio::test]
async fn a_changed_tool_list_is_picked_up_at_the_next_refresh() {
    use reins::agent::ToolSource;
    let ws = tempfile::tempdir().expect("workspace");
    let config: reins::mcp::McpServerConfig =
        toml::from_str(&format!("command = \"{}\"", test_server().display())).expect("config");
    let policy = reins::sandbox::SandboxPolicy::new(
        reins::sandbox::SandboxMode::WorkspaceWrite,
        false,
        ws.path(),
        Vec::new(),
    );
    let launch = reins::mcp::Launch::new(policy, std::env::vars_os().collect(), false, None)
        .expect("launch");
    let hub =
        reins::mcp::McpHub::start(&[("test".to_string(), config)].into(), launch).expect("start");
    hub.wait_started().await;

    let names = |tools: &[Box<dyn reins::tools::Tool>]| -> Vec<String> {
        tools.iter().map(|t| t.name().to_string()).collect()
    };
    let first = hub.current_tools().await;
    assert!(names(&first).iter().any(|n| n == "test__change_tools"));
    assert!(!names(&first).iter().any(|n| n == "test__late"));

    let ctx = reins::tools::ToolContext::new(ws.path(), reins::cancel::Cancel::never())
        .expect("tool context");
    let change = first
        .iter()
        .find(|t| t.name() == "test__change_tools")
        .expect("change_tools");
    change.run("{}", &ctx).await.expect("change_tools runs");

    let deadline = Instant::now() + Duration::from_secs(10);
    let changed = loop {
        let tools = hub.current_tools().await;
        if names(&tools).iter().any(|n| n == "test__late") {
            break tools;
        }
        assert!(Instant::now() < deadline, "the change was never picked up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let late = changed
        .iter()
        .find(|t| t.name() == "test__late")
        .unwrap_or_else(|| panic!("no test__late in {:?}", names(&changed)));
    assert_eq!(
        late.run("", &ctx).await.map(|o| o.text),
        Ok("late tool here".to_string())
    );
}

// ---------------------------------------------------------------------------------------------
// The reference server, @modelcontextprotocol/server-everything
// ---------------------------------------------------------------------------------------------

fn everything_config(dir: &Path) -> String {
    format!(
        "[mcp_servers.everything]\ncommand = \"node\"\nargs = [\"{}\", \"stdio\"]\n",
        dir.join("dist/index.js").display()
    )
}

#[test]
fn the_reference_server_lists_and_answers_over_stdio() {
    let Some(dir) = everything() else { return };
    let model = MockServer::start(vec![
        Reply::tool("everything__get-sum", json!({"a": 2, "b": 3})),
        Reply::tool("everything__get-tiny-image", json!({})),
        Reply::text("done"),
    ]);
    let home = home_with(&model, &everything_config(&dir));

    let list = reins_mcp(home.path(), &["list", "--json"]);
    let servers: Value = serde_json::from_slice(&list.stdout).expect("JSON");
    assert_eq!(servers[0]["state"], "ready", "{servers}");
    let listed = servers[0]["tools"].to_string();
    assert!(
        listed.contains("\"echo\"") && listed.contains("\"get-sum\""),
        "{listed}"
    );

    let echo = reins_mcp(
        home.path(),
        &["call", "everything", "echo", r#"{"message": "hi"}"#],
    );
    assert_eq!(echo.status.code(), Some(0), "{echo:?}");
    assert!(stdout(&echo).contains("Echo: hi"), "{}", stdout(&echo));

    exec(home.path(), &[]);
    let results = tool_results(&model);
    assert!(results[0].contains('5'), "{}", results[0]);
    assert!(results[1].contains("[image: image/png"), "{}", results[1]);
}

#[test]
fn the_reference_server_answers_over_streamable_http() {
    let Some(dir) = everything() else { return };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut server = std::process::Command::new("node")
        .arg(dir.join("dist/index.js"))
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the HTTP server");
    let up = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            up.elapsed() < Duration::from_secs(20),
            "the server never listened"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let model = MockServer::start(vec![]);
    let home = home_with(
        &model,
        &format!("[mcp_servers.web]\nurl = \"http://127.0.0.1:{port}/mcp\"\n"),
    );
    let echo = reins_mcp(
        home.path(),
        &["call", "web", "echo", r#"{"message": "over http"}"#],
    );
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(echo.status.code(), Some(0), "{echo:?}");
    assert!(
        stdout(&echo).contains("Echo: over http"),
        "{}",
        stdout(&echo)
    );
}

#[test]
fn the_reference_servers_progress_keeps_a_call_past_its_timeout_alive() {
    let Some(dir) = everything() else { return };
    let model = MockServer::start(vec![]);
    let home = home_with(&model, &(everything_config(&dir) + "timeout_ms = 1000\n"));
    // 3 s in 6 steps: a progress report every 500 ms, three times the idle limit in all.
    let out = reins_mcp(
        home.path(),
        &[
            "call",
            "everything",
            "trigger-long-running-operation",
            r#"{"duration": 3, "steps": 6}"#,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        stdout(&out).contains("Long running operation completed"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn junk_on_a_servers_stdout_is_reported_with_the_line() {
    let model = MockServer::start(vec![]);
    // Speaks MCP after one log line on stdout: it works, with a warning naming the line.
    let home = home_with(&model, &test_server_config("args = [\"--stdout-junk\"]"));
    let out = reins_mcp(home.path(), &["call", "test", "echo", r#"{"text": "hi"}"#]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout(&out), "hi\n");
    let warned = String::from_utf8_lossy(&out.stderr);
    assert!(
        warned.contains(
            "wrote to stdout what is not an MCP message: `Server listening on port 3000`"
        ),
        "{warned}"
    );

    // Never speaks MCP at all: the failure names the line, not just the timeout.
    let home = home_with(
        &model,
        &test_server_config("args = [\"--stdout-junk-only\"]\nstartup_timeout_ms = 2000"),
    );
    let out = reins_mcp(home.path(), &["list", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let servers: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let error = servers[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("did not start within 2000 ms")
            && error.contains("`Server listening on port 3000`")
            && error.contains("only JSON-RPC messages"),
        "{error}"
    );
}

#[test]
fn tool_list_shows_mcp_tools_under_their_server_prefix() {
    let model = MockServer::start(vec![]);
    let broken = format!(
        "[mcp_servers.broken]\ncommand = \"{}\"\nargs = [\"--fail-start\"]\n",
        test_server().display()
    );
    let home = home_with(&model, &(test_server_config("") + &broken));
    let ws = tempfile::tempdir().expect("workspace");
    let out = reins(home.path())
        .args(["tool", "list", "--json", "-C"])
        .arg(ws.path())
        .output()
        .expect("run reins");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let specs: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let names: Vec<&str> = specs
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(names.contains(&"read_file"), "{names:?}");
    assert!(names.contains(&"test__echo"), "{names:?}");
    let echo = specs
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == "test__echo"))
        .expect("test__echo");
    assert_eq!(echo["description"], "Echoes the text back.");
    assert_eq!(echo["parameters"]["required"], json!(["text"]));
    let warned = String::from_utf8_lossy(&out.stderr);
    assert!(
        warned.contains("the MCP server `broken` did not start")
            && warned.contains("refusing to start"),
        "{warned}"
    );
}
