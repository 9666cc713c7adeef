//! `reins acp` driven end to end by a client built from the published ACP SDK (the
//! `agent-client-protocol` crate's client side), over the binary's stdin/stdout, with the model
//! served by the mock server on 127.0.0.1: an edit approved and denied, a cancel mid-command, and
//! a session listed and loaded back with its history.

mod support;

use agent_client_protocol::schema::ProtocolVersion;
use agent_client_protocol::v1::schema::{
    CancelNotification, ClientCapabilities, ContentBlock, FileSystemCapabilities,
    InitializeRequest, ListSessionsRequest, LoadSessionRequest, NewSessionRequest, PlanEntryStatus,
    PromptRequest, ReadTextFileRequest, ReadTextFileResponse, RequestPermissionOutcome,
    RequestPermissionRequest, RequestPermissionResponse, SelectedPermissionOutcome,
    SessionConfigOptionValue, SessionNotification, SessionUpdate, SetSessionConfigOptionRequest,
    SetSessionModeRequest, StopReason, ToolCallContent, ToolCallStatus, ToolKind,
    WriteTextFileRequest, WriteTextFileResponse,
};
use agent_client_protocol::{on_receive_notification, on_receive_request, Agent, Client, Lines};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::reins::{calc_workspace, home_for, tool_results, Wire};
use support::{MockServer, Reply, Turn};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

type Connection = agent_client_protocol::v1::ConnectionTo<Agent>;
type AcpResult<T> = Result<T, agent_client_protocol::Error>;

/// What the client saw, and how it answers permission questions.
struct Seen {
    updates: Mutex<Vec<SessionUpdate>>,
    questions: Mutex<Vec<RequestPermissionRequest>>,
    /// The option id picked for every permission question.
    answer: &'static str,
    /// Whether the client offers `fs.readTextFile` and `fs.writeTextFile`.
    fs: bool,
    /// The editor's buffers: unsaved text a read returns instead of the file on disk.
    buffers: Mutex<HashMap<PathBuf, String>>,
    /// Every `fs/read_text_file` path, in order.
    reads: Mutex<Vec<PathBuf>>,
    /// Every `fs/write_text_file` (path, content), in order.
    writes: Mutex<Vec<(PathBuf, String)>>,
    /// An editor that takes fs requests and never answers them.
    silent: bool,
    /// The responders of the requests a silent editor holds (dropping one would answer it).
    held: Mutex<Vec<Box<dyn std::any::Any + Send>>>,
}

impl Seen {
    fn build(
        answer: &'static str,
        fs: bool,
        buffers: HashMap<PathBuf, String>,
        silent: bool,
    ) -> Arc<Seen> {
        Arc::new(Seen {
            updates: Mutex::new(Vec::new()),
            questions: Mutex::new(Vec::new()),
            answer,
            fs,
            buffers: Mutex::new(buffers),
            reads: Mutex::default(),
            writes: Mutex::default(),
            silent,
            held: Mutex::default(),
        })
    }

    /// A client without a file system that answers every permission question with `answer`.
    fn new(answer: &'static str) -> Arc<Seen> {
        Seen::build(answer, false, HashMap::new(), false)
    }

    /// A client that offers its file system, with `buffers` open and unsaved.
    fn editor(buffers: HashMap<PathBuf, String>) -> Arc<Seen> {
        Seen::build("allow_once", true, buffers, false)
    }

    /// A client that offers its file system and never answers a read or a write.
    fn silent_editor() -> Arc<Seen> {
        Seen::build("allow_once", true, HashMap::new(), true)
    }

    /// Keeps `responder` unanswered when the editor is silent; gives it back otherwise.
    fn hold<R: Send + 'static>(&self, responder: R) -> Option<R> {
        if !self.silent {
            return Some(responder);
        }
        self.held.lock().unwrap().push(Box::new(responder));
        None
    }

    /// An editor's read: the buffer if one is open, else the file on disk.
    fn read(&self, path: &Path) -> AcpResult<String> {
        if let Some(text) = self.buffers.lock().unwrap().get(path) {
            return Ok(text.clone());
        }
        std::fs::read_to_string(path).map_err(|e| {
            agent_client_protocol::Error::new(
                agent_client_protocol::ErrorCode::RESOURCE_NOT_FOUND,
                e.to_string(),
            )
        })
    }

    /// An editor's write, as Zed does it: the buffer takes the text and is saved.
    fn write(&self, path: &Path, content: &str) -> AcpResult<()> {
        self.writes
            .lock()
            .unwrap()
            .push((path.to_path_buf(), content.to_string()));
        self.buffers
            .lock()
            .unwrap()
            .insert(path.to_path_buf(), content.to_string());
        std::fs::write(path, content).map_err(|e| {
            agent_client_protocol::Error::new(
                agent_client_protocol::ErrorCode::INTERNAL_ERROR,
                e.to_string(),
            )
        })
    }

    fn reads(&self) -> Vec<PathBuf> {
        self.reads.lock().unwrap().clone()
    }

    fn writes(&self) -> Vec<(PathBuf, String)> {
        self.writes.lock().unwrap().clone()
    }

    fn updates(&self) -> Vec<SessionUpdate> {
        self.updates.lock().unwrap().clone()
    }

    fn questions(&self) -> Vec<RequestPermissionRequest> {
        self.questions.lock().unwrap().clone()
    }
}

