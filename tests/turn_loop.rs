//! The turn loop's hard cases, driven in process: the engine every front end drives runs a
//! session built by the front ends' own factory, the model is the mock server on 127.0.0.1, and
//! each test sends operations and reads the typed events back. Nothing waits on time: a test
//! waits for the event or the request it needs (with a generous limit that only fails a hung run).

mod support;

use reins::agent::{Event, Status};
use reins::engine::{
    self, ChannelApprover, EngineHandle, Op, Overrides, Resume, SharedApprover, UiMsg,
};
use reins::frontend::session_builder::Factory;
use reins::frontend::setup::{SandboxFlags, Workspace};
use reins::sandbox::approval::{Answer, Approval, Request};
use reins::types::ToolKind;
use serde_json::json;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{MockServer, Reply, ToolCall, Turn};
use tokio::sync::mpsc;

/// Only a hung run reaches it.
const WAIT: Duration = Duration::from_secs(30);

/// A session running in this process, and what it reports.
struct Harness {
    engine: EngineHandle,
    rx: mpsc::UnboundedReceiver<UiMsg>,
    home: tempfile::TempDir,
    ws: tempfile::TempDir,
}

/// How a turn ended and what it reported on the way.
struct Ended {
    status: Status,
    events: Vec<Event>,
}

impl Ended {
    fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Error { message, .. } => Some(message.clone()),
                _ => None,
            })
            .collect()
    }

    /// The output of every tool result, in order.
    fn results(&self) -> Vec<(bool, String)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::ToolResult { ok, output, .. } => Some((*ok, output.clone())),
                _ => None,
            })
            .collect()
    }
}

/// The mock model as the only model; `window` is its configured context window.
fn config(server: &MockServer, window: Option<u64>) -> String {
    let window = window.map_or(String::new(), |w| format!("context_window = {w}\n"));
    format!(
        r#"model = "mock"
[providers.mock]
kind = "openai"
base_url = "{}"
api_key_env = ""

[models.mock]
provider = "mock"
name = "mock-model"
{window}input_price = 1.0
output_price = 2.0

[retry]
base_delay_ms = 5
max_delay_ms = 50
"#,
        server.openai_base()
    )
}

/// The requests go to 127.0.0.1 directly; a proxy in the environment would capture them, and the
/// process's environment cannot be changed safely while other tests run.
fn no_proxy() {
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        assert!(
            std::env::var_os(var).is_none(),
            "{var} is set: these in-process tests talk to 127.0.0.1 and cannot run behind a proxy; unset it"
        );
    }
}

impl Harness {
    fn start(config_text: &str, max_steps: Option<u32>) -> Harness {
        Harness::start_in(tempfile::tempdir().expect("home"), config_text, max_steps)
    }

    /// As [`Harness::start`], with `home` prepared by the test (agent definitions, say).
    fn start_in(home: tempfile::TempDir, config_text: &str, max_steps: Option<u32>) -> Harness {
        no_proxy();
        let ws = tempfile::tempdir().expect("workspace");
        std::fs::write(home.path().join("config.toml"), config_text).expect("config");
        let root = ws.path().canonicalize().expect("workspace path");
        let loaded = reins::config::load(&reins::config::LoadOptions {
            reins_home: Some(home.path().to_path_buf()),
            workspace: Some(root.clone()),
            overrides: Vec::new(),
            workspace_trusted: false,
        })
        .expect("the config loads");
        let workspace = Workspace {
            root,
            home: Some(home.path().to_path_buf()),
            loaded,
            trusted: false,
            effort: None,
        };
        let flags = SandboxFlags {
            mode: None,
            network: false,
        };
        let (canceller, cancel) = reins::cancel::pair();
        let (tx, rx) = mpsc::unbounded_channel();
        let mcp = reins::frontend::mcp::start(&workspace, flags).expect("no MCP servers to start");
        let approver = ChannelApprover::new(tx.clone(), cancel.clone());
        let factory = Factory {
            ws: workspace,
            model: None,
            route: None,
            max_cost: None,
            max_steps,
            sandbox: flags,
            default_approval: Approval::OnRequest,
            approver: SharedApprover(Arc::new(approver)),
            cancel,
            mcp,
            first_only: Mutex::new(Vec::new()),
            files: None,
            telemetry: Default::default(),
        };
        let built = factory
            .build_session(Resume::New, Overrides::default())
            .unwrap_or_else(|e| panic!("the session builds: {}", e.message));
        let engine = engine::spawn(built, Box::new(factory), canceller, tx);
        Harness {
            engine,
            rx,
            home,
            ws,
        }
    }

