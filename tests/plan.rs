//! The `update_plan` tool through the real binary: `plan` events in `--json`, the plan kept in
//! the transcript and announced again when the session resumes, and plans the checklist cannot
//! show refused with a message the model can act on.

mod support;

use serde_json::{json, Value};
use support::reins::{assert_success, events, exec, home_for, tool_results, Wire};
use support::{MockServer, Reply};

fn plan_events(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["type"] == "plan")
        .map(|e| e["steps"].clone())
        .collect()
}

#[test]
fn a_plan_is_announced_kept_and_restored_across_a_resume() {
    let first = json!([
        {"step": "Read calc.py", "status": "in_progress"},
        {"step": "Fix add", "status": "pending"},
    ]);
    let second = json!([
        {"step": "Read calc.py", "status": "done"},
        {"step": "Fix add", "status": "in_progress"},
    ]);
    let server = MockServer::start(vec![
        Reply::tool("update_plan", json!({"plan": first})),
        Reply::text("planned"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = tempfile::tempdir().unwrap();
    let out = exec(home.path(), ws.path(), &["--json"], "plan the fix");
    assert_success(&out);
    let run1 = events(&out.stdout);
    assert_eq!(plan_events(&run1), vec![first.clone()]);
    let id = run1[0]["session_id"].as_str().unwrap().to_string();
    assert_eq!(
        tool_results(&server.requests()[1].body),
        vec!["plan updated: 0 of 2 steps done"]
    );

    server.push(Reply::tool("update_plan", json!({"plan": second})));
    server.push(Reply::text("continued"));
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "--resume", &id],
        "go on",
    );
    assert_success(&out);
    let run2 = events(&out.stdout);
    // The restored plan comes right after the start, before any step of the new turn.
    assert_eq!(run2[0]["type"], "session.started");
    let first_plan = run2.iter().position(|e| e["type"] == "plan").unwrap();
    let first_route = run2.iter().position(|e| e["type"] == "route").unwrap();
    assert!(first_plan < first_route, "{run2:#?}");
    assert_eq!(plan_events(&run2), vec![first, second.clone()]);

    // A third run restores the latest plan, not the first one.
    server.push(Reply::text("still here"));
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "--resume", &id],
        "status?",
    );
    assert_success(&out);
    assert_eq!(plan_events(&events(&out.stdout)), vec![second]);
}

#[test]
fn a_plan_with_two_steps_in_progress_is_refused_and_not_announced() {
    let server = MockServer::start(vec![
        Reply::tool(
            "update_plan",
            json!({"plan": [
                {"step": "a", "status": "in_progress"},
                {"step": "b", "status": "in_progress"},
            ]}),
        ),
        Reply::text("ok"),
    ]);
    let home = home_for(&server, Wire::Anthropic);
    let ws = tempfile::tempdir().unwrap();
    let out = exec(home.path(), ws.path(), &["--json"], "plan");
    assert_success(&out);
    assert!(plan_events(&events(&out.stdout)).is_empty());
    let results = tool_results(&server.requests()[1].body);
    assert!(results[0].contains("mark only the one"), "{results:?}");
}
