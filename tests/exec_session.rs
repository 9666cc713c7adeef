//! `reins exec` end to end against the mock server, for both wire formats.

mod support;

use serde_json::{json, Value};
use support::reins::{
    assert_anthropic_pairing, assert_success, calc_workspace, events, exec, home_for, reins,
    tool_results, types, Wire,
};
use support::{MockServer, Reply, ToolCall, Turn};

fn fix_calc_script() -> Vec<Reply> {
    vec![
        Reply::Turn(
            Turn::tool("read_file", json!({"path": "calc.py"})).with_text("Looking at calc.py."),
        ),
        Reply::tool(
            "edit_file",
            json!({"path": "calc.py", "old_string": "    return a - b", "new_string": "    return a + b"}),
        ),
        Reply::tool("shell", json!({"command": "python3 -m unittest 2>&1"})),
        Reply::text("Fixed add(): it subtracted. Tests pass."),
    ]
}

fn run_fix_calc(wire: Wire) -> (MockServer, tempfile::TempDir, Vec<Value>) {
    let server = MockServer::start(fix_calc_script());
    let home = home_for(&server, wire);
    let ws = calc_workspace();
    let out = reins(home.path())
        .args(["exec", "--json", "-C"])
        .arg(ws.path())
        .arg("the tests in calc fail; fix them")
        .output()
        .expect("run reins");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evs = events(&out.stdout);
    (server, ws, evs)
}

#[test]
fn openai_session_fixes_the_failing_test() {
    let (server, ws, evs) = run_fix_calc(Wire::OpenAi);
    let fixed = std::fs::read_to_string(ws.path().join("calc.py")).unwrap();
    assert!(fixed.contains("return a + b"), "{fixed}");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    assert!(
        reqs[0].path.ends_with("/v1/chat/completions"),
        "{}",
        reqs[0].path
    );
    assert_eq!(
        reqs[0].header("authorization"),
        Some("Bearer sk-mock-secret-1234")
    );
    assert_eq!(reqs[0].body["stream_options"]["include_usage"], true);
    let results = tool_results(&reqs[3].body);
    assert_eq!(results.len(), 3);
    assert!(
        results[2].contains("exit code: 0") && results[2].contains("OK"),
        "{}",
        results[2]
    );
    let t = types(&evs);
    assert_eq!(t.first().map(String::as_str), Some("session.started"));
    assert_eq!(t.last().map(String::as_str), Some("session.finished"));
    // Tool results carry what the tool reported, not only its text.
    let tool_events: Vec<&Value> = evs.iter().filter(|e| e["type"] == "tool.result").collect();
    assert_eq!(tool_events[1]["changed_paths"], json!(["calc.py"]));
    assert_eq!(tool_events[2]["exit_code"], 0);
    assert!(tool_events[0].get("exit_code").is_none());
    let fin = evs.last().unwrap();
    assert_eq!(fin["status"], "done");
    assert_eq!(fin["steps"], 4);
    assert_eq!(fin["input_tokens"], 400);
    assert!(fin["cost_usd"].as_f64().unwrap() > 0.0);
}

#[test]
fn request_prefix_is_identical_across_steps() {
    let (server, _ws, _) = run_fix_calc(Wire::OpenAi);
    let reqs = server.requests();
    let prefix = |b: &Value| (b["messages"][0].clone(), b["tools"].clone());
    for r in &reqs[1..] {
        assert_eq!(prefix(&r.body), prefix(&reqs[0].body));
    }
}

#[test]
fn anthropic_session_fixes_the_failing_test() {
    let (server, ws, evs) = run_fix_calc(Wire::Anthropic);
    assert!(std::fs::read_to_string(ws.path().join("calc.py"))
        .unwrap()
        .contains("return a + b"));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    assert!(reqs[0].path.ends_with("/v1/messages"));
    assert_eq!(reqs[0].header("x-api-key"), Some("sk-mock-secret-1234"));
    assert_eq!(reqs[0].header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        reqs[0].body["system"][0]["cache_control"]["type"],
        "ephemeral"
    );
    let tools = reqs[0].body["tools"].as_array().unwrap();
    assert_eq!(tools.last().unwrap()["cache_control"]["type"], "ephemeral");
    // Every tool_result answers the tool_use just before it.
    let msgs = reqs[3].body["messages"].as_array().unwrap();
    assert_anthropic_pairing(msgs);
    assert_eq!(evs.last().unwrap()["status"], "done");
}

#[test]
fn transient_faults_are_retried_without_duplicating_output() {
    let server = MockServer::start(vec![
        Reply::rate_limited("0"),
        Reply::status(500, "boom"),
        Reply::Cut(Turn::text("partial partial partial partial output")),
        Reply::Truncated(Turn::text("half a reply that never finishes properly")),
        Reply::tool("list_dir", json!({})),
        Reply::text("done"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "-c", "retry.max_tries=5"],
        "look",
    );
    assert_success(&out);
    let evs = events(&out.stdout);
    let retries = evs
        .iter()
        .filter(|e| e["type"] == "error" && e["retrying"] == true)
        .count();
    assert_eq!(retries, 4);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 6);
    let assistant_msgs = reqs[5].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "assistant")
        .count();
    assert_eq!(
        assistant_msgs, 1,
        "a failed attempt's partial output must not reach history"
    );
}

#[test]
fn retries_give_up_after_max_tries() {
    let server = MockServer::start(vec![Reply::status(503, "down"); 4]);
    let home = home_for(&server, Wire::Anthropic);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "x");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(server.requests().len(), 4);
    let evs = events(&out.stdout);
    assert_eq!(
        evs.iter()
            .filter(|e| e["type"] == "error" && e["retrying"] == true)
            .count(),
        3
    );
}