/// The agent process: `reins acp ARGS` in `ws` with the mock model of `home`.
fn spawn_agent(home: &Path, ws: &Path, args: &[&str]) -> tokio::process::Child {
    let mut cmd = tokio::process::Command::new(assert_cmd::cargo::cargo_bin("reins"));
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
    cmd.arg("acp")
        .args(args)
        .current_dir(ws)
        .env("REINS_HOME", home)
        .env("MOCK_API_KEY", "sk-mock-secret-1234")
        .env("NO_PROXY", "*")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true);
    cmd.spawn().expect("spawn reins acp")
}

/// Connects a client to a fresh `reins acp`, initializes, runs `body`, then closes stdin and
/// checks that the agent exits 0.
async fn with_agent<R>(
    home: &Path,
    ws: &Path,
    seen: Arc<Seen>,
    body: impl AsyncFnOnce(Connection) -> AcpResult<R>,
) -> R {
    with_agent_args(home, ws, &[], seen, body).await
}

/// [`with_agent`] with more arguments for `reins acp`.
async fn with_agent_args<R>(
    home: &Path,
    ws: &Path,
    args: &[&str],
    seen: Arc<Seen>,
    body: impl AsyncFnOnce(Connection) -> AcpResult<R>,
) -> R {
    let mut child = spawn_agent(home, ws, args);
    let stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let outgoing = futures::sink::unfold(stdin, async |mut w, line: String| {
        w.write_all(format!("{line}\n").as_bytes()).await?;
        w.flush().await?;
        Ok::<_, std::io::Error>(w)
    });
    let incoming =
        futures::stream::unfold(
            BufReader::new(stdout).lines(),
            async |mut lines| match lines.next_line().await {
                Ok(Some(line)) => Some((Ok(line), lines)),
                Ok(None) => None,
                Err(e) => Some((Err(e), lines)),
            },
        );
    let (on_update, on_question) = (seen.clone(), seen.clone());
    let (on_read, on_write, offers) = (seen.clone(), seen.clone(), seen.fs);
    let result = Client
        .v1()
        .name("reins-acp-test")
        .on_receive_notification(
            async move |n: SessionNotification, _cx| {
                on_update.updates.lock().unwrap().push(n.update);
                Ok(())
            },
            on_receive_notification!(),
        )
        .on_receive_request(
            async move |q: RequestPermissionRequest, responder, _cx| {
                on_question.questions.lock().unwrap().push(q);
                responder.respond(RequestPermissionResponse::new(
                    RequestPermissionOutcome::Selected(SelectedPermissionOutcome::new(
                        on_question.answer,
                    )),
                ))
            },
            on_receive_request!(),
        )
        .on_receive_request(
            async move |q: ReadTextFileRequest, responder, _cx| {
                on_read.reads.lock().unwrap().push(q.path.clone());
                match on_read.hold(responder) {
                    Some(r) => {
                        r.respond_with_result(on_read.read(&q.path).map(ReadTextFileResponse::new))
                    }
                    None => Ok(()),
                }
            },
            on_receive_request!(),
        )
        .on_receive_request(
            async move |q: WriteTextFileRequest, responder, _cx| match on_write.hold(responder) {
                Some(r) => r.respond_with_result(
                    on_write
                        .write(&q.path, &q.content)
                        .map(|()| WriteTextFileResponse::new()),
                ),
                None => Ok(()),
            },
            on_receive_request!(),
        )
        .connect_with(
            Lines::new(Box::pin(outgoing), Box::pin(incoming)),
            async |cx: Connection| {
                let fs = FileSystemCapabilities::new()
                    .read_text_file(offers)
                    .write_text_file(offers);
                let init = cx
                    .send_request(
                        InitializeRequest::new(ProtocolVersion::V1)
                            .client_capabilities(ClientCapabilities::new().fs(fs)),
                    )
                    .block_task()
                    .await?;
                assert_eq!(init.protocol_version, ProtocolVersion::V1);
                assert!(init.agent_capabilities.load_session);
                assert!(init.agent_capabilities.prompt_capabilities.embedded_context);
                body(cx).await
            },
        )
        .await
        .expect("the ACP conversation");
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("reins acp exits once the client closes stdin")
        .expect("wait for reins acp");
    assert!(status.success(), "reins acp exited with {status}");
    result
}

async fn new_session(cx: &Connection, ws: &Path) -> AcpResult<String> {
    let created = cx
        .send_request(NewSessionRequest::new(ws.to_path_buf()))
        .block_task()
        .await?;
    Ok(created.session_id.0.to_string())
}

async fn prompt(cx: &Connection, id: &str, text: &str) -> AcpResult<StopReason> {
    let done = cx
        .send_request(PromptRequest::new(
            id.to_string(),
            vec![ContentBlock::from(text.to_string())],
        ))
        .block_task()
        .await?;
    Ok(done.stop_reason)
}

