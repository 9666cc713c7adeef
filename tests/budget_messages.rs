//! What a budget says: once, and with amounts that can be told apart. An unpriced model gets one
//! `warning` (not an `error` before every step), `--max-cost 0.003` is shown as `$0.003`, and
//! costs in events carry no float noise.

mod support;

use serde_json::{json, Value};
use support::reins::{calc_workspace, events, exec, home_for, Wire};
use support::{MockServer, Reply, Turn};

/// A home whose `mock` model has no prices.
fn unpriced_home(server: &MockServer) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("home");
    let config = format!(
        r#"model = "mock"
[providers.mock]
kind = "openai"
base_url = "{}"
api_key_env = ""
[models.mock]
provider = "mock"
name = "mock-model"
"#,
        server.openai_base()
    );
    std::fs::write(home.path().join("config.toml"), config).expect("config");
    home
}

fn of_type<'a>(evs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    evs.iter().filter(|e| e["type"] == kind).collect()
}

#[test]
fn an_unpriced_model_under_a_budget_is_one_warning() {
    let server = MockServer::start(vec![
        Reply::tool("list_dir", json!({})),
        Reply::tool("read_file", json!({"path": "calc.py"})),
        Reply::text("done"),
    ]);
    let home = unpriced_home(&server);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json", "--max-cost", "1"], "go");
    assert_eq!(out.status.code(), Some(0));
    let evs = events(&out.stdout);
    assert!(of_type(&evs, "error").is_empty(), "{evs:#?}");
    let warnings: Vec<_> = of_type(&evs, "warning")
        .into_iter()
        .filter(|w| {
            w["message"]
                .as_str()
                .unwrap_or("")
                .contains("no known prices")
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{evs:#?}");
    let text = warnings[0]["message"].as_str().unwrap_or("");
    assert!(text.contains("$1.00"), "{text}");
}

#[test]
fn a_small_budget_is_shown_with_its_own_digits() {
    // 1 USD per million input tokens: 2,000 tokens cost $0.002, and the next request would
    // cross $0.003.
    let server = MockServer::start(vec![
        Reply::Turn(Turn::tool("list_dir", json!({})).with_usage(2000, 0, 0)),
        Reply::text("never reached"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--max-cost", "0.003"], "go");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("$0.003"), "{err}");
    assert!(!err.contains("$0.00 ") && !err.contains("$0.00,"), "{err}");
}

#[test]
fn costs_in_events_are_rounded_to_a_millionth() {
    // $0.001 + $0.0011 is 0.0021000000000000003 in floating point.
    let server = MockServer::start(vec![
        Reply::Turn(Turn::tool("list_dir", json!({})).with_usage(1000, 0, 0)),
        Reply::Turn(Turn::text("done").with_usage(1100, 0, 0)),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "go");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let finished = stdout
        .lines()
        .find(|l| l.contains("\"session.finished\""))
        .expect("session.finished");
    assert!(finished.contains("\"cost_usd\":0.0021,"), "{finished}");
    assert!(!stdout.contains("00000000"), "{stdout}");
}
