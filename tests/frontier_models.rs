//! Reasoning models end to end through `reins exec --json` against the mock server, which speaks
//! the OpenAI Responses stream and Anthropic thinking as documented and refuses what the real
//! APIs refuse (a reasoning item replayed without its encrypted content, a thinking block dropped
//! or altered on a tool turn).

mod support;

use serde_json::{json, Value};
use support::reins::{assert_success, calc_workspace, events, exec};
use support::{MockServer, Reply, Turn};

/// A `$REINS_HOME` whose providers all point at `server`: `gpt` over the Responses API (a
/// reasoning model), `claude` over Anthropic Messages with budget thinking; `model` is the
/// default, `extra` is appended.
fn home(server: &MockServer, model: &str, extra: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("temp REINS_HOME");
    let config = format!(
        r#"model = "{model}"
[providers.oai]
kind = "openai-responses"
base_url = "{oai}"
api_key_env = "MOCK_API_KEY"

[providers.ant]
kind = "anthropic"
base_url = "{ant}"
api_key_env = "MOCK_API_KEY"

[models.gpt]
provider = "oai"
name = "gpt-mock"
context_window = 400000
reasoning = true
input_price = 1.0
cached_input_price = 0.1
output_price = 2.0

[models.claude]
provider = "ant"
name = "claude-mock"
context_window = 200000
max_output_tokens = 32000
thinking = "budget"
input_price = 1.0
cached_input_price = 0.5
cache_write_price = 1.25
output_price = 2.0

[retry]
base_delay_ms = 5
max_delay_ms = 50
{extra}"#,
        oai = server.openai_base(),
        ant = server.anthropic_base(),
    );
    std::fs::write(home.path().join("config.toml"), config).expect("write config");
    home
}

fn of_type<'a>(evs: &'a [Value], ty: &str) -> Vec<&'a Value> {
    evs.iter().filter(|e| e["type"] == ty).collect()
}

fn read_calc() -> Reply {
    Reply::Turn(
        Turn::tool("read_file", json!({"path": "calc.py"}))
            .with_reasoning("The tests fail; calc.py first.")
            .with_reasoning_tokens(5)
            .with_usage(1000, 400, 50),
    )
}

#[test]
fn responses_session_replays_encrypted_reasoning_and_prices_cached_tokens() {
    let server = MockServer::start(vec![
        read_calc(),
        Reply::Turn(Turn::text("add() subtracts.").with_reasoning("Found it.")),
    ]);
    let home = home(&server, "gpt", "");
    let ws = calc_workspace();
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "--effort", "high"],
        "why do tests fail?",
    );
    assert_success(&out);
    let evs = events(&out.stdout);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "the mock refused a request: {evs:?}");
    assert_eq!(server.remaining(), 0);

    let first = &reqs[0].body;
    assert!(reqs[0].path.ends_with("/v1/responses"), "{}", reqs[0].path);
    assert_eq!(first["store"], false);
    assert_eq!(first["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(
        first["reasoning"],
        json!({"effort": "high", "summary": "auto"})
    );
    assert!(first["instructions"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert_eq!(first["tools"][0]["type"], "function");
    assert!(first["tools"][0]["name"].is_string(), "tools are flat");
    let session_id = evs[0]["session_id"].as_str().unwrap();
    assert_eq!(first["prompt_cache_key"], session_id);
    assert_eq!(reqs[1].body["prompt_cache_key"], session_id);

    // The reasoning item comes back before the call it led to, with its encrypted content.
    let input = reqs[1].body["input"].as_array().unwrap();
    let kinds: Vec<&str> = input.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "message",
            "reasoning",
            "function_call",
            "function_call_output"
        ]
    );
    assert!(input[1]["encrypted_content"]
        .as_str()
        .is_some_and(|e| e.starts_with("gAAAA")));
    assert_eq!(input[2]["call_id"], input[3]["call_id"]);

    let reasoning = of_type(&evs, "reasoning");
    assert_eq!(reasoning[0]["text"], "The tests fail; calc.py first.");
    assert_eq!(reasoning[0]["model"], "gpt");
    let usage = of_type(&evs, "usage");
    assert_eq!(usage[0]["cached_input_tokens"], 400);
    assert_eq!(usage[0]["reasoning_tokens"], 5);
    // 600 fresh at 1.0, 400 cached at 0.1, 50 output at 2.0 per million.
    let cost = usage[0]["cost_usd"].as_f64().unwrap();
    assert!((cost - 0.00074).abs() < 1e-9, "{cost}");
    let fin = evs.last().unwrap();
    let sum: f64 = usage.iter().map(|u| u["cost_usd"].as_f64().unwrap()).sum();
    assert!((fin["cost_usd"].as_f64().unwrap() - sum).abs() < 1e-9);
}

