//! Ctrl-C during `reins exec`: the running tool is killed, the finished event is still written,
//! and the exit code is 130.

mod support;

use serde_json::json;
use std::io::Read;
use std::time::{Duration, Instant};
use support::procs::{eventually, processes_with, unique_sleep};
use support::reins::{calc_workspace, events, home_for, spawn_exec, Wire};
use support::{MockServer, Reply};

fn interrupt_and_collect(
    mut child: std::process::Child,
) -> (Option<i32>, Vec<serde_json::Value>, Duration) {
    // SAFETY: signalling our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let start = Instant::now();
    let status = child.wait().expect("wait");
    let mut out = Vec::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_end(&mut out)
        .expect("read");
    (status.code(), events(&out), start.elapsed())
}

#[test]
fn interrupt_during_a_model_request_exits_130() {
    let server = MockServer::start(vec![Reply::Hang]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let child = spawn_exec(home.path(), ws.path(), "x");
    server.wait_for_requests(1, Duration::from_secs(10));
    let (code, evs, took) = interrupt_and_collect(child);
    assert_eq!(code, Some(130));
    assert!(took < Duration::from_secs(5));
    let last = evs.last().expect("events");
    assert_eq!(last["type"], "session.finished");
    assert_eq!(last["status"], "interrupted");
}

#[test]
fn interrupt_kills_the_running_command() {
    let ws = calc_workspace();
    let finished = ws.path().join("finished");
    let marker = unique_sleep(1);
    let server = MockServer::start(vec![Reply::tool(
        "shell",
        json!({"command": format!("sleep {marker} && touch {}", finished.display())}),
    )]);
    let home = home_for(&server, Wire::OpenAi);
    let child = spawn_exec(home.path(), ws.path(), "x");
    assert!(
        eventually(Duration::from_secs(20), || processes_with(&marker) > 0),
        "the command never started"
    );
    let (code, evs, took) = interrupt_and_collect(child);
    assert_eq!(code, Some(130));
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let result = evs
        .iter()
        .find(|e| e["type"] == "tool.result")
        .expect("tool.result");
    assert_eq!(result["ok"], false);
    assert!(result["output"].as_str().unwrap().contains("interrupted"));
    // Gone from /proc: the command was killed, so it can never finish and touch the file.
    assert!(
        eventually(Duration::from_secs(5), || processes_with(&marker) == 0),
        "the command survived the interrupt"
    );
    assert!(!finished.exists());
}

/// The events of the one transcript under `home`.
fn transcript_events(home: &std::path::Path) -> Vec<serde_json::Value> {
    let files: Vec<_> = std::fs::read_dir(home.join("sessions"))
        .expect("sessions dir")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .collect();
    assert_eq!(files.len(), 1, "one transcript");
    let text = std::fs::read_to_string(files[0].path()).expect("read transcript");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("transcript line is JSON"))
        .collect()
}

/// Starts a session whose shell command leaves children in the background (plain, `setsid`,
/// double-forked) and waits until all of them run; returns the child, the marker and the home.
fn session_with_background_children(
    tag: u32,
) -> (
    std::process::Child,
    String,
    tempfile::TempDir,
    tempfile::TempDir,
    MockServer,
) {
    let marker = unique_sleep(tag);
    let ws = calc_workspace();
    // A `setsid` child leaves the command's process group: only a PID namespace holds it.
    let policy = reins::sandbox::SandboxPolicy::new(
        reins::sandbox::SandboxMode::WorkspaceWrite,
        false,
        ws.path(),
        Vec::new(),
    );
    let escapes = if policy
        .weaknesses()
        .iter()
        .any(|w| w.contains("PID namespace"))
    {
        eprintln!("not tried: a `setsid` child (this machine lacks a PID namespace)");
        String::new()
    } else {
        format!("setsid sleep {marker} & ")
    };
    let command = format!("sleep {marker} & {escapes}(sleep {marker} &); sleep {marker}");
    let server = MockServer::start(vec![Reply::tool("shell", json!({ "command": command }))]);
    let home = home_for(&server, Wire::OpenAi);
    let child = spawn_exec(home.path(), ws.path(), "x");
    assert!(
        eventually(Duration::from_secs(20), || processes_with(&marker)
            >= 3 + usize::from(!escapes.is_empty())),
        "the command's processes did not start"
    );
    (child, marker, home, ws, server)
}

fn signal_and_check(sig: i32, times: usize, expected_code: i32, tag: u32) {
    let (mut child, marker, home, _ws, _server) = session_with_background_children(tag);
    for _ in 0..times {
        // SAFETY: signalling our own child process.
        unsafe {
            libc::kill(child.id() as i32, sig);
        }
    }
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(expected_code));
    assert!(
        eventually(Duration::from_secs(5), || processes_with(&marker) == 0),
        "{} process(es) of the command survived reins",
        processes_with(&marker)
    );
    if times == 1 {
        let mut out = Vec::new();
        child
            .stdout
            .take()
            .expect("stdout")
            .read_to_end(&mut out)
            .expect("read");
        let last = events(&out).pop().expect("events");
        assert_eq!(last["type"], "session.finished");
        assert_eq!(last["status"], "interrupted");
        let recorded = transcript_events(home.path());
        let finished = recorded.last().expect("transcript lines");
        assert_eq!(finished["type"], "session.finished", "{finished}");
        assert_eq!(finished["status"], "interrupted");
    }
}

#[test]
fn sigterm_ends_the_session_like_an_interrupt_and_exits_143() {
    signal_and_check(libc::SIGTERM, 1, 143, 1);
}

#[test]
fn sighup_ends_the_session_like_an_interrupt_and_exits_129() {
    signal_and_check(libc::SIGHUP, 1, 129, 2);
}

#[test]
fn sigint_kills_every_background_child_too() {
    signal_and_check(libc::SIGINT, 1, 130, 3);
}

#[test]
fn two_signals_back_to_back_leave_nothing_running() {
    signal_and_check(libc::SIGTERM, 2, 143, 4);
}

/// A wind-down that cannot finish (the `-o` file is a FIFO nobody reads, so writing the answer
/// blocks): the second signal still ends reins at once, by the path that kills what is left.
#[test]
fn a_second_signal_ends_a_stuck_wind_down_at_once() {
    use std::io::BufRead;
    let marker = unique_sleep(5);
    let ws = calc_workspace();
    let fifo = ws.path().join("answer.fifo");
    let c = std::ffi::CString::new(fifo.to_str().expect("utf-8 path")).expect("path");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let server = MockServer::start(vec![Reply::tool(
        "shell",
        json!({ "command": format!("sleep {marker} & sleep {marker}") }),
    )]);
    let home = home_for(&server, Wire::OpenAi);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reins"))
        .env("REINS_HOME", home.path())
        .env("MOCK_API_KEY", "k")
        .env("NO_PROXY", "*")
        .args(["exec", "--json", "-o"])
        .arg(&fifo)
        .arg("-C")
        .arg(ws.path())
        .arg("x")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn reins");
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            sink.lock().expect("lock").push(line);
        }
    });
    assert!(
        eventually(Duration::from_secs(20), || processes_with(&marker) >= 2),
        "the command did not start"
    );
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(
        eventually(Duration::from_secs(10), || lines
            .lock()
            .expect("lock")
            .iter()
            .any(|l| l.contains("session.finished"))),
        "the session did not finish"
    );
    // SAFETY: as above.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(143));
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    assert!(err.contains("exiting at once"), "{err}");
    assert!(
        eventually(Duration::from_secs(5), || processes_with(&marker) == 0),
        "the command survived"
    );
}
