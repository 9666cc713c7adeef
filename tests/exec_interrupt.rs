//! Ctrl-C during `reins exec`: the running tool is killed, the finished event is still written,
//! and the exit code is 130.

mod support;

use serde_json::json;
use std::io::Read;
use std::time::{Duration, Instant};
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
    let marker = ws.path().join("finished");
    let server = MockServer::start(vec![Reply::tool(
        "shell",
        json!({"command": format!("sleep 3 && touch {}", marker.display())}),
    )]);
    let home = home_for(&server, Wire::OpenAi);
    let child = spawn_exec(home.path(), ws.path(), "x");
    server.wait_for_requests(1, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(700));
    let (code, evs, took) = interrupt_and_collect(child);
    assert_eq!(code, Some(130));
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let result = evs
        .iter()
        .find(|e| e["type"] == "tool.result")
        .expect("tool.result");
    assert_eq!(result["ok"], false);
    assert!(result["output"].as_str().unwrap().contains("interrupted"));
    std::thread::sleep(Duration::from_secs(3));
    assert!(!marker.exists(), "the command survived the interrupt");
}
