//! The TUI's composer and slash commands end to end: the real binary in a pseudo-terminal against
//! the mock model server. A long paste is collapsed and sent whole, `@file` sends the file, the
//! readline keys edit the line, `/init` writes a starter AGENTS.md, and `/status` reports the
//! session with its MCP servers.

mod support;

use support::mcp::test_server_config;
use support::pty::{Pty, WAIT};
use support::reins::{calc_workspace, home_for, Wire};
use support::{MockServer, Reply};

/// Every message the model was sent, as text.
fn request_text(body: &serde_json::Value) -> String {
    body["messages"].to_string()
}

#[test]
fn a_long_paste_shows_as_a_placeholder_and_is_sent_whole() {
    let server = MockServer::start(vec![Reply::text("Got the log.")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let mut pty = Pty::spawn(home.path(), ws.path(), &[]);
    pty.wait_for("model mock");
    pty.send(b"why does this fail: ");
    pty.wait_for("why does this fail:");
    let log: String = (1..=300).map(|i| format!("log line {i:03}\n")).collect();
    pty.send(format!("\x1b[200~{log}\x1b[201~").as_bytes());
    let screen = pty.wait_for("[pasted 300 lines]");
    assert!(!screen.contains("log line 150"), "{screen}");
    pty.send(b"\r");
    pty.wait_for("Got the log.");
    let reqs = server.wait_for_requests(1, WAIT);
    let sent = request_text(&reqs[0].body);
    assert!(
        sent.contains("log line 001") && sent.contains("log line 300"),
        "the paste was not sent whole"
    );
    assert!(!sent.contains("[pasted 300 lines]"));
    pty.quit();
}

#[test]
fn at_file_sends_the_file_and_ctrl_u_clears_the_line() {
    let server = MockServer::start(vec![Reply::text("It subtracts.")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let calc = std::fs::read_to_string(ws.path().join("calc.py")).unwrap();
    let mut pty = Pty::spawn(home.path(), ws.path(), &[]);
    pty.wait_for("model mock");
    pty.send(b"some draft to throw away");
    pty.wait_for("throw away");
    pty.send(b"\x15");
    pty.wait_for("Ask reins");
    // The space after the path closes the completion list, so Enter sends.
    pty.send(b"what is wrong in @calc.py ");
    pty.wait_until("the path typed", |s| {
        s.contains("@calc.py") && !s.contains("throw away")
    });
    pty.send(b"\r");
    let screen = pty.wait_for("It subtracts.");
    assert!(screen.contains("attached calc.py"), "{screen}");
    let reqs = server.wait_for_requests(1, WAIT);
    let sent: serde_json::Value = reqs[0].body["messages"].clone();
    let user = sent
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string();
    let first_line = calc.lines().next().unwrap_or_default();
    assert!(user.contains("<attached_file path=\"calc.py\">"), "{user}");
    assert!(user.contains(first_line), "{user}");
    assert!(!user.contains("throw away"), "{user}");
    pty.quit();
}

#[test]
fn init_writes_agents_md_once_and_status_lists_the_mcp_servers() {
    let server = MockServer::start(vec![]);
    let home = support::mcp::home_with(&server, &test_server_config(""));
    let ws = calc_workspace();
    std::fs::write(ws.path().join("Makefile"), "test:\n\tpython3 -m unittest\n").unwrap();
    let mut pty = Pty::spawn_sized(home.path(), ws.path(), &[], 40, 160);
    pty.wait_for("model mock");
    pty.submit("/init");
    pty.wait_for("wrote ");
    let agents = std::fs::read_to_string(ws.path().join("AGENTS.md")).unwrap();
    assert!(agents.contains("- Test: `make test`"), "{agents}");
    std::fs::write(ws.path().join("AGENTS.md"), "my own notes\n").unwrap();
    pty.submit("/init");
    pty.wait_for("already exists");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("AGENTS.md")).unwrap(),
        "my own notes\n"
    );
    // The server starts in the background and /status shows its state at that moment, so ask
    // again until it is ready: on a loaded machine it can still be starting at the first ask.
    let deadline = std::time::Instant::now() + WAIT;
    let screen = loop {
        pty.submit("/status");
        let screen = pty.wait_for("approval:");
        if screen.contains("mcp:      test ready") || std::time::Instant::now() > deadline {
            break screen;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(screen.contains("mcp:      test ready"), "{screen}");
    for want in [
        "model:    mock",
        "sandbox:  workspace-write",
        "approval: on-request",
        "cost:",
    ] {
        assert!(screen.contains(want), "{want:?} missing:\n{screen}");
    }
    pty.quit();
}