#[test]
fn sloppy_compatible_server_stream_is_accepted() {
    let server = MockServer::start(vec![
        Reply::SloppyTurn(Turn::tool("glob", json!({"pattern": "*.py"}))),
        Reply::SloppyTurn(Turn::text("two python files")),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &[], "list");
    assert_success(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "two python files"
    );
    assert!(tool_results(&server.requests()[1].body)[0].contains("calc.py"));
}

#[test]
fn auth_error_stops_without_retry() {
    let server = MockServer::start(vec![Reply::status(401, "Incorrect API key provided")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "x");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(server.requests().len(), 1);
    let evs = events(&out.stdout);
    let err = evs.iter().find(|e| e["type"] == "error").unwrap();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("Incorrect API key"),
        "{err}"
    );
    assert_eq!(evs.last().unwrap()["status"], "error");
}

#[test]
fn malformed_arguments_and_unknown_tools_go_back_to_the_model() {
    let server = MockServer::start(vec![
        Reply::Turn(Turn::calls(vec![
            ToolCall::raw("read_file", "{\"path\": \"calc.py\""),
            ToolCall::new("teleport", json!({})),
        ])),
        Reply::Turn(Turn::tool("read_file", json!({"path": "missing.txt"}))),
        Reply::text("giving up"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "x");
    assert_eq!(out.status.code(), Some(0));
    let reqs = server.requests();
    let first = tool_results(&reqs[1].body);
    assert!(first[0].contains("not valid JSON"), "{}", first[0]);
    assert!(
        first[1].contains("unknown tool `teleport`") && first[1].contains("read_file"),
        "{}",
        first[1]
    );
    let second = tool_results(&reqs[2].body);
    assert!(second[2].contains("does not exist"), "{}", second[2]);
}

#[test]
fn step_limit_message_counts_the_turn_not_the_session() {
    let server = MockServer::start(vec![
        Reply::tool("list_dir", json!({})),
        Reply::text("looked"),
        Reply::tool("list_dir", json!({})),
    ]);
    let home = home_for(&server, Wire::Anthropic);
    let ws = calc_workspace();
    let first = exec(home.path(), ws.path(), &["--json"], "look");
    assert_eq!(first.status.code(), Some(0));
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "--continue", "--max-steps", "1"],
        "again",
    );
    assert_eq!(out.status.code(), Some(3));
    let evs = events(&out.stdout);
    let error = evs
        .iter()
        .find(|e| e["type"] == "error")
        .expect("an error event");
    assert_eq!(
        error["message"],
        "stopped after 1 step in this turn (--max-steps)"
    );
}

#[test]
fn step_limit_ends_with_exit_3() {
    let server = MockServer::start(vec![
        Reply::tool("list_dir", json!({})),
        Reply::tool("list_dir", json!({})),
    ]);
    let home = home_for(&server, Wire::Anthropic);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json", "--max-steps", "2"], "x");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(events(&out.stdout).last().unwrap()["status"], "max_steps");
}

#[test]
fn no_model_configured_exits_2_with_setup_help() {
    let home = tempfile::tempdir().unwrap();
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &[], "x");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ANTHROPIC_API_KEY")
            && err.contains("OPENAI_API_KEY")
            && err.contains("ollama"),
        "{err}"
    );
}

#[test]
fn prompt_from_stdin_and_last_message_file() {
    let server = MockServer::start(vec![Reply::text("it adds numbers")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let last = ws.path().join("last.txt");
    let out = reins(home.path())
        .args(["exec", "-o"])
        .arg(&last)
        .arg("-C")
        .arg(ws.path())
        .arg("-")
        .write_stdin("explain calc.py")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&last).unwrap(), "it adds numbers");
    let body = &server.requests()[0].body;
    assert!(body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .ends_with("explain calc.py"));
}

#[test]
fn bad_config_names_file_and_key() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[providers.openai]\nbase_ur = \"x\"\n",
    )
    .unwrap();
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &[], "x");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("config.toml") && err.contains("base_ur"),
        "{err}"
    );
}

#[test]
fn child_processes_do_not_see_api_keys() {
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({"command": "env"})),
        Reply::text("ok"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = reins(home.path())
        .env("SOME_TOKEN", "tok-123")
        .args(["exec", "-C"])
        .arg(ws.path())
        .arg("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let env_out = &tool_results(&server.requests()[1].body)[0];
    assert!(
        !env_out.contains("sk-mock-secret-1234") && !env_out.contains("tok-123"),
        "{env_out}"
    );
    assert!(env_out.contains("PATH="), "{env_out}");
}

#[test]
fn edit_of_a_file_changed_since_it_was_read_is_refused() {
    let server = MockServer::start(vec![
        Reply::tool("read_file", json!({"path": "calc.py"})),
        Reply::tool(
            "shell",
            json!({"command": "sleep 0.01; echo '# touched' >> calc.py"}),
        ),
        Reply::tool(
            "edit_file",
            json!({"path": "calc.py", "old_string": "    return a - b", "new_string": "    return a + b"}),
        ),
        Reply::text("ok"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &[], "x");
    assert_eq!(out.status.code(), Some(0));
    let results = tool_results(&server.requests()[3].body);
    assert!(
        results[2].contains("changed on disk since you last read it"),
        "{}",
        results[2]
    );
    assert!(std::fs::read_to_string(ws.path().join("calc.py"))
        .unwrap()
        .contains("return a - b"));
}
