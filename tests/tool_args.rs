//! Tool arguments as the model meets them, through the real binary and the mock model: the
//! schemas in the request are derived, closed and portable for every tool, and a call with a
//! misspelled or out-of-range argument comes back as an error that names it, without running.

mod support;

use serde_json::{json, Value};
use support::reins::{assert_success, calc_workspace, events, exec, home_for, tool_results, Wire};
use support::{MockServer, Reply, ToolCall, Turn};

/// The keywords a tool schema may use: what OpenAI (Chat Completions and Responses, non-strict)
/// and Anthropic both accept in a tool's parameters. `$schema`, `$ref`, `title`, `format`,
/// `anyOf` and type lists are what schemars emits by default and what some providers reject.
const PORTABLE: &[&str] = &[
    "type",
    "properties",
    "required",
    "description",
    "enum",
    "minimum",
    "maximum",
    "additionalProperties",
    "default",
    "items",
    "maxItems",
];

/// `(name, parameters)` of every tool the first request offers, in either wire format.
fn offered(server: &MockServer, wire: Wire) -> Vec<(String, Value)> {
    let body = &server.requests()[0].body;
    body["tools"]
        .as_array()
        .expect("the request lists tools")
        .iter()
        .map(|t| match wire {
            Wire::OpenAi => (
                t["function"]["name"].as_str().unwrap().to_string(),
                t["function"]["parameters"].clone(),
            ),
            Wire::Anthropic => (
                t["name"].as_str().unwrap().to_string(),
                t["input_schema"].clone(),
            ),
            Wire::Responses => {
                // Optional arguments are not `required`: strict mode would refuse the schema.
                assert_eq!(t["strict"], false, "{t}");
                (
                    t["name"].as_str().unwrap().to_string(),
                    t["parameters"].clone(),
                )
            }
        })
        .collect()
}

fn assert_portable(tool: &str, at: &str, schema: &Value) {
    let map = schema
        .as_object()
        .unwrap_or_else(|| panic!("{tool}{at}: not an object: {schema}"));
    for key in map.keys() {
        assert!(
            PORTABLE.contains(&key.as_str()),
            "{tool}{at}: keyword `{key}` in {schema}"
        );
    }
    if let Some(t) = map.get("type") {
        assert!(t.is_string(), "{tool}{at}: type list {t}");
    }
    if map.get("type").is_some_and(|t| t == "object") {
        assert_eq!(
            map.get("additionalProperties"),
            Some(&Value::Bool(false)),
            "{tool}{at} accepts unknown fields: {schema}"
        );
    }
    for (name, sub) in map
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        assert_portable(tool, &format!("{at}.{name}"), sub);
        assert!(
            sub.get("type").is_some(),
            "{tool}{at}.{name} has no type: {sub}"
        );
    }
    if let Some(items) = map.get("items") {
        assert_portable(tool, &format!("{at}[]"), items);
    }
}

fn schemas_for(wire: Wire) -> Vec<(String, Value)> {
    let server = MockServer::start(vec![Reply::text("hi")]);
    let home = home_for(&server, wire);
    let ws = calc_workspace();
    // A user skill adds `skill` and `--check` adds `run_checks`, so they are checked too.
    let skill = home.path().join("skills/notes");
    std::fs::create_dir_all(&skill).unwrap();
    std::fs::write(
        skill.join("SKILL.md"),
        "---\nname: notes\ndescription: Take notes\n---\nWrite them down.\n",
    )
    .unwrap();
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "--check", "true"],
        "hello",
    );
    assert_success(&out);
    offered(&server, wire)
}

#[test]
fn every_tool_schema_in_the_request_is_closed_and_portable() {
    for wire in [Wire::OpenAi, Wire::Responses, Wire::Anthropic] {
        let tools = schemas_for(wire);
        assert!(tools.len() >= 12, "{tools:?}");
        for extra in ["run_checks", "skill", "update_plan"] {
            assert!(tools.iter().any(|(n, _)| n == extra), "{extra}: {tools:?}");
        }
        for (name, schema) in &tools {
            assert_eq!(schema["type"], "object", "{name}: {schema}");
            assert!(schema["properties"].is_object(), "{name}: {schema}");
            assert_eq!(
                schema["additionalProperties"], false,
                "{name} accepts unknown arguments: {schema}"
            );
            for req in schema["required"].as_array().into_iter().flatten() {
                let req = req.as_str().unwrap();
                assert!(
                    schema["properties"].get(req).is_some(),
                    "{name}: required `{req}` is not a property"
                );
            }
            assert_portable(name, "", schema);
        }
    }
}