#[test]
fn reasoning_without_encrypted_content_is_never_replayed() {
    // A model not marked as reasoning gets no `include`, so its reasoning item comes back without
    // encrypted content: sending it again would be refused, so reins keeps it out of the input.
    let server = MockServer::start(vec![read_calc(), Reply::text("done")]);
    let extra = "[models.plain]\nprovider = \"oai\"\nname = \"gpt-plain\"\n";
    let home = home(&server, "plain", extra);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "look");
    assert_success(&out);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].body.get("reasoning").is_none());
    assert!(reqs[0].body.get("include").is_none());
    let input = reqs[1].body["input"].as_array().unwrap();
    assert!(input.iter().all(|i| i["type"] != "reasoning"), "{input:?}");
}

#[test]
fn the_mock_refuses_a_reasoning_item_without_encrypted_content() {
    let server = MockServer::start(vec![Reply::text("never sent")]);
    let body = json!({"model": "m", "stream": true, "store": false, "input": [
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"type": "message", "role": "user", "content": "hi"},
    ]});
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, text) = runtime.block_on(async {
        let r = support::http_client()
            .post(format!("{}/responses", server.openai_base()))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    });
    assert_eq!(status, 400);
    assert!(text.contains("Items are not persisted"), "{text}");
    assert_eq!(server.remaining(), 1, "a refused request uses no reply");
}

#[test]
fn claude_thinking_goes_back_signed_and_unchanged_on_the_tool_turn() {
    let server = MockServer::start(vec![
        Reply::Turn(
            Turn::tool("read_file", json!({"path": "calc.py"}))
                .with_reasoning("Read calc.py before anything.")
                .with_redacted_thinking(),
        ),
        Reply::text("add() subtracts."),
    ]);
    let home = home(&server, "claude", "");
    let ws = calc_workspace();
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "--effort", "low"],
        "why?",
    );
    assert_success(&out);
    let evs = events(&out.stdout);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "the mock refused a request: {evs:?}");
    assert_eq!(
        reqs[0].body["thinking"],
        json!({"type": "enabled", "budget_tokens": 4000})
    );
    assert_eq!(
        reqs[0].header("anthropic-beta"),
        Some("interleaved-thinking-2025-05-14")
    );
    let assistant = &reqs[1].body["messages"][1];
    assert_eq!(assistant["role"], "assistant");
    let blocks: Vec<&str> = assistant["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(blocks, ["thinking", "redacted_thinking", "tool_use"]);
    assert_eq!(
        assistant["content"][0]["thinking"],
        "Read calc.py before anything."
    );
    assert_eq!(
        of_type(&evs, "reasoning")[0]["text"],
        "Read calc.py before anything."
    );
}

#[test]
fn the_mock_refuses_a_tool_turn_whose_thinking_was_dropped_or_altered() {
    let tool_turn = |content: Value| {
        json!({"model": "m", "max_tokens": 8000, "stream": true,
        "thinking": {"type": "enabled", "budget_tokens": 2000},
        "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": content},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok"}]},
        ]})
    };
    let tool_use = json!({"type": "tool_use", "id": "t", "name": "x", "input": {}});
    let sig = support::mock_server::thinking::signature_for("plan");
    let dropped = tool_turn(json!([tool_use]));
    let altered = tool_turn(json!([
        {"type": "thinking", "thinking": "plan!", "signature": sig}, tool_use
    ]));
    let intact = tool_turn(json!([
        {"type": "thinking", "thinking": "plan", "signature": sig}, tool_use
    ]));
    let server = MockServer::start(vec![Reply::text("ok")]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let post = |body: Value| {
        runtime.block_on(async {
            let r = support::http_client()
                .post(format!("{}/v1/messages", server.anthropic_base()))
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        })
    };
    let (status, text) = post(dropped);
    assert_eq!(status, 400);
    assert!(text.contains("must start with a thinking block"), "{text}");
    let (status, text) = post(altered);
    assert_eq!(status, 400);
    assert!(text.contains("Invalid `signature`"), "{text}");
    assert_eq!(post(intact).0, 200);
}

