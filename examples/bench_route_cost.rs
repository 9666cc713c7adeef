//! The router's cost against always using the strong model, on the same recorded session: a
//! 12-step fix with two failing test runs, replayed from the local mock server with realistic
//! token counts, priced at list prices (fast = gpt-4.1-mini, strong = claude-sonnet-4-5).
//!
//! Run: `cargo build --release && cargo run --release --example bench_route_cost`

#[path = "../tests/support/mock_server.rs"]
#[allow(dead_code)]
mod mock_server;

use mock_server::{MockServer, Reply, Turn};
use serde_json::{json, Value};
use std::time::Duration;

fn main() {
    let bin = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent()?.parent().map(|p| p.join("reins")))
        .expect("target dir");
    assert!(
        bin.exists(),
        "build the binary first: cargo build --release"
    );
    let routed = run(&bin, &["--route", "cheap-first"]);
    let strong = run(&bin, &["-m", "strong"]);
    let fast = run(&bin, &["-m", "fast"]);
    println!("same 12-step session (2 failing test runs), cost by policy:");
    for (name, v) in [
        ("always strong", &strong),
        ("router cheap-first", &routed),
        ("always fast", &fast),
    ] {
        let cost = v["cost_usd"].as_f64().unwrap_or(f64::NAN);
        let models: Vec<String> = v["models"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, t)| format!("{k}×{}", t["requests"]))
                    .collect()
            })
            .unwrap_or_default();
        println!("  {name:<20} ${cost:.4}   {}", models.join(", "));
    }
    let (r, s) = (
        routed["cost_usd"].as_f64().unwrap_or(0.0),
        strong["cost_usd"].as_f64().unwrap_or(1.0),
    );
    println!("  router saves {:.0}% against always-strong (pass rates need the eval suite: see examples/evals)", (1.0 - r / s) * 100.0);
}

fn script() -> Vec<Reply> {
    let usage = |input: u64| move |t: Turn| t.with_usage(input, input / 2, 300);
    let shell = |cmd: &str, input: u64| {
        Reply::Turn(usage(input)(Turn::tool("shell", json!({"command": cmd}))))
    };
    let tool =
        |name: &str, args: Value, input: u64| Reply::Turn(usage(input)(Turn::tool(name, args)));
    vec![
        tool("grep", json!({"pattern": "fn add"}), 4_000),
        tool("read_file", json!({"path": "a.txt"}), 6_000),
        shell("exit 1", 8_000),
        shell("exit 1 # after a first fix", 10_000),
        tool("read_file", json!({"path": "a.txt"}), 12_000),
        tool("read_file", json!({"path": "a.txt"}), 14_000),
        shell("true", 16_000),
        tool("list_dir", json!({}), 18_000),
        shell("true", 20_000),
        tool("glob", json!({"pattern": "*.txt"}), 22_000),
        shell("true # all green", 24_000),
        Reply::Turn(Turn::text("Fixed.").with_usage(26_000, 13_000, 200)),
    ]
}

fn run(bin: &std::path::Path, args: &[&str]) -> Value {
    let server = MockServer::start_with_gap(script(), Duration::ZERO);
    let home = tempfile::tempdir().expect("home");
    let ws = tempfile::tempdir().expect("ws");
    std::fs::write(ws.path().join("a.txt"), "hello\n").expect("file");
    let config = format!(
        r#"[providers.p]
kind = "openai"
base_url = "{}"
api_key_env = ""
[models.fast]
provider = "p"
name = "gpt-4.1-mini"
[models.strong]
provider = "p"
name = "claude-sonnet-4-5"
[routers.cheap-first]
default = "fast"
ladder = ["fast", "strong"]
escalate_after = 2
deescalate_after = 3
rules = [{{ step = "plan", model = "strong" }}]
"#,
        server.openai_base()
    );
    std::fs::write(home.path().join("config.toml"), config).expect("config");
    let out = std::process::Command::new(bin)
        .env("REINS_HOME", home.path())
        .env("NO_PROXY", "*")
        .args(["exec", "--json", "--sandbox", "full"])
        .args(args)
        .arg("-C")
        .arg(ws.path())
        .arg("fix it")
        .output()
        .expect("run reins");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .unwrap_or(Value::Null)
}