    fn with(server: &MockServer) -> Harness {
        Harness::start(&config(server, Some(100_000)), None)
    }

    async fn next(&mut self) -> UiMsg {
        tokio::time::timeout(WAIT, self.rx.recv())
            .await
            .expect("the engine answers in time")
            .expect("the engine is running")
    }

    /// Sends `prompt` and reads until its turn ends; approvals are answered by `answer`.
    async fn turn(&mut self, prompt: &str, answer: impl FnMut(&Request) -> Answer) -> Ended {
        self.engine.send(Op::Prompt(prompt.into()));
        self.until_done(answer).await
    }

    async fn until_done(&mut self, mut answer: impl FnMut(&Request) -> Answer) -> Ended {
        let mut events = Vec::new();
        loop {
            match self.next().await {
                UiMsg::Event(e) => events.push(e),
                UiMsg::Approval { request, reply } => {
                    let _ = reply.send(answer(&request));
                }
                UiMsg::TurnDone { status, .. } => return Ended { status, events },
                UiMsg::Closed => panic!("the session closed during the turn: {events:?}"),
                _ => {}
            }
        }
    }

    /// Reads until an event `wanted` accepts; what came before is returned with it.
    async fn until_event(&mut self, wanted: impl Fn(&Event) -> bool) -> Vec<Event> {
        let mut seen = Vec::new();
        loop {
            match self.next().await {
                UiMsg::Event(e) => {
                    let done = wanted(&e);
                    seen.push(e);
                    if done {
                        return seen;
                    }
                }
                UiMsg::TurnDone { status, .. } => {
                    panic!("the turn ended ({status:?}) before the event came: {seen:?}")
                }
                _ => {}
            }
        }
    }

    fn transcript(&self) -> String {
        let dir = self.home.path().join("sessions");
        std::fs::read_dir(&dir)
            .expect("sessions")
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
            .map(|e| std::fs::read_to_string(e.path()).expect("transcript"))
            .collect()
    }
}

fn never(request: &Request) -> Answer {
    panic!("nothing should ask, but {} did", request.tool)
}

