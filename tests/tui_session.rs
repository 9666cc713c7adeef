//! The TUI keeps its session's state across launches, end to end: the real binary in a
//! pseudo-terminal against the mock model server. Quitting prints how to resume; resuming shows
//! what the session spent; the prompts typed come back with Up in the next launch; a rule the
//! user approved from a prompt is saved in the user's files and applies at once and later.

mod support;

use serde_json::json;
use support::pty::Pty;
use support::reins::{calc_workspace, home_for, Wire};
use support::{MockServer, Reply, Turn};

/// The id in `reins --resume ID`, read from the screen left after quitting.
fn resume_id(screen: &str) -> String {
    let line = screen
        .lines()
        .find(|l| l.contains("reins --resume "))
        .unwrap_or_else(|| panic!("no resume hint after quitting:\n{screen}"));
    line.split("reins --resume ")
        .nth(1)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

#[test]
fn quitting_prints_the_resume_hint_and_resuming_restores_cost_and_history() {
    let server = MockServer::start(vec![Reply::text("First answer."), Reply::text("Second.")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let mut pty = Pty::spawn(home.path(), ws.path(), &[]);
    let welcome = pty.wait_for("model mock");
    assert!(welcome.contains("/help"), "{welcome}");
    pty.submit("explain calc");
    pty.wait_for("First answer.");
    let spent = pty.wait_until("the cost", |s| s.contains("$0.0"));
    let cost = spent
        .lines()
        .last()
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("$0.0")))
        .map(str::to_string)
        .unwrap_or_default();
    assert_eq!(pty.quit(), 0);
    assert!(!pty.alternate());
    let id = resume_id(&pty.screen());
    assert!(
        !ws.path().join(".reins").exists(),
        "nothing written to the repo"
    );

    let mut pty = Pty::spawn(home.path(), ws.path(), &["--resume", &id]);
    let screen = pty.wait_for(&format!("resumed session {id}"));
    assert!(screen.contains("› explain calc"), "{screen}");
    pty.wait_until("the earlier cost on the status line", |s| {
        s.lines().last().is_some_and(|l| l.contains(&cost))
    });
    pty.submit("/cost");
    let screen = pty.wait_for("1 requests");
    assert!(!screen.contains("no model requests yet"), "{screen}");
    pty.send(b"\x1b[A");
    pty.wait_until("the last prompt recalled", |s| {
        s.lines().any(|l| l.starts_with("› /cost"))
    });
    pty.send(b"\x1b[A");
    pty.wait_until("the first prompt recalled", |s| {
        s.lines()
            .filter(|l| l.starts_with("› explain calc"))
            .count()
            == 2
    });
    assert_eq!(pty.quit(), 0);
}

#[test]
fn a_prefix_rule_approved_once_holds_for_the_session_and_the_next_launches() {
    let ws = calc_workspace();
    let server = MockServer::start(vec![
        Reply::Turn(
            Turn::tool("shell", json!({"command": "ls -a"})).with_text("Listing the files first."),
        ),
        Reply::tool("shell", json!({"command": "ls -la"})),
        Reply::text("Listed twice."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let path = home.path().join("config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("approval = \"on-request\"\n{config}")).unwrap();
    let mut pty = Pty::spawn_sized(home.path(), ws.path(), &[], 30, 120);
    pty.wait_for("model mock");
    pty.submit("list");
    // The streamed text and the modal may land in different frames: wait for both.
    pty.wait_until("the model's text and the approval modal", |s| {
        s.contains("approve shell?")
            && s.contains("Listing the files first.")
            && s.contains("starting with `ls`")
    });
    // The modal ignores answers until it has been on screen a moment (type-ahead
    // protection); its keys show once they count.
    pty.wait_for("y once");
    pty.send(b"p");
    pty.wait_for("always allow commands starting with: ls");
    pty.send(b"\r");
    let screen = pty.wait_for("Listed twice.");
    assert!(!screen.contains("approve shell?"), "asked again: {screen}");
    assert!(screen.contains("$ ls -la"), "{screen}");
    assert_eq!(pty.quit(), 0);
    let shown = support::reins::reins(home.path())
        .args(["config", "show", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("shell(ls*)"), "{shown}");
    assert!(
        !ws.path().join(".reins").exists(),
        "nothing written to the repo"
    );
}