#[test]
fn switching_claude_to_gpt_and_back_keeps_each_providers_reasoning_to_itself() {
    // Step 1 plans on claude (thinking), 2 goes to gpt (reasoning), 3 back to claude, 4 to gpt.
    let router = r#"
[router]
default = "gpt"
rules = [{ step = "plan", model = "claude" }, { steps_above = 2, model = "gpt" }, { steps_above = 1, model = "claude" }]
"#;
    let server = MockServer::start(vec![
        Reply::Turn(Turn::tool("list_dir", json!({"path": "."})).with_reasoning("Claude plans.")),
        Reply::Turn(
            Turn::tool("read_file", json!({"path": "calc.py"})).with_reasoning("GPT reads."),
        ),
        Reply::Turn(
            Turn::tool("read_file", json!({"path": "test_calc.py"}))
                .with_reasoning("Claude again."),
        ),
        Reply::text("add() subtracts."),
    ]);
    let home = home(&server, "", router);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "why?");
    assert_success(&out);
    let evs = events(&out.stdout);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4, "the mock refused a request: {evs:?}");
    let paths: Vec<bool> = reqs.iter().map(|r| r.path.ends_with("/messages")).collect();
    assert_eq!(paths, [true, false, true, false]);

    // GPT never sees Claude's thinking.
    let gpt_input = reqs[1].body["input"].to_string();
    assert!(!gpt_input.contains("Claude plans") && !gpt_input.contains("signature"));
    // Claude, continuing GPT's tool turn, gets neither GPT's reasoning nor a thinking request
    // it could not satisfy (that turn has no thinking of its own).
    let claude = &reqs[2].body;
    assert!(claude.get("thinking").is_none(), "{claude}");
    let text = claude["messages"].to_string();
    assert!(!text.contains("GPT reads") && !text.contains("encrypted"));
    // GPT gets its own reasoning back, encrypted, before the call it made.
    let input = reqs[3].body["input"].as_array().unwrap();
    let reasoning: Vec<&Value> = input.iter().filter(|i| i["type"] == "reasoning").collect();
    assert_eq!(reasoning.len(), 1, "{input:?}");
    assert_eq!(reasoning[0]["summary"][0]["text"], "GPT reads.");
}

#[test]
fn usage_reported_at_the_end_by_a_proxy_is_counted_and_priced() {
    let server = MockServer::start(vec![Reply::ProxyTurn(
        Turn::text("hi")
            .with_usage(1000, 800, 50)
            .with_cache_write(100),
    )]);
    let home = home(&server, "claude", "");
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "hello");
    assert_success(&out);
    let evs = events(&out.stdout);
    let usage = of_type(&evs, "usage")[0];
    assert_eq!(usage["input_tokens"], 1000);
    assert_eq!(usage["cached_input_tokens"], 800);
    assert_eq!(usage["cache_write_tokens"], 100);
    // 100 fresh at 1.0, 800 read at 0.5, 100 written at 1.25, 50 out at 2.0 per million.
    let cost = usage["cost_usd"].as_f64().unwrap();
    assert!((cost - 0.000725).abs() < 1e-9, "{cost}");
}

#[test]
fn a_reply_without_usage_has_an_unknown_cost_not_zero() {
    for model in ["gpt", "claude"] {
        let server = MockServer::start(vec![Reply::Turn(Turn::text("hi").without_usage())]);
        let home = home(&server, model, "");
        let ws = calc_workspace();
        let out = exec(home.path(), ws.path(), &["--json"], "hello");
        assert_success(&out);
        let evs = events(&out.stdout);
        let usage = of_type(&evs, "usage")[0];
        assert!(usage["cost_usd"].is_null(), "{model}: {usage}");
        assert!(evs.last().unwrap()["cost_usd"].is_null(), "{model}");
    }
}

