//! Running the real `reins` binary against the mock server: a private `$REINS_HOME` whose config
//! points a model at the server, a scratch workspace, and the JSON events it prints.

use super::MockServer;
use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

/// Which wire format the configured model speaks.
#[derive(Debug, Clone, Copy)]
pub enum Wire {
    OpenAi,
    /// OpenAI's Responses API (`kind = "openai-responses"`).
    Responses,
    Anthropic,
}

/// A `$REINS_HOME` with `model = "mock"` served by `server`, retries fast.
pub fn home_for(server: &MockServer, wire: Wire) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("temp REINS_HOME");
    let (kind, base) = match wire {
        Wire::OpenAi => ("openai", server.openai_base()),
        Wire::Responses => ("openai-responses", server.openai_base()),
        Wire::Anthropic => ("anthropic", server.anthropic_base()),
    };
    let config = format!(
        r#"model = "mock"
[providers.mock]
kind = "{kind}"
base_url = "{base}"
api_key_env = "MOCK_API_KEY"

[models.mock]
provider = "mock"
name = "mock-model"
context_window = 100000
input_price = 1.0
cached_input_price = 0.5
output_price = 2.0

[retry]
base_delay_ms = 5
max_delay_ms = 50
"#
    );
    std::fs::write(home.path().join("config.toml"), config).expect("write config");
    home
}

/// Adds `lines` (TOML keys) to the `[models.mock]` table of a home made by [`home_for`].
pub fn set_model_options(home: &Path, lines: &str) {
    let path = home.join("config.toml");
    let config = std::fs::read_to_string(&path).expect("read config");
    let config = config.replacen("[models.mock]\n", &format!("[models.mock]\n{lines}\n"), 1);
    std::fs::write(path, config).expect("write config");
}

/// The binary with a clean environment: no real keys, the given home, a fake key for the mock.
pub fn reins(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("reins").expect("reins binary");
    for var in [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("REINS_HOME", home)
        .env("MOCK_API_KEY", "sk-mock-secret-1234")
        .env("NO_PROXY", "*");
    cmd
}

/// A fresh copy of `examples/calc` (a project with a failing test).
pub fn calc_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp workspace");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/calc");
    for name in ["calc.py", "test_calc.py"] {
        std::fs::copy(src.join(name), dir.path().join(name)).expect("copy example");
    }
    dir
}

/// Parses JSON Lines output.
pub fn events(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The `type` of each event, in order.
pub fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// Asserts that every Anthropic `tool_use` block is answered, in order, by a `tool_result` in the
/// next message: the pairing the Messages API requires.
pub fn assert_anthropic_pairing(messages: &[Value]) {
    let blocks = |m: &Value, kind: &str| -> Vec<Value> {
        m["content"]
            .as_array()
            .map(|c| c.iter().filter(|b| b["type"] == kind).cloned().collect())
            .unwrap_or_default()
    };
    for pair in messages.windows(2) {
        let used = blocks(&pair[0], "tool_use");
        let answered = blocks(&pair[1], "tool_result");
        assert_eq!(used.len(), answered.len(), "{pair:?}");
        for (u, a) in used.iter().zip(&answered) {
            assert_eq!(u["id"], a["tool_use_id"]);
        }
    }
}

/// The tool results a request carries, in either wire format.
pub fn tool_results(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for m in body["messages"].as_array().into_iter().flatten() {
        if m["role"] == "tool" {
            out.push(m["content"].as_str().unwrap_or_default().to_string());
        }
        for block in m["content"].as_array().into_iter().flatten() {
            if block["type"] == "tool_result" {
                out.push(block["content"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    out
}

/// Runs `reins exec ARGS -C WS PROMPT` with the home's config.
pub fn exec(home: &Path, ws: &Path, args: &[&str], prompt: &str) -> std::process::Output {
    reins(home)
        .arg("exec")
        .args(args)
        .arg("-C")
        .arg(ws)
        .arg(prompt)
        .output()
        .expect("run reins exec")
}

/// Asserts exit 0, showing stderr otherwise.
pub fn assert_success(out: &std::process::Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts `reins exec --json -C WS PROMPT` in the background (stdout piped), for tests that
/// interrupt or kill it mid-session.
pub fn spawn_exec(home: &Path, ws: &Path, prompt: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_reins"))
        .env("REINS_HOME", home)
        .env("MOCK_API_KEY", "k")
        .env("NO_PROXY", "*")
        .args(["exec", "--json", "-C"])
        .arg(ws)
        .arg(prompt)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn reins")
}