/// One prompt, `text`, in a new session of a fresh `reins acp` (in the `untrusted` mode first
/// when `ask_before_edits`); how the turn ended.
async fn one_turn(
    home: &Path,
    root: &Path,
    seen: Arc<Seen>,
    ask_before_edits: bool,
    text: &str,
) -> StopReason {
    with_agent(home, root, seen, async |cx| {
        let id = new_session(&cx, root).await?;
        if ask_before_edits {
            self::ask_before_edits(&cx, &id).await?;
        }
        prompt(&cx, &id, text).await
    })
    .await
}

/// Asks before every edit: the `untrusted` mode, chosen the way an editor's mode picker does.
async fn ask_before_edits(cx: &Connection, id: &str) -> AcpResult<()> {
    cx.send_request(SetSessionModeRequest::new(id.to_string(), "untrusted"))
        .block_task()
        .await?;
    Ok(())
}

fn workspace() -> (tempfile::TempDir, PathBuf) {
    let ws = calc_workspace();
    std::fs::write(ws.path().join("notes.txt"), "alpha\nbeta\n").expect("write notes.txt");
    let root = ws.path().canonicalize().expect("canonical workspace");
    (ws, root)
}

fn edit_notes() -> Reply {
    Reply::tool(
        "edit_file",
        json!({"path": "notes.txt", "old_string": "beta", "new_string": "gamma"}),
    )
}

