//! The per-step router end to end: two models on two mock servers speaking different wire formats.

mod support;

use serde_json::{json, Value};
use support::reins::{
    assert_anthropic_pairing, assert_success, calc_workspace, events, exec, reins,
};
use support::{MockServer, Reply, Turn};

/// A home whose `fast` model is OpenAI-format on `fast` and `strong` is Anthropic-format on `strong`.
fn two_model_home(fast: &MockServer, strong: &MockServer, router: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
[providers.a]
kind = "openai"
base_url = "{}"
api_key_env = ""
[providers.b]
kind = "anthropic"
base_url = "{}"
api_key_env = ""
[models.fast]
provider = "a"
name = "fast-model"
input_price = 100.0
output_price = 100.0
[models.strong]
provider = "b"
name = "strong-model"
input_price = 1000.0
output_price = 1000.0
[retry]
base_delay_ms = 1
max_delay_ms = 5
{router}
"#,
        fast.openai_base(),
        strong.anthropic_base()
    );
    std::fs::write(home.path().join("config.toml"), config).unwrap();
    home
}

const ROUTER: &str = r#"
[router]
default = "fast"
ladder = ["fast", "strong"]
escalate_after = 2
deescalate_after = 3
fallback = "fast"
rules = [
  { step = "plan", model = "strong" },
  { step = "compact", model = "fast" },
  { loop = true, model = "strong" },
]
"#;

fn shell(cmd: &str) -> Reply {
    Reply::tool("shell", json!({"command": cmd}))
}

fn routes(evs: &[Value]) -> Vec<(String, String)> {
    evs.iter()
        .filter(|e| e["type"] == "route")
        .map(|e| {
            (
                e["model"].as_str().unwrap().to_string(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn plan_strong_act_fast_escalate_and_deescalate_across_providers() {
    // Requests in order: strong, fast, strong, strong, strong, fast.
    let strong = MockServer::start(vec![
        shell("exit 1"),
        shell("true"),
        shell(":"),
        shell("echo ok"),
    ]);
    let fast = MockServer::start(vec![shell("false"), Reply::text("done")]);
    let home = two_model_home(&fast, &strong, ROUTER);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "go");
    assert_success(&out);
    let evs = events(&out.stdout);
    let r = routes(&evs);
    let models: Vec<&str> = r.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(
        models,
        ["strong", "fast", "strong", "strong", "strong", "fast"],
        "{r:?}"
    );
    assert!(r[0].1.starts_with("plan:"), "{}", r[0].1);
    assert!(
        r[2].1.contains("2 consecutive failures") && r[2].1.contains("escalate"),
        "{}",
        r[2].1
    );
    assert!(r[5].1.contains("back down"), "{}", r[5].1);
    // The Anthropic server saw tool results for calls the OpenAI server's model made: pairing holds.
    let last_strong = &strong.requests()[3].body;
    let msgs = last_strong["messages"].as_array().unwrap();
    assert_anthropic_pairing(msgs);
    // And the OpenAI server saw the Anthropic model's calls as tool_calls answered by tool messages.
    let last_fast = &fast.requests()[1].body["messages"];
    let ids: Vec<&str> = last_fast
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["tool_call_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 5);
    let fin = evs.last().unwrap();
    assert_eq!(fin["models"]["strong"]["requests"], 4);
    assert_eq!(fin["models"]["fast"]["requests"], 2);
}

#[test]
fn a_third_identical_call_is_not_run_and_the_loop_rule_fires() {
    let fast = MockServer::start(vec![
        shell("echo again >> log.txt"),
        shell("echo again >> log.txt"),
        shell("echo again >> log.txt"),
    ]);
    let strong = MockServer::start(vec![Reply::text("stopping the loop")]);
    let router = "[router]\ndefault = \"fast\"\nladder = [\"fast\", \"strong\"]\nescalate_after = 5\nrules = [{ loop = true, model = \"strong\" }]\n";
    let home = two_model_home(&fast, &strong, router);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "go");
    assert_success(&out);
    assert_eq!(
        std::fs::read_to_string(ws.path().join("log.txt")).unwrap(),
        "again\nagain\n",
        "the third call must not run"
    );
    let evs = events(&out.stdout);
    let r = routes(&evs);
    assert_eq!(r.last().unwrap().0, "strong", "{r:?}");
    assert!(r.last().unwrap().1.contains("repeated"), "{r:?}");
    let third = evs
        .iter()
        .filter(|e| e["type"] == "tool.result")
        .nth(2)
        .unwrap();
    assert!(
        third["output"]
            .as_str()
            .unwrap()
            .contains("three times in a row"),
        "{third}"
    );
}

#[test]
fn budget_stops_before_the_request_that_would_cross_it() {
    let fast = MockServer::start(
        (0..20)
            .map(|_| Reply::Turn(Turn::tool("list_dir", json!({})).with_usage(1000, 0, 100)))
            .collect(),
    );
    let strong = MockServer::start(vec![]);
    let home = two_model_home(&fast, &strong, "");
    let ws = calc_workspace();
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "-m", "fast", "--max-cost", "0.5"],
        "go",
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evs = events(&out.stdout);
    let fin = evs.last().unwrap();
    assert_eq!(fin["status"], "budget");
    let cost = fin["cost_usd"].as_f64().unwrap();
    assert!(cost <= 0.5, "spent {cost}");
    assert!(fast.requests().len() < 20);
    assert_eq!(
        evs.iter().filter(|e| e["type"] == "budget.warning").count(),
        1
    );
    let stop = evs.iter().rev().find(|e| e["type"] == "error").unwrap();
    assert!(
        stop["message"].as_str().unwrap().contains("budget reached"),
        "{stop}"
    );
}

#[test]
fn provider_failure_falls_back_to_the_fallback_model() {
    let strong = MockServer::start(vec![Reply::status(500, "down"); 4]);
    let fast = MockServer::start(vec![Reply::text("answered by the fallback")]);
    let home = two_model_home(&fast, &strong, ROUTER);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "go");
    assert_success(&out);
    assert_eq!(strong.requests().len(), 4);
    let r = routes(&events(&out.stdout));
    assert_eq!(
        r.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(),
        ["strong", "fast"]
    );
    assert!(r[1].1.starts_with("fallback"), "{r:?}");
}

#[test]
fn unknown_model_in_router_is_a_config_error() {
    let fast = MockServer::start(vec![]);
    let home = two_model_home(&fast, &fast, "[router]\ndefault = \"fsat\"\n");
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &[], "go");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fsat"));
}

#[test]
fn sessions_show_prints_the_routing_table() {
    let strong = MockServer::start(vec![shell("true")]);
    let fast = MockServer::start(vec![Reply::text("done")]);
    let home = two_model_home(&fast, &strong, ROUTER);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "go");
    let id = events(&out.stdout)[0]["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = reins(home.path())
        .args(["sessions", "show", &id, "--routes"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("   1  strong") && text.contains("plan: rules[0]"),
        "{text}"
    );
    assert!(
        text.contains("   2  fast") && text.contains("act: default -> fast"),
        "{text}"
    );
}
