//! Native structured output through the binary: `--output-schema` sends the schema the way each
//! wire documents it when the model has `structured_output`, not at all when it has not,
//! non-strict or cut down (and said so) when strict decoding cannot take it, and the validation
//! and corrections stay in force whatever was sent. The mock server refuses formats the real
//! APIs refuse (tests/support/mock_format.rs).

mod support;

use serde_json::{json, Value};
use std::path::Path;
use support::reins::{exec, home_for, set_model_options, tool_results, Wire};
use support::{MockServer, Reply};

/// Strict-compatible: closed, every property required, only keywords strict mode takes.
const STRICT_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["verdict", "count"],
  "properties": {"verdict": {"enum": ["ok", "broken"]}, "count": {"type": "integer"}},
  "additionalProperties": false
}"#;

/// Valid JSON Schema outside strict mode: `note` is optional and has a `maxLength`.
const LOOSE_SCHEMA: &str = r#"{
  "type": "object",
  "required": ["verdict"],
  "properties": {"verdict": {"enum": ["ok", "broken"]},
                 "note": {"type": "string", "maxLength": 200}},
  "additionalProperties": false
}"#;

/// Open objects: Claude's structured outputs cannot take it at all.
const OPEN_SCHEMA: &str = r#"{
  "type": "object",
  "required": ["verdict"],
  "properties": {"verdict": {"enum": ["ok", "broken"]}}
}"#;

const WIRES: [Wire; 3] = [Wire::Responses, Wire::OpenAi, Wire::Anthropic];

/// A home for `server` whose model has native structured output when `native`.
fn home(server: &MockServer, wire: Wire, native: bool) -> tempfile::TempDir {
    let home = home_for(server, wire);
    if native {
        set_model_options(home.path(), "structured_output = true");
    }
    home
}

fn write_schema(dir: &Path, text: &str) -> String {
    let path = dir.join("verdict.json");
    std::fs::write(&path, text).expect("write the schema");
    path.display().to_string()
}

fn schema_value(text: &str) -> Value {
    let mut v: Value = serde_json::from_str(text).expect("schema JSON");
    if let Some(o) = v.as_object_mut() {
        o.remove("$schema");
    }
    v
}

/// The format a request carries, in its wire's place, or `None`.
fn carried(wire: Wire, body: &Value) -> Option<Value> {
    let at = match wire {
        Wire::Responses => "/text",
        Wire::OpenAi => "/response_format",
        Wire::Anthropic => "/output_config",
    };
    body.pointer(at).cloned()
}

/// What each API documents for a `json_schema` format named `verdict`.
fn documented(wire: Wire, schema: Value, strict: bool) -> Value {
    match wire {
        Wire::Responses => json!({"format": {"type": "json_schema", "name": "verdict",
                                             "schema": schema, "strict": strict}}),
        Wire::OpenAi => json!({"type": "json_schema",
                               "json_schema": {"name": "verdict", "schema": schema, "strict": strict}}),
        Wire::Anthropic => json!({"format": {"type": "json_schema", "schema": schema}}),
    }
}