#[test]
fn the_schemas_state_the_bounds_on_timeouts_context_and_counts() {
    let tools = schemas_for(Wire::OpenAi);
    let prop = |tool: &str, arg: &str| -> Value {
        let (_, schema) = tools
            .iter()
            .find(|(n, _)| n == tool)
            .unwrap_or_else(|| panic!("no tool {tool}"));
        schema["properties"][arg].clone()
    };
    let bounds = |tool: &str, arg: &str| {
        let p = prop(tool, arg);
        assert_eq!(p["type"], "integer", "{tool}.{arg}: {p}");
        (p["minimum"].as_u64(), p["maximum"].as_u64())
    };
    assert_eq!(bounds("shell", "timeout_ms"), (Some(100), Some(600_000)));
    assert_eq!(bounds("grep", "context"), (Some(0), Some(20)));
    assert_eq!(bounds("grep", "max_results"), (Some(1), Some(100_000)));
    assert_eq!(bounds("read_file", "offset"), (Some(1), None));
    assert_eq!(bounds("read_file", "limit"), (Some(1), Some(10_000)));
    assert_eq!(bounds("list_dir", "depth"), (Some(1), Some(20)));
    assert_eq!(
        prop("remember", "scope")["enum"],
        json!(["project", "user"])
    );
    assert_eq!(prop("skill", "name")["enum"], json!(["notes"]));
    assert_eq!(prop("update_plan", "plan")["maxItems"], 50);
    assert_eq!(
        prop("update_plan", "plan")["items"]["properties"]["status"]["enum"],
        json!(["pending", "in_progress", "done"])
    );
    // Field docs reach the model as short descriptions.
    assert!(prop("read_file", "offset")["description"]
        .as_str()
        .is_some_and(|d| d.contains("1-based")));
}

#[test]
fn a_misspelled_or_out_of_range_argument_is_an_error_naming_it_and_nothing_runs() {
    let server = MockServer::start(vec![
        Reply::Turn(Turn::calls(vec![
            ToolCall::new("grep", json!({"pattern": "def", "max_result": 5})),
            ToolCall::new(
                "shell",
                json!({"command": "touch ran-long", "timeout_ms": 3_600_000}),
            ),
            ToolCall::new(
                "shell",
                json!({"command": "touch ran-typo", "workdri": "."}),
            ),
            ToolCall::new("read_file", json!({"path": "calc.py", "limit": "5"})),
            ToolCall::new(
                "update_plan",
                json!({"plan": [{"step": "look", "stauts": "pending"}]}),
            ),
        ])),
        Reply::tool("grep", json!({"pattern": "def", "max_results": 1})),
        Reply::text("done"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "look");
    assert_success(&out);
    let results = tool_results(&server.requests()[1].body);
    assert_eq!(results.len(), 5, "{results:?}");
    assert!(
        results[0].contains("`grep` has no argument `max_result` (did you mean `max_results`?)")
            && results[0]
                .contains("`pattern`, `path`, `glob`, `ignore_case`, `context`, `max_results`"),
        "{}",
        results[0]
    );
    assert!(
        results[1].contains(
            "argument `timeout_ms` of `shell` must be between 100 and 600000, got 3600000"
        ),
        "{}",
        results[1]
    );
    assert!(
        results[2].contains("`shell` has no argument `workdri` (did you mean `workdir`?)"),
        "{}",
        results[2]
    );
    assert!(
        results[3].contains("argument `limit` of `read_file` must be an integer, got \"5\""),
        "{}",
        results[3]
    );
    assert!(
        results[4].contains("unknown field `stauts`, expected `step` or `status`"),
        "{}",
        results[4]
    );
    // Refused calls run nothing.
    assert!(!ws.path().join("ran-long").exists());
    assert!(!ws.path().join("ran-typo").exists());
    // The model acts on the message: the corrected call goes through.
    let fixed = tool_results(&server.requests()[2].body);
    assert!(
        fixed.last().is_some_and(|r| r.contains("calc.py:")),
        "{fixed:?}"
    );
    // The refusals are failed tool results in the event stream too.
    let evs = events(&out.stdout);
    let failed = evs
        .iter()
        .filter(|e| e["type"] == "tool.result" && e["ok"] == false)
        .count();
    assert_eq!(failed, 5, "{evs:?}");
    assert!(!evs.iter().any(|e| e["type"] == "plan"), "{evs:?}");
}