#[test]
fn a_streaming_request_answered_with_json_is_read_whole() {
    for (model, extra) in [
        ("gpt", ""),
        ("claude", ""),
        (
            "chat",
            "[providers.cc]\nkind = \"openai\"\nbase_url = \"BASE\"\napi_key_env = \"MOCK_API_KEY\"\n[models.chat]\nprovider = \"cc\"\nname = \"chat-mock\"\n",
        ),
    ] {
        let server = MockServer::start(vec![
            Reply::JsonTurn(Turn::tool("read_file", json!({"path": "calc.py"}))),
            Reply::JsonTurn(Turn::text("add() subtracts.")),
        ]);
        let extra = extra.replace("BASE", &server.openai_base());
        let home = home(&server, model, &extra);
        let ws = calc_workspace();
        let out = exec(home.path(), ws.path(), &["--json"], "why?");
        assert_success(&out);
        let evs = events(&out.stdout);
        let results = of_type(&evs, "tool.result");
        assert_eq!(results.len(), 1, "{model}: {evs:?}");
        assert!(results[0]["output"].as_str().unwrap().contains("def add"));
        let messages = of_type(&evs, "message");
        assert_eq!(messages.last().unwrap()["text"], "add() subtracts.", "{model}");
    }
}

#[test]
fn a_rate_limited_request_says_when_the_next_try_happens() {
    let server = MockServer::start(vec![Reply::rate_limited("1"), Reply::text("hi")]);
    let home = home(&server, "gpt", "");
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "hello");
    assert_success(&out);
    let evs = events(&out.stdout);
    let retry = of_type(&evs, "error")[0];
    assert_eq!(retry["retrying"], true);
    let message = retry["message"].as_str().unwrap();
    assert!(message.contains("HTTP 429"), "{message}");
    assert!(
        message.contains("next try in 1.0 s (try 2 of 4)"),
        "{message}"
    );
}