fn run(
    wire: Wire,
    native: bool,
    schema: &str,
    script: Vec<Reply>,
) -> (std::process::Output, MockServer) {
    let server = MockServer::start(script);
    let home = home(&server, wire, native);
    let ws = tempfile::tempdir().expect("workspace");
    let schema = write_schema(home.path(), schema);
    let out = exec(home.path(), ws.path(), &["--output-schema", &schema], "ok?");
    (out, server)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

const ANSWER: &str = r#"{"verdict": "ok", "count": 3}"#;

#[test]
fn each_wire_carries_the_schema_as_its_api_documents_it() {
    for wire in WIRES {
        let (out, server) = run(wire, true, STRICT_SCHEMA, vec![Reply::text(ANSWER)]);
        assert_eq!(out.status.code(), Some(0), "{wire:?}: {}", stderr(&out));
        let reqs = server.requests();
        assert_eq!(reqs.len(), 1, "{wire:?}: {}", stderr(&out));
        let expected = documented(wire, schema_value(STRICT_SCHEMA), true);
        assert_eq!(carried(wire, &reqs[0].body), Some(expected), "{wire:?}");
        assert!(
            !stderr(&out).contains("warning"),
            "{wire:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn without_the_capability_no_format_is_sent_and_validation_still_corrects() {
    for wire in WIRES {
        let script = vec![Reply::text("It is ok."), Reply::text(ANSWER)];
        let (out, server) = run(wire, false, STRICT_SCHEMA, script);
        assert_eq!(out.status.code(), Some(0), "{wire:?}: {}", stderr(&out));
        let reqs = server.requests();
        assert_eq!(reqs.len(), 2, "{wire:?}");
        for r in &reqs {
            assert_eq!(carried(wire, &r.body), None, "{wire:?}");
            assert!(r.body.get("response_format").is_none(), "{wire:?}");
        }
        assert!(reqs[1].body.to_string().contains("not one JSON value"));
    }
}

#[test]
fn a_schema_outside_strict_mode_goes_non_strict_or_cut_down_and_the_trace_says_which() {
    let answer = r#"{"verdict": "ok"}"#;
    for wire in [Wire::Responses, Wire::OpenAi] {
        let (out, server) = run(wire, true, LOOSE_SCHEMA, vec![Reply::text(answer)]);
        assert_eq!(out.status.code(), Some(0), "{wire:?}: {}", stderr(&out));
        let reqs = server.requests();
        assert_eq!(reqs.len(), 1, "{wire:?}: {}", stderr(&out));
        let expected = documented(wire, schema_value(LOOSE_SCHEMA), false);
        assert_eq!(carried(wire, &reqs[0].body), Some(expected), "{wire:?}");
        let trace = stderr(&out);
        assert!(
            trace.contains("without strict mode") && trace.contains("`note`"),
            "{wire:?}: {trace}"
        );
    }
    // Claude: no non-strict mode; the constraint its decoder lacks is left out of the copy.
    let (out, server) = run(
        Wire::Anthropic,
        true,
        LOOSE_SCHEMA,
        vec![Reply::text(answer)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut cut = schema_value(LOOSE_SCHEMA);
    cut["properties"]["note"] = json!({"type": "string"});
    let reqs = server.requests();
    assert_eq!(
        carried(Wire::Anthropic, &reqs[0].body),
        Some(documented(Wire::Anthropic, cut, true))
    );
    assert!(
        stderr(&out).contains("without `maxLength`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_schema_claude_cannot_take_is_not_sent_and_the_trace_says_so() {
    let answer = r#"{"verdict": "ok"}"#;
    let (out, server) = run(
        Wire::Anthropic,
        true,
        OPEN_SCHEMA,
        vec![Reply::text(answer)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(carried(Wire::Anthropic, &server.requests()[0].body), None);
    let trace = stderr(&out);
    assert!(
        trace.contains("not sent as native structured output")
            && trace.contains("additionalProperties"),
        "{trace}"
    );
    // The same schema goes to OpenAI non-strict: the API takes any schema that way.
    let (out, server) = run(Wire::OpenAi, true, OPEN_SCHEMA, vec![Reply::text(answer)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let expected = documented(Wire::OpenAi, schema_value(OPEN_SCHEMA), false);
    assert_eq!(
        carried(Wire::OpenAi, &server.requests()[0].body),
        Some(expected)
    );
}

#[test]
fn an_invalid_answer_still_goes_back_with_its_errors() {
    for wire in WIRES {
        let script = vec![
            Reply::text(r#"{"verdict": "fine", "count": 3}"#),
            Reply::text(ANSWER),
        ];
        let (out, server) = run(wire, true, STRICT_SCHEMA, script);
        assert_eq!(out.status.code(), Some(0), "{wire:?}: {}", stderr(&out));
        let printed: Value = serde_json::from_slice(&out.stdout).expect("stdout is the answer");
        assert_eq!(printed, json!({"verdict": "ok", "count": 3}));
        let reqs = server.requests();
        assert_eq!(reqs.len(), 2, "{wire:?}");
        assert!(reqs[1].body.to_string().contains("at /verdict"), "{wire:?}");
        assert!(carried(wire, &reqs[1].body).is_some(), "{wire:?}");
    }
}

#[test]
fn tool_calls_go_on_under_the_format() {
    for wire in [Wire::OpenAi, Wire::Anthropic] {
        let server = MockServer::start(vec![
            Reply::tool("read_file", json!({"path": "notes.txt"})),
            Reply::text(ANSWER),
        ]);
        let home = home(&server, wire, true);
        let ws = tempfile::tempdir().expect("workspace");
        std::fs::write(ws.path().join("notes.txt"), "count: 3\n").expect("write");
        let schema = write_schema(home.path(), STRICT_SCHEMA);
        let out = exec(home.path(), ws.path(), &["--output-schema", &schema], "ok?");
        assert_eq!(out.status.code(), Some(0), "{wire:?}: {}", stderr(&out));
        let reqs = server.requests();
        assert_eq!(reqs.len(), 2, "{wire:?}");
        assert!(carried(wire, &reqs[0].body).is_some(), "{wire:?}");
        assert!(
            tool_results(&reqs[1].body)
                .iter()
                .any(|r| r.contains("count: 3")),
            "{wire:?}: the tool ran and its result went back"
        );
        assert!(carried(wire, &reqs[1].body).is_some(), "{wire:?}");
    }
}

#[test]
fn claude_gets_the_format_beside_its_adaptive_effort() {
    let server = MockServer::start(vec![Reply::text(ANSWER)]);
    let home = home(&server, Wire::Anthropic, true);
    set_model_options(home.path(), "thinking = \"adaptive\"");
    let ws = tempfile::tempdir().expect("workspace");
    let schema = write_schema(home.path(), STRICT_SCHEMA);
    let out = exec(
        home.path(),
        ws.path(),
        &["--output-schema", &schema, "--effort", "high"],
        "ok?",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let body = &server.requests()[0].body;
    assert_eq!(
        body["output_config"],
        json!({"effort": "high",
               "format": {"type": "json_schema", "schema": schema_value(STRICT_SCHEMA)}})
    );
    assert_eq!(body["thinking"]["type"], "adaptive");
}

#[test]
fn a_provider_that_refuses_the_format_is_asked_again_without_it() {
    let script = vec![
        Reply::status(
            400,
            r#"{"error": {"message": "Invalid schema for response_format 'verdict': 'enum' is not permitted.", "type": "invalid_request_error"}}"#,
        ),
        Reply::text(ANSWER),
    ];
    let (out, server) = run(Wire::OpenAi, true, STRICT_SCHEMA, script);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(carried(Wire::OpenAi, &reqs[0].body).is_some());
    assert_eq!(carried(Wire::OpenAi, &reqs[1].body), None);
    assert!(
        stderr(&out).contains("refused the output schema"),
        "{}",
        stderr(&out)
    );
}
