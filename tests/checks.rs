//! Checks end to end: `--check` and `[checks]` judge the session when the model stops, failures
//! go back to the model until the checks pass, and a session that runs out of steps with failing
//! checks ends `checks_failed` (exit 4). The `run_checks` tool exists only when checks do.

mod support;

use serde_json::{json, Value};
use support::reins::{assert_success, calc_workspace, events, exec, home_for, reins, Wire};
use support::{MockServer, Reply};

const CHECK: &str = "python3 -m unittest";

fn user_texts(body: &Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "user")
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn checks_of(evs: &[Value]) -> Vec<&Value> {
    evs.iter().filter(|e| e["type"] == "check").collect()
}

fn edit(old: &str, new: &str) -> Reply {
    Reply::tool(
        "edit_file",
        json!({"path": "calc.py", "old_string": old, "new_string": new}),
    )
}

#[test]
fn check_loop_fails_twice_then_passes() {
    let server = MockServer::start(vec![
        Reply::text("Done, I think."),
        edit("return a - b", "return a + b + 1"),
        Reply::text("Fixed add."),
        edit("return a + b + 1", "return a + b"),
        Reply::text("Fixed add for real."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = reins(home.path())
        .args(["exec", "--json", "--check", CHECK, "-C"])
        .arg(ws.path())
        .arg("make the tests pass")
        .output()
        .unwrap();
    assert_success(&out);
    let evs = events(&out.stdout);
    let checks = checks_of(&evs);
    let passed: Vec<bool> = checks.iter().map(|c| c["passed"] == true).collect();
    assert_eq!(passed, [false, false, true]);
    assert_eq!(checks[0]["command"], CHECK);
    assert_eq!(checks[0]["exit_code"], 1);
    assert!(checks[0]["duration_ms"].is_u64());
    let summary = checks[0]["summary"].as_str().unwrap();
    assert!(
        summary.contains("1 failed, 2 passed") && summary.contains("test_calc.CalcTest.test_add"),
        "{summary}"
    );
    assert_eq!(evs.last().unwrap()["status"], "done");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 5);
    // The failure went back to the model as the next user message, trimmed to the failure.
    let feedback = user_texts(&reqs[1].body).pop().unwrap();
    assert!(
        feedback.contains("not done yet") && feedback.contains("test_add"),
        "{feedback}"
    );
    assert!(feedback.contains("AssertionError: -1 != 5"), "{feedback}");
    let second = user_texts(&reqs[3].body).pop().unwrap();
    assert!(second.contains("AssertionError: 6 != 5"), "{second}");
}

#[test]
fn checks_that_never_pass_end_with_exit_4() {
    let server = MockServer::start(vec![Reply::text("done"); 3]);
    let home = home_for(&server, Wire::Anthropic);
    let ws = calc_workspace();
    let out = reins(home.path())
        .args(["exec", "--json", "--max-steps", "3", "--check", CHECK, "-C"])
        .arg(ws.path())
        .arg("make the tests pass")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evs = events(&out.stdout);
    assert_eq!(checks_of(&evs).len(), 3);
    assert_eq!(evs.last().unwrap()["status"], "checks_failed");
}

#[test]
fn configured_checks_give_the_model_a_run_checks_tool() {
    let server = MockServer::start(vec![
        Reply::tool("run_checks", json!({})),
        edit("return a - b", "return a + b"),
        Reply::text("Fixed."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    std::fs::create_dir_all(ws.path().join(".reins")).unwrap();
    std::fs::write(
        ws.path().join(".reins/config.toml"),
        format!("[checks]\ncommands = [\"{CHECK}\"]\n"),
    )
    .unwrap();
    // Project checks run commands without asking: they apply once the workspace is trusted.
    let trust = reins(home.path())
        .args(["trust", "--yes", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    assert_eq!(trust.status.code(), Some(0));
    let out = exec(home.path(), ws.path(), &["--json"], "fix it");
    assert_success(&out);
    let reqs = server.requests();
    let tools: Vec<&str> = reqs[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert!(tools.contains(&"run_checks"), "{tools:?}");
    let evs = events(&out.stdout);
    let result = evs
        .iter()
        .find(|e| e["type"] == "tool.result" && e["name"] == "run_checks")
        .unwrap();
    let output = result["output"].as_str().unwrap();
    assert!(output.starts_with(&format!("FAILED `{CHECK}`")), "{output}");
    assert!(
        output.contains("failing: test_calc.CalcTest.test_add"),
        "{output}"
    );
    let checks = checks_of(&evs);
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0]["passed"], true);
}

#[test]
fn without_checks_there_is_no_run_checks_tool() {
    let server = MockServer::start(vec![Reply::text("hi")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "hello");
    assert_eq!(out.status.code(), Some(0));
    let body = &server.requests()[0].body;
    assert!(!body["tools"].to_string().contains("run_checks"));
    assert!(checks_of(&events(&out.stdout)).is_empty());
}
