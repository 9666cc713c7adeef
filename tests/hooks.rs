//! `[[hooks]]` as a session meets them through `reins exec`: a pre_tool hook that refuses a call,
//! a post_tool formatter, a stop hook that sends the model back to work, context added to the
//! prompt, and hooks that fail or hang without stopping the work.

mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use support::reins::{events, home_for, reins, Wire};
use support::{MockServer, Reply};

/// A `$REINS_HOME` whose model is `server` and whose config has the given `[[hooks]]`.
fn home_with_hooks(server: &MockServer, hooks: &str) -> tempfile::TempDir {
    let home = home_for(server, Wire::OpenAi);
    let path = home.path().join("config.toml");
    let mut config = std::fs::read_to_string(&path).expect("read config");
    config.push('\n');
    config.push_str(hooks);
    std::fs::write(&path, config).expect("write config");
    home
}

/// Runs `reins exec --json` in `ws`; the exit code must be 0.
fn exec(home: &Path, ws: &Path) -> Vec<Value> {
    let out = reins(home)
        .args(["exec", "--json", "-C"])
        .arg(ws)
        .arg("do the task")
        .output()
        .expect("run reins");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    events(&out.stdout)
}

/// The tool results the model got, from the last request.
fn tool_results(server: &MockServer) -> Vec<String> {
    messages(server, "tool")
}