/// `reins models` lists the configured models (the built-in catalog too) with window, output
/// limit, the four prices, capabilities and the key each needs, saying which keys are missing.
#[test]
fn models_lists_limits_prices_capabilities_and_missing_keys() {
    let server = MockServer::start(vec![]);
    let extra = r#"
[providers.other]
kind = "openai"
base_url = "http://127.0.0.1:9/v1"
api_key_env = "OTHER_UNSET_KEY"

[models.local]
provider = "other"
name = "local-coder"
tools = false
"#;
    let home = home(&server, "claude", extra);
    let out = support::reins::reins(home.path())
        .arg("models")
        .output()
        .unwrap();
    assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let row = |name: &str| -> String {
        text.lines()
            .find(|l| l.split_whitespace().any(|w| w == name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{text}"))
            .to_string()
    };
    let header = text.lines().next().unwrap();
    for col in [
        "MODEL",
        "CONTEXT",
        "OUTPUT",
        "INPUT",
        "CACHED",
        "CACHE-WRITE",
        "CAPABILITIES",
        "KEY",
    ] {
        assert!(header.contains(col), "{header}");
    }
    let claude = row("claude");
    assert!(claude.starts_with('*'), "the default is marked: {claude}");
    for cell in [
        "ant/claude-mock",
        "200K",
        "32K",
        "$1",
        "$0.5",
        "$1.25",
        "$2",
        "tools,thinking",
        "MOCK_API_KEY set",
    ] {
        assert!(claude.contains(cell), "{cell} in {claude}");
    }
    assert!(row("gpt").contains("tools,reasoning"), "{text}");
    let local = row("local");
    assert!(local.contains("OTHER_UNSET_KEY missing"), "{local}");
    assert!(local.contains(" - "), "no prices, no window: {local}");
    assert!(!local.contains("tools"), "{local}");
    // The built-in catalog, priced, with its key missing in this clean environment.
    let opus = row("claude-opus-5-5");
    assert!(opus.contains("1M") && opus.contains("128K"), "{opus}");
    assert!(
        opus.contains("$4") && opus.contains("$0.2") && opus.contains("$5") && opus.contains("$20"),
        "{opus}"
    );
    assert!(opus.contains("tools,vision,thinking"), "{opus}");
    assert!(opus.contains("ANTHROPIC_API_KEY missing"), "{opus}");
    assert!(
        text.contains("missing keys: ANTHROPIC_API_KEY, OPENAI_API_KEY, OTHER_UNSET_KEY"),
        "{text}"
    );

    let out = support::reins::reins(home.path())
        .args(["models", "--json"])
        .output()
        .unwrap();
    assert_success(&out);
    let list = events(&out.stdout);
    let gpt = list.iter().find(|m| m["model"] == "gpt").unwrap();
    assert_eq!(gpt["api"], "responses");
    assert_eq!(gpt["context_window"], 400000);
    assert_eq!(gpt["prices"]["cached_input"], 0.1);
    assert_eq!(gpt["capabilities"], json!(["tools", "reasoning"]));
    assert_eq!(gpt["key_missing"], false);
    let local = list.iter().find(|m| m["model"] == "local").unwrap();
    assert_eq!(local["prices"], Value::Null);
    assert_eq!(local["api_key_env"], "OTHER_UNSET_KEY");
    assert_eq!(local["key_missing"], true);
}

fn home_of(server: &MockServer, model: &str) -> tempfile::TempDir {
    home(server, model, "")
}

/// The error event that ended a run.
fn final_error(out: &std::process::Output) -> String {
    let evs = events(&out.stdout);
    let errs = of_type(&evs, "error");
    let last = errs
        .iter()
        .rev()
        .find(|e| e["retrying"] == false)
        .unwrap_or_else(|| panic!("no final error: {evs:?}"));
    last["message"].as_str().unwrap_or_default().to_string()
}

/// A model id the provider does not know, answered as OpenAI's Responses API and Anthropic's
/// Messages API answer it: the error lists the configured models to pick from.
#[test]
fn an_unknown_model_id_lists_the_configured_models() {
    let openai = r#"{"error":{"message":"The requested model 'gpt-mock' does not exist.","type":"invalid_request_error","param":"model","code":"model_not_found"}}"#;
    let anthropic = r#"{"type":"error","error":{"type":"not_found_error","message":"model: claude-mock"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#;
    for (model, code, body) in [("gpt", 400, openai), ("claude", 404, anthropic)] {
        let server = MockServer::start(vec![Reply::status(code, body)]);
        let home = home(&server, model, "");
        let ws = calc_workspace();
        let out = exec(home.path(), ws.path(), &["--json"], "hi");
        assert_eq!(out.status.code(), Some(1), "{model}");
        let msg = final_error(&out);
        assert!(msg.contains("is not a model"), "{model}: {msg}");
        assert!(
            msg.contains("Configured models: ") && msg.contains("claude, ") && msg.contains("gpt"),
            "{model}: {msg}"
        );
        assert!(msg.contains("reins models"), "{model}: {msg}");
        assert_eq!(server.requests().len(), 1, "not retried: {model}");
    }
}

/// A request rejected as too large (Anthropic's 413 `request_too_large`, OpenAI's
/// `context_length_exceeded` after compaction could not help) names its largest part: here the
/// result of the read_file call that pulled a 200 KB file in.
#[test]
fn a_request_rejected_as_too_large_names_its_largest_part() {
    let too_large = r#"{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}"#;
    let server = MockServer::start(vec![
        Reply::Turn(Turn::tool("read_file", json!({"path": "big.txt"}))),
        Reply::status(413, too_large),
    ]);
    let home = home(&server, "claude", "");
    let ws = calc_workspace();
    let line = "x".repeat(99);
    std::fs::write(ws.path().join("big.txt"), format!("{line}\n").repeat(2000)).unwrap();
    let out = exec(home.path(), ws.path(), &["--json"], "read big.txt");
    assert_eq!(out.status.code(), Some(1));
    let msg = final_error(&out);
    assert!(msg.contains("413"), "{msg}");
    assert!(
        msg.contains("the largest part is the result of `read_file`"),
        "{msg}"
    );
    assert!(
        msg.contains("the system prompt") && msg.contains("the tool schemas"),
        "the other parts are sized too: {msg}"
    );

    // The system prompt as the culprit: a large AGENTS.md, context_length_exceeded twice (the
    // compaction between them has nothing to shrink).
    let overflow = r#"{"error":{"message":"Your input exceeds the context window of this model. Please adjust your input and try again.","type":"invalid_request_error","param":"input","code":"context_length_exceeded"}}"#;
    let server = MockServer::start(vec![
        Reply::status(400, overflow),
        Reply::status(400, overflow),
    ]);
    let gpt_home = home_of(&server, "gpt");
    let ws = calc_workspace();
    std::fs::write(
        ws.path().join("AGENTS.md"),
        "Always be careful.\n".repeat(20_000),
    )
    .unwrap();
    let out = exec(gpt_home.path(), ws.path(), &["--json"], "hi");
    let msg = final_error(&out);
    assert!(
        msg.contains("the largest part is the system prompt"),
        "{msg}"
    );
}
