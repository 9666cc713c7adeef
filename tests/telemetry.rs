//! OpenTelemetry export end to end: `reins exec` against the mock model with `[telemetry]`
//! pointing at a local OTLP/HTTP receiver, which decodes what it was sent (protobuf over real
//! HTTP). The trace's shape, the metrics, what stays private by default and what the opt-in
//! adds; and a collector that is down or silent never fails or holds up the session.

mod support;

use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::trace::v1::Span;
use serde_json::json;
use std::time::{Duration, Instant};
use support::otlp::Receiver;
use support::reins::{events, home_for, reins, Wire};
use support::{MockServer, Reply, Turn};

const PROMPT: &str = "PROMPT-MARKER-5521: say hello with a shell command";
const OUTPUT: &str = "OUTPUT-MARKER-8830";
const REPLY: &str = "REPLY-MARKER-1187: done";

fn script() -> Vec<Reply> {
    vec![
        Reply::Turn(
            Turn::tool("shell", json!({"command": format!("echo {OUTPUT}")}))
                .with_usage(1200, 200, 30),
        ),
        Reply::Turn(Turn::text(REPLY).with_usage(1300, 1000, 12)),
    ]
}

/// The mock's home with `[telemetry]` appended.
fn home(server: &MockServer, telemetry: &str) -> tempfile::TempDir {
    let home = home_for(server, Wire::OpenAi);
    let path = home.path().join("config.toml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    config.push_str(&format!("\n[telemetry]\n{telemetry}\n"));
    std::fs::write(&path, config).unwrap();
    home
}

fn run(home: &std::path::Path) -> (std::process::Output, Duration) {
    let ws = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = reins(home)
        .args(["exec", "--json", "-C"])
        .arg(ws.path())
        .arg(PROMPT)
        .output()
        .unwrap();
    (out, started.elapsed())
}

fn attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn text<'a>(span: &'a Span, key: &str) -> &'a str {
    match attr(&span.attributes, key) {
        Some(AnyValue::StringValue(s)) => s,
        other => panic!("{}: {key} is {other:?}", span.name),
    }
}

fn int(span: &Span, key: &str) -> i64 {
    match attr(&span.attributes, key) {
        Some(AnyValue::IntValue(n)) => *n,
        other => panic!("{}: {key} is {other:?}", span.name),
    }
}

fn named<'a>(spans: &'a [Span], name: &str) -> Vec<&'a Span> {
    spans.iter().filter(|s| s.name == name).collect()
}