/// The contents of the last request's messages with `role`.
fn messages(server: &MockServer, role: &str) -> Vec<String> {
    let requests = server.requests();
    let last = requests.last().expect("a request");
    last.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == role)
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn warnings(evs: &[Value]) -> Vec<String> {
    evs.iter()
        .filter(|e| e["type"] == "warning")
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_pre_tool_hook_refuses_the_call_and_the_model_gets_its_reason() {
    let model = MockServer::start(vec![
        Reply::tool("shell", json!({"command": "touch forbidden.txt"})),
        Reply::text("understood"),
    ]);
    let home = home_with_hooks(
        &model,
        r#"[[hooks]]
event = "pre_tool"
match = "shell"
command = "echo 'shell is off limits in this repo' >&2; exit 2"
"#,
    );
    let ws = tempfile::tempdir().expect("workspace");
    exec(home.path(), ws.path());
    assert_eq!(
        tool_results(&model),
        ["error: blocked by a hook: shell is off limits in this repo"]
    );
    assert!(!ws.path().join("forbidden.txt").exists());
}

#[test]
fn a_post_tool_formatter_changes_the_written_file_and_gets_the_event_as_json() {
    let model = MockServer::start(vec![
        Reply::tool(
            "write_file",
            json!({"path": "notes.txt", "content": "hello   \nworld\t\n"}),
        ),
        Reply::text("written"),
    ]);
    let home = home_with_hooks(
        &model,
        r#"[[hooks]]
event = "post_tool"
match = "write_file|edit_file"
command = "cat > hook-input.json; sed -i 's/[[:space:]]*$//' notes.txt"
timeout_ms = 10000

[[hooks]]
event = "post_tool"
match = "edit_file"
command = "touch not-for-write-file"
"#,
    );
    let ws = tempfile::tempdir().expect("workspace");
    let evs = exec(home.path(), ws.path());
    let text = std::fs::read_to_string(ws.path().join("notes.txt")).expect("notes.txt");
    assert_eq!(text, "hello\nworld\n");
    assert!(!ws.path().join("not-for-write-file").exists());

    let input: Value = serde_json::from_str(
        &std::fs::read_to_string(ws.path().join("hook-input.json")).expect("hook input"),
    )
    .expect("the hook got JSON");
    let session_id = evs
        .iter()
        .find(|e| e["type"] == "session.started")
        .map(|e| e["session_id"].clone())
        .expect("session.started");
    assert_eq!(input["event"], "post_tool");
    assert_eq!(input["session_id"], session_id);
    assert_eq!(input["tool"], "write_file");
    assert_eq!(input["arguments"]["path"], "notes.txt");
    assert_eq!(input["ok"], true);
    assert!(input["result"].is_string(), "{input}");
    let cwd = ws.path().canonicalize().expect("canonical workspace");
    assert_eq!(input["cwd"], cwd.display().to_string());
}

#[test]
fn a_stop_hook_sends_the_model_back_for_one_more_step() {
    let model = MockServer::start(vec![
        Reply::text("all done"),
        Reply::text("tests run, really done"),
    ]);
    let home = home_with_hooks(
        &model,
        r#"[[hooks]]
event = "stop"
command = "grep -q '\"stop_hook_active\":true' && exit 0; echo 'run the tests before you stop' >&2; exit 2"
"#,
    );
    let ws = tempfile::tempdir().expect("workspace");
    let evs = exec(home.path(), ws.path());
    assert_eq!(model.requests().len(), 2);
    let users = messages(&model, "user");
    assert_eq!(
        users.last().map(String::as_str),
        Some("run the tests before you stop")
    );
    let finished = evs.last().expect("events");
    assert_eq!(finished["status"], "done");
}

#[test]
fn a_hanging_hook_is_killed_at_its_timeout_and_the_work_goes_on() {
    let model = MockServer::start(vec![
        Reply::tool("shell", json!({"command": "echo ran > ran.txt"})),
        Reply::text("done"),
    ]);
    let marker = support::procs::unique_sleep(3);
    let hook = format!("sleep {marker}; touch too-late.txt");
    let home = home_with_hooks(
        &model,
        &format!("[[hooks]]\nevent = \"pre_tool\"\ncommand = \"{hook}\"\ntimeout_ms = 300\n"),
    );
    let ws = tempfile::tempdir().expect("workspace");
    let started = Instant::now();
    let evs = exec(home.path(), ws.path());
    assert!(started.elapsed() < Duration::from_secs(10));
    let warned = warnings(&evs);
    assert!(
        warned
            .iter()
            .any(|w| w.contains(&format!("pre_tool hook `{hook}` timed out after 300 ms"))),
        "{warned:?}"
    );
    assert!(ws.path().join("ran.txt").exists(), "the tool still ran");
    // Gone from /proc: the hook's process group was killed, so it can never reach the touch.
    assert!(
        support::procs::eventually(Duration::from_secs(5), || {
            support::procs::processes_with(&marker) == 0
        }),
        "the hook's process group outlived its timeout"
    );
    assert!(!ws.path().join("too-late.txt").exists());
}

#[test]
fn prompt_hooks_add_context_and_a_failing_hook_only_warns() {
    let model = MockServer::start(vec![
        Reply::tool("list_dir", json!({})),
        Reply::text("done"),
    ]);
    let home = home_with_hooks(
        &model,
        r#"[[hooks]]
event = "session_start"
command = "echo 'this team indents with tabs'"

[[hooks]]
event = "user_prompt"
command = "grep -q 'do the task' && echo 'the prompt was seen'"

[[hooks]]
event = "post_tool"
command = "echo 'linter broke' >&2; exit 1"
"#,
    );
    let ws = tempfile::tempdir().expect("workspace");
    let evs = exec(home.path(), ws.path());
    let first = messages(&model, "user").into_iter().next().expect("prompt");
    assert!(
        first.contains("<context source=\"hook\">\nthis team indents with tabs\n</context>"),
        "{first}"
    );
    assert!(
        first.contains("<context source=\"hook\">\nthe prompt was seen\n</context>"),
        "{first}"
    );
    let warned = warnings(&evs);
    assert!(
        warned
            .iter()
            .any(|w| w.contains("post_tool hook") && w.contains("exited with 1: linter broke")),
        "{warned:?}"
    );
    assert!(!tool_results(&model)[0].starts_with("error:"));
}

#[test]
fn a_hook_with_a_bad_match_regex_is_a_config_error() {
    let model = MockServer::start(vec![]);
    let home = home_with_hooks(
        &model,
        "[[hooks]]\nevent = \"pre_tool\"\nmatch = \"(\"\ncommand = \"true\"\n",
    );
    let ws = tempfile::tempdir().expect("workspace");
    let out = reins(home.path())
        .args(["exec", "-C"])
        .arg(ws.path())
        .arg("x")
        .output()
        .expect("run reins");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[[hooks]] entry 1 (`true`)"), "{err}");
}

#[test]
fn a_hook_does_not_run_a_bash_the_sandbox_could_have_planted_on_path() {
    use std::os::unix::fs::PermissionsExt;
    let model = MockServer::start(vec![Reply::text("nothing to do")]);
    let home = home_with_hooks(
        &model,
        "[[hooks]]\nevent = \"session_start\"\ncommand = \"echo hook context\"\n",
    );
    // The workspace is where a sandboxed command can plant a program (the shared temp dirs are
    // private or read-only to it).
    let ws = tempfile::tempdir().expect("workspace");
    let planted = ws.path().join("bin");
    std::fs::create_dir(&planted).expect("bin dir");
    let marker = ws.path().join("ran");
    let fake = planted.join("bash");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\necho ran > {}\n", marker.display()),
    )
    .expect("fake bash");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        planted.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = reins(home.path())
        .env("PATH", path)
        .args(["exec", "--json", "-C"])
        .arg(ws.path())
        .arg("do the task")
        .output()
        .expect("run reins");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(!marker.exists(), "the planted bash ran");
    let warned = warnings(&events(&out.stdout));
    assert!(
        warned
            .iter()
            .any(|w| w.contains("could not run") && w.contains("inside the workspace")),
        "{warned:?}"
    );
}
