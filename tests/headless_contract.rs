//! The headless contract through the binary: `--output-schema` answers, `--deny-exit`, the
//! counts in `session.finished`, and `--json` lines that meet docs/events.schema.json.

mod support;

use serde_json::{json, Value};
use support::reins::{events, exec, home_for, Wire};
use support::{MockServer, Reply};

const ANSWER_SCHEMA: &str = r#"{
  "type": "object",
  "required": ["verdict", "count"],
  "properties": {"verdict": {"enum": ["ok", "broken"]}, "count": {"type": "integer"}},
  "additionalProperties": false
}"#;

fn schema_file(dir: &std::path::Path) -> String {
    let path = dir.join("answer.schema.json");
    std::fs::write(&path, ANSWER_SCHEMA).expect("write the schema");
    path.display().to_string()
}

fn finished(evs: &[Value]) -> &Value {
    let last = evs.last().expect("events");
    assert_eq!(last["type"], "session.finished", "{last}");
    last
}

/// The text of the last user message of a request, in the OpenAI wire format.
fn last_user_text(body: &Value) -> String {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .rfind(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// Every line of a real stream meets the published schema and carries its version.
fn assert_meets_event_schema(evs: &[Value]) {
    let schema: Value = serde_json::from_str(include_str!("../docs/events.schema.json"))
        .expect("docs/events.schema.json is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    for e in evs {
        assert_eq!(e["schema_version"], 1, "{e}");
        let errors: Vec<String> = validator.iter_errors(e).map(|x| x.to_string()).collect();
        assert!(errors.is_empty(), "{e}: {errors:?}");
    }
}

#[test]
fn an_invalid_answer_is_corrected_with_the_errors_and_the_json_printed() {
    let server = MockServer::start(vec![
        Reply::text("All good, the count is three."),
        Reply::text(r#"{"verdict": "fine", "count": 3}"#),
        Reply::text("```json\n{\"verdict\": \"ok\", \"count\": 3}\n```"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = tempfile::tempdir().expect("workspace");
    let schema = schema_file(home.path());
    let out = exec(
        home.path(),
        ws.path(),
        &["--output-schema", &schema],
        "is it ok?",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The accepted value, without its fence: what a script parses.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let printed: Value = serde_json::from_str(stdout.trim()).expect("stdout is the JSON answer");
    assert_eq!(printed, json!({"verdict": "ok", "count": 3}));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert!(
        last_user_text(&reqs[0].body).contains("\"verdict\""),
        "the schema is shown"
    );
    let first = last_user_text(&reqs[1].body);
    assert!(first.contains("not one JSON value"), "{first}");
    let second = last_user_text(&reqs[2].body);
    assert!(second.contains("at /verdict"), "{second}");
}

#[test]
fn an_answer_that_stays_invalid_fails_with_exit_5() {
    let server = MockServer::start(vec![
        Reply::text(r#"{"verdict": "ok"}"#),
        Reply::text(r#"{"verdict": "ok"}"#),
        Reply::text(r#"{"verdict": "ok"}"#),
        Reply::text(r#"{"verdict": "ok", "count": 1}"#),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = tempfile::tempdir().expect("workspace");
    let schema = schema_file(home.path());
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "--output-schema", &schema],
        "is it ok?",
    );
    assert_eq!(out.status.code(), Some(5));
    // Two corrections, then the run stops: the fourth reply is never asked for.
    assert_eq!(server.requests().len(), 3);
    let evs = events(&out.stdout);
    assert_eq!(finished(&evs)["status"], "output_invalid");
    let error = evs
        .iter()
        .find(|e| e["type"] == "error")
        .expect("an error event");
    assert!(
        error["message"].as_str().unwrap_or("").contains("count"),
        "{error}"
    );
    assert_meets_event_schema(&evs);
}

#[test]
fn an_unreadable_schema_is_a_usage_error_before_any_request() {
    let server = MockServer::start(vec![Reply::text("{}")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = tempfile::tempdir().expect("workspace");
    let bad = home.path().join("bad.json");
    std::fs::write(&bad, "{not json").expect("write");
    let out = exec(
        home.path(),
        ws.path(),
        &["--output-schema", &bad.display().to_string()],
        "x",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
    assert!(server.requests().is_empty());
}

fn deny_shell(home: &std::path::Path) {
    let path = home.join("config.toml");
    let mut config = std::fs::read_to_string(&path).expect("config");
    config.push_str("\n[permissions]\ndeny = [\"shell(curl*)\"]\n");
    std::fs::write(&path, config).expect("write config");
}

#[test]
fn a_denied_call_under_deny_exit_ends_the_run_with_exit_6() {
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({"command": "curl http://example.invalid"})),
        Reply::text("I could not fetch it, but everything is fine."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    deny_shell(home.path());
    let ws = tempfile::tempdir().expect("workspace");
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "--deny-exit"],
        "fetch it",
    );
    assert_eq!(out.status.code(), Some(6));
    assert_eq!(server.requests().len(), 1, "no request after the refusal");
    let evs = events(&out.stdout);
    let result = evs
        .iter()
        .find(|e| e["type"] == "tool.result")
        .expect("a tool result");
    assert_eq!(result["denied"], true);
    let fin = finished(&evs);
    assert_eq!(fin["status"], "denied");
    assert_eq!(fin["denied_calls"], 1);
    assert_meets_event_schema(&evs);
}

#[test]
fn without_deny_exit_the_refusal_is_still_counted() {
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({"command": "curl http://example.invalid"})),
        Reply::tool("shell", json!({"command": "echo hi"})),
        Reply::text("Done."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    deny_shell(home.path());
    let ws = tempfile::tempdir().expect("workspace");
    let out = exec(home.path(), ws.path(), &["--json"], "fetch it");
    assert_eq!(out.status.code(), Some(0));
    let evs = events(&out.stdout);
    let results: Vec<&Value> = evs.iter().filter(|e| e["type"] == "tool.result").collect();
    assert_eq!(results[0]["denied"], true);
    // A call that ran, even one that failed, is not a refusal.
    assert!(results[1].get("denied").is_none(), "{}", results[1]);
    let fin = finished(&evs);
    assert_eq!(fin["status"], "done");
    assert_eq!(fin["denied_calls"], 1);
    assert_eq!(fin["failed_checks"], 0);
    assert_meets_event_schema(&evs);
}

#[test]
fn failed_checks_are_counted_even_when_fixed_later() {
    let server = MockServer::start(vec![
        Reply::text("Done."),
        Reply::tool(
            "write_file",
            json!({"path": "done.txt", "content": "yes\n"}),
        ),
        Reply::text("Done now."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = tempfile::tempdir().expect("workspace");
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "--check", "test -f done.txt"],
        "make done.txt",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evs = events(&out.stdout);
    let checks: Vec<bool> = evs
        .iter()
        .filter(|e| e["type"] == "check")
        .map(|e| e["passed"].as_bool().unwrap_or(true))
        .collect();
    assert_eq!(checks, vec![false, true]);
    let fin = finished(&evs);
    assert_eq!(fin["failed_checks"], 1);
    assert_eq!(fin["denied_calls"], 0);
    assert_meets_event_schema(&evs);
}

#[test]
fn quiet_keeps_stderr_for_errors_and_stdout_for_the_answer() {
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({"command": "echo hi"})),
        Reply::text("All done."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = tempfile::tempdir().expect("workspace");
    let out = exec(home.path(), ws.path(), &["--quiet"], "say hi");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "All done.");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "the trace is not shown"
    );

    let server = MockServer::start(vec![Reply::text(r#"{"verdict": "ok"}"#); 3]);
    let home = home_for(&server, Wire::OpenAi);
    let schema = schema_file(home.path());
    let out = exec(
        home.path(),
        ws.path(),
        &["-q", "--output-schema", &schema],
        "is it ok?",
    );
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("does not match the output schema"),
        "{stderr}"
    );
}