fn exported(receiver: &Receiver) -> Vec<u8> {
    receiver
        .received()
        .into_iter()
        .flat_map(|r| r.body)
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn a_session_is_one_trace_of_model_requests_and_tool_calls() {
    let receiver = Receiver::start();
    let server = MockServer::start(script());
    let home = home(&server, &format!("otlp_endpoint = \"{}\"", receiver.base));
    let (out, _) = run(home.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let session_id = events(&out.stdout)[0]["session_id"]
        .as_str()
        .unwrap()
        .to_string();

    let received = receiver.received();
    assert!(
        received
            .iter()
            .all(|r| r.content_type == "application/x-protobuf"),
        "{received:?}"
    );
    let spans = receiver.spans();
    let root = named(&spans, "invoke_agent reins");
    assert_eq!(root.len(), 1, "{spans:#?}");
    let root = root[0];
    assert!(root.parent_span_id.is_empty());
    assert_eq!(text(root, "gen_ai.conversation.id"), session_id);
    assert_eq!(text(root, "reins.session.status"), "done");
    assert_eq!(int(root, "reins.steps"), 2);
    assert_eq!(int(root, "gen_ai.usage.input_tokens"), 2500);
    assert!(
        matches!(attr(&root.attributes, "reins.cost_usd"), Some(AnyValue::DoubleValue(c)) if *c > 0.0)
    );
    // Everything else is a child of the session, in the same trace.
    assert_eq!(
        spans.len(),
        4,
        "{:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    for span in spans.iter().filter(|s| s.span_id != root.span_id) {
        assert_eq!(span.trace_id, root.trace_id, "{}", span.name);
        assert_eq!(span.parent_span_id, root.span_id, "{}", span.name);
        assert!(
            span.end_time_unix_nano >= span.start_time_unix_nano,
            "{}",
            span.name
        );
        assert!(
            span.start_time_unix_nano >= root.start_time_unix_nano,
            "{}",
            span.name
        );
        assert!(
            span.end_time_unix_nano <= root.end_time_unix_nano,
            "{}",
            span.name
        );
    }
    let mut chats = named(&spans, "chat mock");
    chats.sort_by_key(|s| int(s, "reins.step"));
    assert_eq!(chats.len(), 2);
    assert_eq!(text(chats[0], "reins.step.kind"), "plan");
    assert_eq!(text(chats[1], "reins.step.kind"), "act");
    assert!(text(chats[0], "reins.route.reason").starts_with("plan: "));
    assert_eq!(text(chats[0], "gen_ai.request.model"), "mock");
    assert_eq!(int(chats[0], "gen_ai.usage.input_tokens"), 1200);
    assert_eq!(int(chats[0], "gen_ai.usage.output_tokens"), 30);
    assert_eq!(int(chats[1], "reins.usage.cached_input_tokens"), 1000);
    // 1000 new input at $1/M, 200 cached at $0.5/M, 30 output at $2/M.
    match attr(&chats[0].attributes, "reins.cost_usd") {
        Some(AnyValue::DoubleValue(c)) => assert!((c - 0.00116).abs() < 1e-9, "{c}"),
        other => panic!("cost: {other:?}"),
    }
    let tool = named(&spans, "execute_tool shell");
    assert_eq!(tool.len(), 1);
    assert_eq!(text(tool[0], "gen_ai.tool.name"), "shell");
    assert_eq!(int(tool[0], "process.exit.code"), 0);
    assert_eq!(text(tool[0], "reins.tool.kind"), "execute");
    // The tool ran after the first answer and before the second request.
    assert!(tool[0].start_time_unix_nano >= chats[0].end_time_unix_nano);
    assert!(tool[0].end_time_unix_nano <= chats[1].start_time_unix_nano);

    let metrics = receiver.metrics();
    let tokens = metrics
        .iter()
        .find(|m| m.name == "reins.tokens")
        .expect("reins.tokens");
    let Some(Data::Sum(sum)) = &tokens.data else {
        panic!("reins.tokens is not a sum: {tokens:?}");
    };
    assert!(sum.is_monotonic);
    let of_type = |t: &str| -> i64 {
        sum.data_points
            .iter()
            .filter(|p| matches!(attr(&p.attributes, "gen_ai.token.type"), Some(AnyValue::StringValue(s)) if s == t))
            .map(|p| match p.value {
                Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsInt(n)) => n,
                _ => 0,
            })
            .sum()
    };
    assert_eq!(of_type("input"), 2500);
    assert_eq!(of_type("cached_input"), 1200);
    assert_eq!(of_type("output"), 42);
    let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
    for name in ["reins.cost", "reins.sessions", "reins.tool.calls"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }

    // Nothing that was said leaves the machine by default: not the prompt, not the command or
    // its output, not the model's reply.
    let bytes = exported(&receiver);
    for secret in ["PROMPT-MARKER", OUTPUT, "REPLY-MARKER"] {
        assert!(!contains(&bytes, secret), "{secret} was exported");
    }
}

#[test]
fn content_is_exported_only_when_the_user_opts_in() {
    let receiver = Receiver::start();
    let server = MockServer::start(script());
    let home = home(
        &server,
        &format!(
            "otlp_endpoint = \"{}/\"\ninclude_content = true",
            receiver.base
        ),
    );
    let (out, _) = run(home.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spans = receiver.spans();
    let root = &named(&spans, "invoke_agent reins")[0];
    let prompt = root
        .events
        .iter()
        .find(|e| e.name == "gen_ai.user.message")
        .expect("the prompt event");
    assert!(
        matches!(attr(&prompt.attributes, "gen_ai.input.text"), Some(AnyValue::StringValue(s)) if s.starts_with("PROMPT-MARKER-5521"))
    );
    let tool = &named(&spans, "execute_tool shell")[0];
    assert!(text(tool, "reins.content.arguments").contains(OUTPUT));
    assert!(text(tool, "reins.content.output").contains(OUTPUT));
    let replies: Vec<&str> = named(&spans, "chat mock")
        .iter()
        .filter_map(|s| match attr(&s.attributes, "gen_ai.output.text") {
            Some(AnyValue::StringValue(t)) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(replies, vec![REPLY]);
}

#[test]
fn a_dead_collector_costs_one_warning_and_not_the_session() {
    // A port that was bound and released: connections are refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let server = MockServer::start(script());
    let home = home(
        &server,
        &format!("otlp_endpoint = \"http://127.0.0.1:{port}\"\ntimeout_ms = 1000"),
    );
    let (out, took) = run(home.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evs = events(&out.stdout);
    assert_eq!(evs.last().unwrap()["status"], "done");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("telemetry: cannot export").count(),
        1,
        "{stderr}"
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_silent_collector_holds_the_exit_no_longer_than_the_timeout() {
    // Accepts connections (the kernel does) but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let server = MockServer::start(script());
    let home = home(
        &server,
        &format!("otlp_endpoint = \"http://{addr}\"\ntimeout_ms = 500"),
    );
    let (out, took) = run(home.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("telemetry: cannot export").count(),
        1,
        "{stderr}"
    );
    // Without telemetry the same session takes well under a second; the exit may wait for the
    // 500 ms export and the 1 s grace, not for the SDK's default 30 s.
    assert!(took < Duration::from_secs(10), "{took:?}");
    drop(silent);
}

fn ids(spans: &[Span]) -> std::collections::HashMap<Vec<u8>, &Span> {
    spans.iter().map(|s| (s.span_id.clone(), s)).collect()
}

fn token_points(receiver: &Receiver, kind: &str) -> Vec<(String, i64)> {
    receiver
        .metrics()
        .iter()
        .filter(|m| m.name == "reins.tokens")
        .flat_map(|m| match &m.data {
            Some(Data::Sum(sum)) => sum.data_points.clone(),
            _ => Vec::new(),
        })
        .filter(|p| matches!(attr(&p.attributes, "gen_ai.token.type"), Some(AnyValue::StringValue(s)) if s == kind))
        .map(|p| {
            let model = match attr(&p.attributes, "gen_ai.request.model") {
                Some(AnyValue::StringValue(s)) => s.clone(),
                other => panic!("model: {other:?}"),
            };
            let n = match p.value {
                Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsInt(n)) => n,
                other => panic!("value: {other:?}"),
            };
            (model, n)
        })
        .collect()
}

/// A session that delegates: the two subagents' sessions are in the parent's trace, each a
/// subtree under the `task` call's span (their requests and tool calls under their own root),
/// and their tokens reach the metrics under the model that spent them, counted once.
#[test]
fn subagents_are_traced_under_the_task_call_that_started_them() {
    let receiver = Receiver::start();
    let server = MockServer::start(vec![
        Reply::Turn(
            Turn::tool(
                "task",
                json!({"tasks": [
                    {"prompt": "CHILD-ONE: what is in a.txt?"},
                    {"prompt": "CHILD-TWO: say hi"},
                ]}),
            )
            .with_usage(1000, 0, 20),
        ),
        // Whichever child asks first reads a file, then answers; the other answers at once.
        Reply::Turn(Turn::tool("read_file", json!({"path": "a.txt"})).with_usage(500, 0, 10)),
        Reply::Turn(Turn::text("a child's answer").with_usage(400, 0, 5)),
        Reply::Turn(Turn::text("a child's answer").with_usage(400, 0, 5)),
        Reply::Turn(Turn::text("both answered").with_usage(1500, 0, 8)),
    ]);
    let home = home(&server, &format!("otlp_endpoint = \"{}\"", receiver.base));
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("a.txt"), "alpha\n").unwrap();
    let out = reins(home.path())
        .args(["exec", "--json", "-C"])
        .arg(ws.path())
        .arg("delegate")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.requests().len(), 5);

    let spans = receiver.spans();
    let by_id = ids(&spans);
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    let roots: Vec<&Span> = spans
        .iter()
        .filter(|s| s.parent_span_id.is_empty())
        .collect();
    assert_eq!(roots.len(), 1, "one trace, one root: {names:?}");
    let root = roots[0];
    assert_eq!(root.name, "invoke_agent reins");
    for span in &spans {
        assert_eq!(
            span.trace_id, root.trace_id,
            "{} is in another trace",
            span.name
        );
        assert!(
            span.parent_span_id.is_empty() || by_id.contains_key(&span.parent_span_id),
            "{}'s parent was not exported",
            span.name
        );
    }
    let task = named(&spans, "execute_tool task");
    assert_eq!(task.len(), 1, "{names:?}");
    let task = task[0];
    assert_eq!(task.parent_span_id, root.span_id);
    let children = named(&spans, "invoke_agent general");
    assert_eq!(children.len(), 2, "{names:?}");
    let mut child_sessions = Vec::new();
    for child in &children {
        assert_eq!(
            child.parent_span_id, task.span_id,
            "a child outside its task call"
        );
        assert_eq!(text(child, "reins.subagent"), "general");
        assert_eq!(text(child, "reins.session.status"), "done");
        assert!(child.start_time_unix_nano >= task.start_time_unix_nano);
        assert!(child.end_time_unix_nano <= task.end_time_unix_nano);
        child_sessions.push(text(child, "gen_ai.conversation.id").to_string());
    }
    assert_ne!(child_sessions[0], child_sessions[1]);
    let result = out_tool_result(&out.stdout, "task");
    for id in &child_sessions {
        assert!(result.contains(id.as_str()), "{id} not in {result}");
    }
    // Each request and tool call hangs from the session that made it.
    let under = |parent: &Span| -> Vec<&str> {
        let mut n: Vec<&str> = spans
            .iter()
            .filter(|s| s.parent_span_id == parent.span_id)
            .map(|s| s.name.as_str())
            .collect();
        n.sort();
        n
    };
    assert_eq!(
        under(root),
        ["chat mock", "chat mock", "execute_tool task"],
        "{names:?}"
    );
    let mut child_trees: Vec<Vec<&str>> = children.iter().map(|c| under(c)).collect();
    child_trees.sort();
    assert_eq!(
        child_trees,
        [
            vec!["chat mock"],
            vec!["chat mock", "chat mock", "execute_tool read_file"]
        ]
    );
    // What the children spent annotates the call that started them.
    assert_eq!(int(task, "reins.subagents.input_tokens"), 1300);
    assert_eq!(int(task, "reins.subagents.output_tokens"), 20);

    // Tokens by the model that spent them: the parent's and the children's, each once.
    let input = token_points(&receiver, "input");
    assert!(
        input.iter().all(|(model, _)| model == "mock"),
        "a roll-up was counted as a model: {input:?}"
    );
    assert_eq!(input.iter().map(|(_, n)| n).sum::<i64>(), 3800, "{input:?}");
    let output: i64 = token_points(&receiver, "output")
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(output, 48);
}

/// The output of the first `tool.result` of tool `name` in a `--json` stream.
fn out_tool_result(stdout: &[u8], name: &str) -> String {
    events(stdout)
        .into_iter()
        .find(|e| e["type"] == "tool.result" && e["name"] == name)
        .and_then(|e| e["output"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no {name} result"))
}

/// A `reins acp` process speaking JSON-RPC over its stdin and stdout, as an editor does.
struct Acp {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    lines: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
    next_id: u64,
}

impl Acp {
    fn start(home: &std::path::Path, cwd: &std::path::Path) -> Acp {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reins"))
            .arg("acp")
            .current_dir(cwd)
            .env("REINS_HOME", home)
            .env("MOCK_API_KEY", "sk-mock-secret-1234")
            .env("NO_PROXY", "*")
            .env_remove("OPENAI_API_KEY")
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
        Acp {
            child,
            stdin,
            lines,
            next_id: 0,
        }
    }

    /// Sends a request and returns its result, skipping the notifications before it.
    fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        use std::io::Write;
        self.next_id += 1;
        let id = self.next_id;
        let line = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        loop {
            let line = self.lines.next().expect("reins acp answers").unwrap();
            let msg: serde_json::Value = serde_json::from_str(&line).unwrap();
            if msg["id"] == id && msg.get("method").is_none() {
                assert!(msg.get("error").is_none(), "{method}: {msg}");
                return msg["result"].clone();
            }
        }
    }

    /// Closes stdin, as an editor that goes away does, and waits for the process to end.
    fn close(self) {
        let Acp {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        assert!(child.wait().unwrap().success());
    }
}

/// Two sessions served by one `reins acp` process, in two trusted workspaces whose
/// `[telemetry]` names two collectors: each collector gets its own session's trace, whole and
/// correctly parented, and nothing of the other's. One process-wide exporter sent both to the
/// endpoint of whichever session came first.
#[test]
fn two_sessions_in_one_process_export_two_traces_to_their_own_collectors() {
    let receivers = [Receiver::start(), Receiver::start()];
    let server = MockServer::start(vec![
        Reply::Turn(Turn::tool("read_file", json!({"path": "a.txt"})).with_usage(100, 0, 1)),
        Reply::Turn(Turn::text("first").with_usage(200, 0, 2)),
        Reply::Turn(Turn::tool("read_file", json!({"path": "a.txt"})).with_usage(300, 0, 3)),
        Reply::Turn(Turn::text("second").with_usage(400, 0, 4)),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let workspaces: Vec<tempfile::TempDir> = receivers
        .iter()
        .map(|r| {
            let ws = tempfile::tempdir().unwrap();
            std::fs::write(ws.path().join("a.txt"), "alpha\n").unwrap();
            std::fs::create_dir_all(ws.path().join(".reins")).unwrap();
            std::fs::write(
                ws.path().join(".reins/config.toml"),
                format!("[telemetry]\notlp_endpoint = \"{}\"\n", r.base),
            )
            .unwrap();
            let trust = reins(home.path())
                .args(["trust", "--yes", "-C"])
                .arg(ws.path())
                .output()
                .unwrap();
            assert_eq!(trust.status.code(), Some(0), "{trust:?}");
            ws
        })
        .collect();
    let mut acp = Acp::start(home.path(), workspaces[0].path());
    acp.call(
        "initialize",
        json!({"protocolVersion": 1, "clientCapabilities": {}}),
    );
    let mut sessions = Vec::new();
    for ws in &workspaces {
        let created = acp.call("session/new", json!({"cwd": ws.path(), "mcpServers": []}));
        sessions.push(created["sessionId"].as_str().unwrap().to_string());
    }
    for id in &sessions {
        let done = acp.call(
            "session/prompt",
            json!({"sessionId": id, "prompt": [{"type": "text", "text": "read a.txt"}]}),
        );
        assert_eq!(done["stopReason"], "end_turn", "{done}");
    }
    acp.close();

    let mut traces = Vec::new();
    for (receiver, (session, input)) in receivers.iter().zip(sessions.iter().zip([300, 700])) {
        let spans = receiver.spans();
        let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
        let root = named(&spans, "invoke_agent reins");
        assert_eq!(root.len(), 1, "{names:?}");
        let root = root[0];
        assert!(root.parent_span_id.is_empty());
        assert_eq!(text(root, "gen_ai.conversation.id"), session);
        assert_eq!(int(root, "gen_ai.usage.input_tokens"), input);
        let mut children: Vec<&str> = spans
            .iter()
            .filter(|s| s.span_id != root.span_id)
            .map(|s| {
                assert_eq!(s.trace_id, root.trace_id, "{}", s.name);
                assert_eq!(s.parent_span_id, root.span_id, "{}", s.name);
                s.name.as_str()
            })
            .collect();
        children.sort();
        assert_eq!(
            children,
            ["chat mock", "chat mock", "execute_tool read_file"]
        );
        let tokens: i64 = token_points(receiver, "input").iter().map(|(_, n)| n).sum();
        assert_eq!(
            tokens, input,
            "the other session's tokens were counted here"
        );
        traces.push(root.trace_id.clone());
    }
    assert_ne!(traces[0], traces[1]);
}