/// The text of the tool results the model was sent in request `n`.
fn sent_results(server: &MockServer, n: usize) -> String {
    let requests = server.wait_for_requests(n + 1, WAIT);
    let messages = requests[n].body["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    messages
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupt_while_the_answer_streams_ends_the_turn_interrupted() {
    let server = MockServer::start(vec![
        Reply::Stall(Turn::text("the first words of an answer that never ends")),
        Reply::text("a fresh answer"),
    ]);
    let mut h = Harness::with(&server);
    h.engine.send(Op::Prompt("explain".into()));
    h.until_event(|e| matches!(e, Event::TextDelta { text } if !text.is_empty()))
        .await;
    h.engine.interrupt();
    let ended = h.until_done(never).await;
    assert_eq!(ended.status, Status::Interrupted, "{:?}", ended.events);
    // The session goes on: the next turn is not cancelled by the last one's interrupt.
    let next = h.turn("again", never).await;
    assert_eq!(next.status, Status::Done, "{:?}", next.events);
    assert!(next.events.iter().any(
        |e| matches!(e, Event::Message { role, text } if role == "assistant" && text == "a fresh answer")
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupt_sent_before_the_turn_starts_is_not_lost() {
    // The first turn waits on the model; the second is sent, then the interrupt at once. The
    // engine starts the second turn only after the first ended, so the interrupt is always
    // between asking for the turn and its start: it must cancel that turn too, not be
    // cleared when it starts.
    let server = MockServer::start(vec![Reply::Hang, Reply::text("should not be asked")]);
    let mut h = Harness::with(&server);
    h.engine.send(Op::Prompt("first".into()));
    server.wait_for_requests(1, WAIT);
    h.engine.send(Op::Prompt("second".into()));
    h.engine.interrupt();
    let first = h.until_done(never).await;
    assert_eq!(first.status, Status::Interrupted);
    let second = h.until_done(never).await;
    assert_eq!(second.status, Status::Interrupted, "{:?}", second.events);
    assert_eq!(
        server.requests().len(),
        1,
        "the cancelled turn asked the model"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_command_does_not_run_and_the_model_reads_the_note() {
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({"command": "touch made-by-the-model"})),
        Reply::text("understood"),
    ]);
    let mut h = Harness::with(&server);
    let mut asked = Vec::new();
    let ended = h
        .turn("make a file", |r| {
            asked.push(r.tool.clone());
            Answer::Deny {
                note: Some("not in this repo".into()),
            }
        })
        .await;
    assert_eq!(asked, ["shell"]);
    assert_eq!(ended.status, Status::Done, "{:?}", ended.events);
    assert!(!h.ws.path().join("made-by-the-model").exists());
    let results = ended.results();
    let [(false, output)] = results.as_slice() else {
        panic!("one failed result expected: {results:?}");
    };
    assert!(output.contains("not in this repo"), "{output}");
    assert!(sent_results(&server, 1).contains("not in this repo"));
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_arguments_are_refused_with_a_message_the_model_can_act_on() {
    let server = MockServer::start(vec![
        Reply::Turn(Turn::calls(vec![ToolCall::raw(
            "read_file",
            "{\"path\": \"a.txt\"",
        )])),
        Reply::text("I will resend it"),
    ]);
    let mut h = Harness::with(&server);
    let ended = h.turn("read a.txt", never).await;
    assert_eq!(ended.status, Status::Done, "{:?}", ended.events);
    let results = ended.results();
    let [(false, output)] = results.as_slice() else {
        panic!("one failed result expected: {results:?}");
    };
    assert!(output.contains("not valid JSON"), "{output}");
    assert!(sent_results(&server, 1).contains("not valid JSON"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_tool_is_answered_with_the_tools_there_are() {
    let server = MockServer::start(vec![
        Reply::tool("delete_everything", json!({})),
        Reply::text("I will use another tool"),
    ]);
    let mut h = Harness::with(&server);
    let ended = h.turn("go", never).await;
    assert_eq!(ended.status, Status::Done, "{:?}", ended.events);
    let results = ended.results();
    let [(false, output)] = results.as_slice() else {
        panic!("one failed result expected: {results:?}");
    };
    assert!(
        output.contains("unknown tool `delete_everything`") && output.contains("read_file"),
        "{output}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_overflow_compacts_and_retries_without_a_configured_window() {
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({"command": "seq 1 3000"})),
        Reply::status(400, "This model's maximum context length is 4096 tokens. However, your messages resulted in 5000 tokens."),
        Reply::text("summary of what happened"),
        Reply::text("finished after compaction"),
    ]);
    let mut h = Harness::start(&config(&server, None), None);
    let ended = h.turn("count", |_| Answer::Once).await;
    assert_eq!(ended.status, Status::Done, "{:?}", ended.events);
    let compacted = ended
        .events
        .iter()
        .filter(|e| matches!(e, Event::Compacted { .. }))
        .count();
    assert_eq!(compacted, 1, "{:?}", ended.events);
    let requests = server.wait_for_requests(4, WAIT);
    let retried = requests[3].body.to_string();
    assert!(retried.contains("summary of what happened"), "{retried}");
    assert!(
        !retried.contains("\\n2999\\n"),
        "the long output was sent again"
    );
    assert!(h.transcript().contains("\"type\":\"compacted\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_max_steps_message_counts_the_steps_of_this_turn() {
    let server = MockServer::start(vec![
        Reply::tool("list_dir", json!({})),
        Reply::text("listed"),
        Reply::tool("list_dir", json!({"path": "."})),
        Reply::tool("glob", json!({"pattern": "*"})),
        Reply::text("never asked"),
    ]);
    let mut h = Harness::start(&config(&server, Some(100_000)), Some(2));
    let first = h.turn("list", never).await;
    assert_eq!(first.status, Status::Done, "{:?}", first.events);
    let second = h.turn("list again", never).await;
    assert_eq!(second.status, Status::MaxSteps, "{:?}", second.events);
    // Four steps in the session, two in this turn: the message counts this turn's.
    assert_eq!(
        second.errors(),
        ["stopped after 2 steps in this turn (--max-steps)"]
    );
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tool_call_carries_what_its_tool_declares_mcp_tools_too() {
    let server = MockServer::start(vec![
        Reply::Turn(Turn::tools([
            ("read_file", json!({"path": "docs/../a.txt"})),
            ("test__echo", json!({"text": "hi"})),
            ("no_such_tool", json!({})),
        ])),
        Reply::text("done"),
    ]);
    let config = config(&server, Some(100_000)) + &support::mcp::test_server_config("");
    let mut h = Harness::start(&config, None);
    std::fs::write(h.ws.path().join("a.txt"), "a\n").expect("a.txt");
    let ended = h.turn("read", |_| Answer::Once).await;
    assert_eq!(ended.status, Status::Done, "{:?}", ended.events);
    let calls: Vec<(String, Option<ToolKind>, Vec<String>)> = ended
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCall {
                name, kind, paths, ..
            } => Some((name.clone(), *kind, paths.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        [
            (
                "read_file".into(),
                Some(ToolKind::Read),
                vec!["a.txt".into()]
            ),
            ("test__echo".into(), Some(ToolKind::Other), vec![]),
            ("no_such_tool".into(), None, vec![]),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transcript_that_cannot_be_written_stops_the_session() {
    let server = MockServer::start(vec![
        Reply::tool("list_dir", json!({})),
        Reply::tool("list_dir", json!({"path": "."})),
        Reply::text("never asked"),
    ]);
    let mut h = Harness::with(&server);
    h.engine.send(Op::Prompt("list".into()));
    h.until_event(|e| matches!(e, Event::ToolCall { .. })).await;
    // The transcript's file system fills up: its next write fails with ENOSPC.
    let path = transcript_path(h.home.path());
    break_file(&path);
    let ended = h.until_done(never).await;
    assert_eq!(ended.status, Status::Error, "{:?}", ended.events);
    let errors = ended.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("the transcript could not be written")
                && e.contains("No space left")),
        "the user is not told: {errors:?}"
    );
    assert!(
        server.requests().len() < 3,
        "the session went on without its history"
    );
}

fn transcript_path(home: &Path) -> std::path::PathBuf {
    let mut files: Vec<_> = std::fs::read_dir(home.join("sessions"))
        .expect("sessions")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.remove(0)
}

/// Points every descriptor this process holds on `path` at `/dev/full`, where each write fails
/// with ENOSPC: the session's own open file starts failing the way a full disk makes it fail.
fn break_file(path: &Path) {
    use std::os::fd::AsRawFd;
    let path = path.canonicalize().expect("transcript path");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let mut broken = 0;
    for entry in std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .flatten()
    {
        if std::fs::read_link(entry.path()).ok().as_deref() != Some(path.as_path()) {
            continue;
        }
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        // SAFETY: both descriptors are open; dup2 swaps what `fd` refers to atomically, and
        // only this test's session holds it.
        let swapped = unsafe { libc::dup2(full.as_raw_fd(), fd) };
        assert!(swapped >= 0, "dup2: {}", std::io::Error::last_os_error());
        broken += 1;
    }
    assert!(broken > 0, "the transcript is not open in this process");
}

/// `/approval MODE` is the user's policy for the whole session: a subagent started after the
/// change asks as the parent would. Under `on-request` a sandboxed write runs unasked; after
/// `/approval untrusted` the `task` call asks, then the child's write must ask too, and a denial
/// keeps the file unwritten.
#[tokio::test(flavor = "multi_thread")]
async fn an_approval_change_reaches_the_subagents_started_after_it() {
    let server = MockServer::start(vec![
        Reply::tool(
            "task",
            json!({"tasks": [{"prompt": "write it", "agent": "writer"}]}),
        ),
        Reply::tool(
            "write_file",
            json!({"path": "by-child.txt", "content": "hi"}),
        ),
        Reply::text("child done"),
        Reply::text("parent done"),
    ]);
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join("agents")).expect("agents dir");
    std::fs::write(
        home.path().join("agents/writer.md"),
        "---\ndescription: Writes files\ntools: [write_file]\n---\nWrite what you are asked.\n",
    )
    .expect("agent");
    let mut h = Harness::start_in(home, &config(&server, Some(100_000)), None);
    h.engine.send(Op::Approval(Approval::Untrusted));
    let mut asked = Vec::new();
    let ended = h
        .turn("delegate", |r| {
            asked.push(r.tool.clone());
            match r.tool.as_str() {
                "task" => Answer::Once,
                _ => Answer::Deny { note: None },
            }
        })
        .await;
    assert_eq!(ended.status, Status::Done, "{:?}", ended.events);
    assert_eq!(asked, ["task", "write_file"], "{:?}", ended.events);
    assert!(!h.ws.path().join("by-child.txt").exists());
}