/// The diffs among a list of tool call contents: (path, old, new).
fn diffs(content: &[ToolCallContent]) -> Vec<(PathBuf, Option<String>, String)> {
    content
        .iter()
        .filter_map(|c| match c {
            ToolCallContent::Diff(d) => {
                Some((d.path.clone(), d.old_text.clone(), d.new_text.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The last status update of tool call `id`, with its content.
fn final_update(updates: &[SessionUpdate], id: &str) -> (ToolCallStatus, Vec<ToolCallContent>) {
    updates
        .iter()
        .rev()
        .find_map(|u| match u {
            SessionUpdate::ToolCallUpdate(t) if &*t.tool_call_id.0 == id => t
                .fields
                .status
                .map(|s| (s, t.fields.content.clone().unwrap_or_default())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no final update for tool call {id}: {updates:?}"))
}

fn tool_calls(updates: &[SessionUpdate]) -> Vec<agent_client_protocol::v1::schema::ToolCall> {
    updates
        .iter()
        .filter_map(|u| match u {
            SessionUpdate::ToolCall(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn agent_text(updates: &[SessionUpdate]) -> String {
    chunks(updates, |u| match u {
        SessionUpdate::AgentMessageChunk(c) => Some(&c.content),
        _ => None,
    })
}

fn thought_text(updates: &[SessionUpdate]) -> String {
    chunks(updates, |u| match u {
        SessionUpdate::AgentThoughtChunk(c) => Some(&c.content),
        _ => None,
    })
}

fn user_text(updates: &[SessionUpdate]) -> String {
    chunks(updates, |u| match u {
        SessionUpdate::UserMessageChunk(c) => Some(&c.content),
        _ => None,
    })
}

fn chunks(
    updates: &[SessionUpdate],
    pick: impl Fn(&SessionUpdate) -> Option<&ContentBlock>,
) -> String {
    updates
        .iter()
        .filter_map(pick)
        .filter_map(|c| match c {
            ContentBlock::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approved_edit_changes_the_file_and_shows_its_diff() {
    let (_ws, root) = workspace();
    let server = MockServer::start(vec![edit_notes(), Reply::text("Renamed beta.")]);
    let home = home_for(&server, Wire::OpenAi);
    let seen = Seen::new("allow_once");
    let stop = one_turn(
        home.path(),
        &root,
        seen.clone(),
        /*ask_before_edits*/ true,
        "rename beta",
    )
    .await;
    assert_eq!(stop, StopReason::EndTurn);
    assert_eq!(
        std::fs::read_to_string(root.join("notes.txt")).unwrap(),
        "alpha\ngamma\n"
    );
    let notes = root.join("notes.txt");
    let questions = seen.questions();
    assert_eq!(questions.len(), 1, "one permission question: {questions:?}");
    let asked = &questions[0].tool_call;
    assert_eq!(asked.fields.kind, Some(ToolKind::Edit));
    let kinds: Vec<_> = questions[0].options.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds.len(),
        3,
        "allow once, allow always, reject: {kinds:?}"
    );
    assert_eq!(
        diffs(asked.fields.content.as_deref().unwrap_or_default()),
        [(
            notes.clone(),
            Some("alpha\nbeta\n".into()),
            "alpha\ngamma\n".into()
        )],
        "the question shows the change against the file"
    );
    let updates = seen.updates();
    let calls = tool_calls(&updates);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].kind, ToolKind::Edit);
    assert_eq!(calls[0].title, "Edit notes.txt");
    assert_eq!(calls[0].locations[0].path, notes);
    let (status, content) = final_update(&updates, &calls[0].tool_call_id.0);
    assert_eq!(status, ToolCallStatus::Completed);
    assert_eq!(
        diffs(&content),
        [(notes, Some("alpha\nbeta\n".into()), "alpha\ngamma\n".into())],
        "the completed call shows the file before and after"
    );
    assert_eq!(agent_text(&updates), "Renamed beta.");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_models_plan_reaches_the_client_as_a_plan() {
    let (_ws, root) = workspace();
    let plan = json!({"plan": [
        {"step": "read notes.txt", "status": "done"},
        {"step": "rename beta", "status": "in_progress"},
        {"step": "run the tests", "status": "pending"}
    ]});
    let server = MockServer::start(vec![
        Reply::tool("update_plan", plan),
        Reply::text("Planned."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let seen = Seen::new("allow_once");
    let stop = one_turn(
        home.path(),
        &root,
        seen.clone(),
        /*ask_before_edits*/ false,
        "plan the rename",
    )
    .await;
    assert_eq!(stop, StopReason::EndTurn);
    let plans: Vec<_> = seen
        .updates()
        .into_iter()
        .filter_map(|u| match u {
            SessionUpdate::Plan(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(plans.len(), 1, "{plans:?}");
    let entries: Vec<_> = plans[0]
        .entries
        .iter()
        .map(|e| (e.content.as_str(), e.status.clone()))
        .collect();
    assert_eq!(
        entries,
        [
            ("read notes.txt", PlanEntryStatus::Completed),
            ("rename beta", PlanEntryStatus::InProgress),
            ("run the tests", PlanEntryStatus::Pending),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_edit_leaves_the_file_and_the_model_is_told() {
    let (_ws, root) = workspace();
    let server = MockServer::start(vec![edit_notes(), Reply::text("Left it.")]);
    let home = home_for(&server, Wire::OpenAi);
    let seen = Seen::new("reject_once");
    let stop = one_turn(
        home.path(),
        &root,
        seen.clone(),
        /*ask_before_edits*/ true,
        "rename beta",
    )
    .await;
    assert_eq!(stop, StopReason::EndTurn);
    assert_eq!(
        std::fs::read_to_string(root.join("notes.txt")).unwrap(),
        "alpha\nbeta\n",
        "a rejected edit must not touch the file"
    );
    assert_eq!(seen.questions().len(), 1);
    let updates = seen.updates();
    let calls = tool_calls(&updates);
    let (status, _) = final_update(&updates, &calls[0].tool_call_id.0);
    assert_eq!(status, ToolCallStatus::Failed);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the model hears back after the refusal");
    let told = tool_results(&requests[1].body).join("\n");
    assert!(
        told.contains("rejected") && told.contains("not permitted"),
        "the model is told the user refused: {told}"
    );
}

/// A `sleep` argument no other process on the machine has, so `/proc` tells whether it runs.
fn unique_sleep() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos();
    format!("{}.{nanos}", 8000 + std::process::id() % 1000)
}

/// Processes whose command line contains `needle`.
fn processes_with(needle: &str) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains(needle))
        .count()
}

/// Polls until `done` holds or `limit` passes; whether it held.
async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_ends_the_turn_and_kills_the_running_command() {
    let (_ws, root) = workspace();
    let marker = unique_sleep();
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({ "command": format!("sleep {marker}") })),
        Reply::text("never reached"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let seen = Seen::new("allow_once");
    let (stop, running) = with_agent(home.path(), &root, seen.clone(), async |cx| {
        let id = new_session(&cx, &root).await?;
        let turn = cx.send_request(PromptRequest::new(
            id.clone(),
            vec![ContentBlock::from("wait a while".to_string())],
        ));
        let running = eventually(Duration::from_secs(20), || processes_with(&marker) > 0).await;
        cx.send_notification(CancelNotification::new(id.clone()))?;
        let done = turn.block_task().await?;
        Ok((done.stop_reason, running))
    })
    .await;
    assert!(running, "the command did not start");
    assert_eq!(stop, StopReason::Cancelled);
    assert!(
        eventually(Duration::from_secs(5), || processes_with(&marker) == 0).await,
        "the command survived the cancel"
    );
    let updates = seen.updates();
    let calls = tool_calls(&updates);
    assert_eq!(calls[0].kind, ToolKind::Execute);
    let (status, _) = final_update(&updates, &calls[0].tool_call_id.0);
    assert_eq!(status, ToolCallStatus::Failed);
    assert_eq!(
        server.requests().len(),
        1,
        "no model request after the cancel"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_loaded_session_replays_its_history_and_continues_it() {
    let (_ws, root) = workspace();
    let server = MockServer::start(vec![
        Reply::Turn(Turn::tool("read_file", json!({"path": "notes.txt"})).with_text("Reading.")),
        Reply::text("The word is quokka."),
        Reply::text("Still quokka."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let first = Seen::new("allow_once");
    let id = with_agent(home.path(), &root, first.clone(), async |cx| {
        let id = new_session(&cx, &root).await?;
        prompt(&cx, &id, "remember the word quokka").await?;
        Ok(id)
    })
    .await;
    let transcript = home.path().join("sessions").join(format!("{id}.jsonl"));
    let lines = std::fs::read_to_string(&transcript).expect("the session's transcript");
    let last: serde_json::Value =
        serde_json::from_str(lines.lines().last().expect("a record")).expect("JSON");
    assert_eq!(
        last["type"], "session.finished",
        "closing the connection ends the session on record"
    );

    let second = Seen::new("allow_once");
    let (listed, replayed, stop) = with_agent(home.path(), &root, second.clone(), async |cx| {
        let listed = cx
            .send_request(ListSessionsRequest::new().cwd(root.clone()))
            .block_task()
            .await?;
        cx.send_request(LoadSessionRequest::new(id.clone(), root.clone()))
            .block_task()
            .await?;
        let replayed = second.updates();
        let stop = prompt(&cx, &id, "which word?").await?;
        Ok((listed.sessions, replayed, stop))
    })
    .await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(&*listed[0].session_id.0, id);
    assert_eq!(listed[0].title.as_deref(), Some("remember the word quokka"));
    assert_eq!(user_text(&replayed), "remember the word quokka");
    assert_eq!(agent_text(&replayed), "Reading.The word is quokka.");
    let calls = tool_calls(&replayed);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].kind, ToolKind::Read);
    assert_eq!(calls[0].title, "Read notes.txt");
    let (status, content) = final_update(&replayed, &calls[0].tool_call_id.0);
    assert_eq!(status, ToolCallStatus::Completed);
    assert!(format!("{content:?}").contains("beta"), "{content:?}");
    assert_eq!(stop, StopReason::EndTurn);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let resumed = requests[2].body.to_string();
    assert!(
        resumed.contains("remember the word quokka") && resumed.contains("which word?"),
        "the loaded session continues the conversation: {resumed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_for_a_model_without_vision_is_refused_with_the_reason_not_dropped() {
    let (_ws, root) = workspace();
    let server = MockServer::start(vec![Reply::text("fine"), Reply::text("fine")]);
    let home = home_for(&server, Wire::OpenAi);
    let seen = Seen::new("allow_once");
    let (refused, then) = with_agent(home.path(), &root, seen.clone(), async |cx| {
        let id = new_session(&cx, &root).await?;
        let refused = image_prompt(&cx, &id, "what is wrong in this screenshot?").await;
        // The session is still usable with text: the refused prompt never entered it.
        let then = prompt(&cx, &id, "then in words: the button is red").await?;
        Ok((refused, then))
    })
    .await;
    let error = refused.expect_err("an image must not be answered as if seen");
    assert!(
        error.message.contains("`mock` cannot take images") && error.message.contains("vision"),
        "{error:?}"
    );
    assert_eq!(then, StopReason::EndTurn);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "the refused prompt reached the model");
    let messages = requests[0].body["messages"].to_string();
    assert!(!messages.contains("screenshot"), "{messages}");
}

/// A prompt of `text` and a 1×1 PNG.
async fn image_prompt(cx: &Connection, id: &str, text: &str) -> AcpResult<StopReason> {
    let done = cx
        .send_request(PromptRequest::new(
            id.to_string(),
            vec![
                ContentBlock::from(text.to_string()),
                ContentBlock::Image(agent_client_protocol::v1::schema::ImageContent::new(
                    PNG_1X1,
                    "image/png",
                )),
            ],
        ))
        .block_task()
        .await?;
    Ok(done.stop_reason)
}

/// A 1×1 PNG, base64.
const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

#[tokio::test(flavor = "multi_thread")]
async fn an_image_in_a_prompt_reaches_a_model_with_vision() {
    let (_ws, root) = workspace();
    let server = MockServer::start(vec![Reply::text("a red pixel")]);
    let home = home_for(&server, Wire::Anthropic);
    let config = home.path().join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace(
            "name = \"mock-model\"\n",
            "name = \"mock-model\"\nvision = true\n",
        ),
    )
    .unwrap();
    let seen = Seen::new("allow_once");
    let stop = with_agent(home.path(), &root, seen.clone(), async |cx| {
        let id = new_session(&cx, &root).await?;
        image_prompt(&cx, &id, "what is in this picture?").await
    })
    .await;
    assert_eq!(stop, StopReason::EndTurn);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let user = &requests[0].body["messages"][0]["content"];
    let image = user
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "image")
        .unwrap_or_else(|| panic!("no image block: {user}"));
    assert_eq!(image["source"]["media_type"], "image/png");
    assert_eq!(image["source"]["data"], PNG_1X1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_editor_with_a_file_system_serves_the_reads_and_writes_of_an_edit() {
    let (_ws, root) = workspace();
    let notes = root.join("notes.txt");
    // The editor holds notes.txt with a line the user typed and has not saved.
    let buffer = "alpha\nbeta\nunsaved delta\n";
    let seen = Seen::editor(HashMap::from([(notes.clone(), buffer.to_string())]));
    let server = MockServer::start(vec![
        Reply::tool("read_file", json!({"path": "notes.txt"})),
        edit_notes(),
        Reply::text("Renamed beta."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let stop = one_turn(
        home.path(),
        &root,
        seen.clone(),
        /*ask_before_edits*/ false,
        "rename beta",
    )
    .await;
    assert_eq!(stop, StopReason::EndTurn);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let read = tool_results(&requests[1].body).join("\n");
    assert!(
        read.contains("unsaved delta"),
        "read_file shows the editor's buffer, not the disk: {read}"
    );
    assert!(
        seen.reads().iter().all(|p| *p == notes) && seen.reads().len() >= 2,
        "read_file and edit_file read through the editor: {:?}",
        seen.reads()
    );
    let edited = "alpha\ngamma\nunsaved delta\n";
    assert_eq!(
        seen.writes(),
        [(notes.clone(), edited.to_string())],
        "the edit is written through the editor, applied to its buffer"
    );
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        edited,
        "the file is what the editor saved"
    );
    let updates = seen.updates();
    let calls = tool_calls(&updates);
    let edit = calls
        .iter()
        .find(|c| c.kind == ToolKind::Edit)
        .expect("the edit call");
    let (status, content) = final_update(&updates, &edit.tool_call_id.0);
    assert_eq!(status, ToolCallStatus::Completed);
    assert_eq!(
        diffs(&content),
        [(notes.clone(), Some(buffer.into()), edited.into())],
        "the diff is the change to the editor's text"
    );
    let undo = support::reins::reins(home.path())
        .args(["undo", "-C"])
        .arg(&root)
        .output()
        .expect("reins undo");
    assert!(undo.status.success(), "{undo:?}");
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "alpha\nbeta\n",
        "reins undo restores the file as it was on disk before the edit"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_denied_and_outside_paths_never_reach_the_editor() {
    let (_ws, root) = workspace();
    std::fs::write(root.join(".env"), "API_KEY=sk-live-123\n").unwrap();
    std::fs::write(root.join("locked.txt"), "keep\n").unwrap();
    let seen = Seen::editor(HashMap::new());
    let server = MockServer::start(vec![
        Reply::tool("read_file", json!({"path": ".env"})),
        Reply::tool(
            "write_file",
            json!({"path": ".env", "content": "API_KEY=x\n"}),
        ),
        Reply::tool(
            "write_file",
            json!({"path": "locked.txt", "content": "gone\n"}),
        ),
        Reply::tool(
            "write_file",
            json!({"path": "../outside.txt", "content": "x\n"}),
        ),
        Reply::tool(
            "apply_patch",
            json!({"patch": "*** Begin Patch\n*** Update File: .env\n@@\n-API_KEY=sk-live-123\n+API_KEY=y\n*** End Patch\n"}),
        ),
        Reply::tool("read_file", json!({"path": "notes.txt"})),
        Reply::text("Done."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let config = home.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[permissions]\ndeny = [\"write(locked.txt)\"]\n");
    std::fs::write(&config, text).unwrap();
    let stop = one_turn(
        home.path(),
        &root,
        seen.clone(),
        /*ask_before_edits*/ false,
        "poke around",
    )
    .await;
    assert_eq!(stop, StopReason::EndTurn);
    assert_eq!(
        seen.reads(),
        [root.join("notes.txt")],
        "only the allowed read reaches the editor"
    );
    assert!(seen.writes().is_empty(), "{:?}", seen.writes());
    assert_eq!(
        std::fs::read_to_string(root.join(".env")).unwrap(),
        "API_KEY=sk-live-123\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("locked.txt")).unwrap(),
        "keep\n"
    );
    let told = tool_results(&server.requests()[6].body).join("\n");
    assert!(!told.contains("sk-live-123"), "{told}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_apply_patch_goes_through_the_editor_too() {
    let (_ws, root) = workspace();
    let notes = root.join("notes.txt");
    let buffer = "alpha\nbeta\nunsaved delta\n";
    let seen = Seen::editor(HashMap::from([(notes.clone(), buffer.to_string())]));
    let patch = "*** Begin Patch\n*** Update File: notes.txt\n@@\n alpha\n-beta\n+gamma\n unsaved delta\n*** Add File: new.txt\n+fresh\n*** End Patch\n";
    let server = MockServer::start(vec![
        Reply::tool("apply_patch", json!({ "patch": patch })),
        Reply::text("Patched."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let stop = one_turn(
        home.path(),
        &root,
        seen.clone(),
        /*ask_before_edits*/ false,
        "patch it",
    )
    .await;
    assert_eq!(stop, StopReason::EndTurn);
    let told = tool_results(&server.requests()[1].body).join("\n");
    assert!(told.contains("updated notes.txt"), "{told}");
    let mut writes = seen.writes();
    writes.sort();
    assert_eq!(
        writes,
        [
            (root.join("new.txt"), "fresh\n".to_string()),
            (notes.clone(), "alpha\ngamma\nunsaved delta\n".to_string()),
        ]
    );
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "alpha\ngamma\nunsaved delta\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_model_option_switches_the_model_of_the_next_request() {
    let (_ws, root) = workspace();
    let server = MockServer::start(vec![Reply::text("one"), Reply::text("two")]);
    let home = home_for(&server, Wire::OpenAi);
    let config = home.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[models.other]\nprovider = \"mock\"\nname = \"other-model\"\n");
    std::fs::write(&config, text).unwrap();
    let seen = Seen::new("allow_once");
    let offered = with_agent(home.path(), &root, seen.clone(), async |cx| {
        let created = cx
            .send_request(NewSessionRequest::new(root.clone()))
            .block_task()
            .await?;
        let id = created.session_id.0.to_string();
        prompt(&cx, &id, "first").await?;
        let changed = cx
            .send_request(SetSessionConfigOptionRequest::new(
                id.clone(),
                "model",
                SessionConfigOptionValue::from("other"),
            ))
            .block_task()
            .await?;
        prompt(&cx, &id, "second").await?;
        Ok((created.config_options, changed.config_options))
    })
    .await;
    let text = serde_json::to_string(&offered.0).unwrap();
    assert!(
        text.contains("\"mock\"") && text.contains("\"other\""),
        "the new session offers the configured models: {text}"
    );
    let after = serde_json::to_value(&offered.1).unwrap();
    let model = after
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "model")
        .expect("the model option");
    assert_eq!(model["currentValue"], "other");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body["model"], "mock-model");
    assert_eq!(requests[1].body["model"], "other-model");
}

#[tokio::test(flavor = "multi_thread")]
async fn allow_always_answers_the_same_command_for_the_rest_of_the_session() {
    let (_ws, root) = workspace();
    let echo = || Reply::tool("shell", json!({"command": "echo reins-acp-always"}));
    let server = MockServer::start(vec![echo(), echo(), Reply::text("Twice.")]);
    let home = home_for(&server, Wire::OpenAi);
    let seen = Seen::new("allow_always");
    let stop = one_turn(
        home.path(),
        &root,
        seen.clone(),
        /*ask_before_edits*/ false,
        "echo twice",
    )
    .await;
    assert_eq!(stop, StopReason::EndTurn);
    assert_eq!(seen.questions().len(), 1, "asked once, then allowed");
    let updates = seen.updates();
    let calls = tool_calls(&updates);
    assert_eq!(calls.len(), 2, "{calls:?}");
    for call in &calls {
        let (status, _) = final_update(&updates, &call.tool_call_id.0);
        assert_eq!(status, ToolCallStatus::Completed);
    }
}

/// One turn of a reasoning model over `wire` (`options` added to `[models.mock]` turn its
/// reasoning on): what the model thought must reach the client as thought chunks, apart from the
/// answer, and the final reasoning must not arrive a second time.
async fn thoughts_over(wire: Wire, options: &str) -> (String, String) {
    let (_ws, root) = workspace();
    let server = MockServer::start(vec![Reply::Turn(
        Turn::text("The answer is 4.").with_reasoning("Two plus two; no tools needed."),
    )]);
    let home = home_for(&server, wire);
    support::reins::set_model_options(home.path(), options);
    let seen = Seen::new("allow_once");
    let stop = one_turn(
        home.path(),
        &root,
        seen.clone(),
        /*ask_before_edits*/ false,
        "what is 2+2?",
    )
    .await;
    assert_eq!(stop, StopReason::EndTurn);
    assert_eq!(server.requests().len(), 1, "the mock refused the request");
    let updates = seen.updates();
    (thought_text(&updates), agent_text(&updates))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_responses_reasoning_summary_streams_as_thought_chunks() {
    let (thought, said) = thoughts_over(Wire::Responses, "reasoning = true").await;
    assert_eq!(thought, "Two plus two; no tools needed.");
    assert_eq!(said, "The answer is 4.");
}

#[tokio::test(flavor = "multi_thread")]
async fn claude_thinking_streams_as_thought_chunks() {
    let options = "thinking = \"budget\"\nmax_output_tokens = 32000";
    let (thought, said) = thoughts_over(Wire::Anthropic, options).await;
    assert_eq!(thought, "Two plus two; no tools needed.");
    assert_eq!(said, "The answer is 4.");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_loaded_session_replays_the_models_thoughts() {
    let (_ws, root) = workspace();
    let server = MockServer::start(vec![Reply::Turn(
        Turn::text("The answer is 4.").with_reasoning("Two plus two; no tools needed."),
    )]);
    let home = home_for(&server, Wire::Anthropic);
    support::reins::set_model_options(
        home.path(),
        "thinking = \"budget\"\nmax_output_tokens = 32000",
    );
    let id = with_agent(home.path(), &root, Seen::new("allow_once"), async |cx| {
        let id = new_session(&cx, &root).await?;
        prompt(&cx, &id, "what is 2+2?").await?;
        Ok(id)
    })
    .await;
    let seen = Seen::new("allow_once");
    with_agent(home.path(), &root, seen.clone(), async |cx| {
        cx.send_request(LoadSessionRequest::new(id.clone(), root.clone()))
            .block_task()
            .await
    })
    .await;
    let replayed = seen.updates();
    assert_eq!(thought_text(&replayed), "Two plus two; no tools needed.");
    assert_eq!(agent_text(&replayed), "The answer is 4.");
    let first_thought = replayed
        .iter()
        .position(|u| matches!(u, SessionUpdate::AgentThoughtChunk(_)));
    let first_text = replayed
        .iter()
        .position(|u| matches!(u, SessionUpdate::AgentMessageChunk(_)));
    assert!(
        first_thought < first_text,
        "the thought comes before the answer it led to: {replayed:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_permission_question_shows_the_change_to_the_editors_buffer() {
    let (_ws, root) = workspace();
    let notes = root.join("notes.txt");
    let buffer = "alpha\nbeta\nunsaved delta\n";
    let seen = Seen::editor(HashMap::from([(notes.clone(), buffer.to_string())]));
    let server = MockServer::start(vec![edit_notes(), Reply::text("Renamed beta.")]);
    let home = home_for(&server, Wire::OpenAi);
    let stop = one_turn(
        home.path(),
        &root,
        seen.clone(),
        /*ask_before_edits*/ true,
        "rename beta",
    )
    .await;
    assert_eq!(stop, StopReason::EndTurn);
    let questions = seen.questions();
    assert_eq!(questions.len(), 1, "{questions:?}");
    let edited = "alpha\ngamma\nunsaved delta\n";
    assert_eq!(
        diffs(
            questions[0]
                .tool_call
                .fields
                .content
                .as_deref()
                .unwrap_or_default()
        ),
        [(notes.clone(), Some(buffer.into()), edited.into())],
        "the user approves the change to the text they see, not to the disk"
    );
    assert_eq!(seen.writes(), [(notes, edited.to_string())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_buffer_not_yet_saved_to_disk_is_read_and_edited_through_the_editor() {
    let (_ws, root) = workspace();
    let draft = root.join("draft.txt");
    // draft.txt is only in the editor; nowhere.txt the editor answers for with an empty new
    // buffer, as an editor opening any name may; gone.txt it has no buffer for.
    let seen = Seen::editor(HashMap::from([
        (draft.clone(), "first draft\n".to_string()),
        (root.join("nowhere.txt"), String::new()),
    ]));
    let server = MockServer::start(vec![
        Reply::tool("read_file", json!({"path": "draft.txt"})),
        Reply::tool(
            "edit_file",
            json!({"path": "draft.txt", "old_string": "first", "new_string": "second"}),
        ),
        Reply::tool("read_file", json!({"path": "nowhere.txt"})),
        Reply::tool("read_file", json!({"path": "gone.txt"})),
        Reply::text("Edited the draft."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let stop = one_turn(
        home.path(),
        &root,
        seen.clone(),
        /*ask_before_edits*/ true,
        "edit the draft",
    )
    .await;
    assert_eq!(stop, StopReason::EndTurn);
    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    let read = tool_results(&requests[1].body).join("\n");
    assert!(
        read.contains("first draft"),
        "read_file sees the unsaved buffer: {read}"
    );
    let edit = tool_results(&requests[2].body).join("\n");
    assert!(edit.contains("edited `draft.txt`"), "{edit}");
    assert_eq!(
        seen.writes(),
        [(draft.clone(), "second draft\n".to_string())]
    );
    let questions = seen.questions();
    assert_eq!(questions.len(), 1, "{questions:?}");
    assert_eq!(
        diffs(
            questions[0]
                .tool_call
                .fields
                .content
                .as_deref()
                .unwrap_or_default()
        ),
        [(draft, Some("first draft\n".into()), "second draft\n".into())],
        "the question shows the change to the unsaved buffer"
    );
    for (i, name) in [(3, "nowhere.txt"), (4, "gone.txt")] {
        let missing = tool_results(&requests[i].body).join("\n");
        assert!(
            missing.contains(&format!("`{name}` does not exist")),
            "a file neither on disk nor in the editor is still missing: {missing}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_editor_that_never_answers_a_read_fails_the_call_not_the_turn() {
    let (_ws, root) = workspace();
    let seen = Seen::silent_editor();
    let server = MockServer::start(vec![
        Reply::tool("read_file", json!({"path": "notes.txt"})),
        Reply::text("The editor is stuck."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let started = Instant::now();
    let turn = with_agent_args(
        home.path(),
        &root,
        &["--fs-timeout", "1"],
        seen.clone(),
        async |cx| {
            let id = new_session(&cx, &root).await?;
            prompt(&cx, &id, "read the notes").await
        },
    );
    let stop = tokio::time::timeout(Duration::from_secs(60), turn)
        .await
        .expect("the turn hangs on an editor that never answers");
    assert_eq!(stop, StopReason::EndTurn);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        seen.reads(),
        [root.join("notes.txt")],
        "the editor was asked"
    );
    let told = tool_results(&server.requests()[1].body).join("\n");
    assert!(
        told.contains("did not answer") && told.contains("1 s") && told.contains("notes.txt"),
        "the model is told the editor did not answer in time: {told}"
    );
}
