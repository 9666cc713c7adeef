//! The TUI end to end: the real binary in a pseudo-terminal against the mock model server, the
//! screen read back with vt100. Every wait polls the screen (or the server) with a deadline;
//! nothing relies on a fixed sleep.

mod support;

use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use support::pty::Pty;
use support::reins::{calc_workspace, home_for, Wire};
use support::{MockServer, Reply, Turn};

const WAIT: Duration = support::pty::WAIT;

/// A home whose config asks before commands (the TUI's default, said explicitly).
fn on_request_home(server: &MockServer) -> tempfile::TempDir {
    let home = home_for(server, Wire::OpenAi);
    let path = home.path().join("config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("approval = \"on-request\"\n{config}")).unwrap();
    home
}

/// Every message the model was sent, as text.
fn request_text(body: &serde_json::Value) -> String {
    body["messages"].to_string()
}

#[test]
fn a_prompt_streams_its_answer_and_quitting_restores_the_terminal() {
    let answer = "Here is the **plan**:\n\n1. read the code\n2. fix the bug\n\n```python\ndef add(a, b):\n    return a + b\n```\n\nAll done now.";
    let server = MockServer::start(vec![Reply::text(answer)]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let mut pty = Pty::spawn(home.path(), ws.path(), &[]);
    pty.wait_for("Ask reins");
    assert!(pty.alternate(), "the TUI runs on the alternate screen");
    pty.submit("explain calc");
    let screen = pty.wait_for("All done now.");
    assert!(screen.contains("› explain calc"), "{screen}");
    assert!(screen.contains("1. read the code"), "{screen}");
    assert!(screen.contains("def add(a, b):"), "{screen}");
    assert!(!screen.contains("```"), "fences are not shown: {screen}");
    pty.wait_until("the status line's cost", |s| s.contains("$0.0"));
    let code = pty.quit();
    assert_eq!(code, 0);
    assert!(!pty.alternate(), "the alternate screen was left");
}

#[test]
fn y_approves_a_command() {
    let ws = calc_workspace();
    let server = MockServer::start(vec![
        Reply::tool(
            "shell",
            json!({"command": "echo approved-run > marker.txt"}),
        ),
        Reply::text("Ran it."),
    ]);
    let home = on_request_home(&server);
    let mut pty = Pty::spawn(home.path(), ws.path(), &[]);
    pty.wait_for("Ask reins");
    pty.submit("make a marker");
    let screen = pty.wait_for("approve shell?");
    assert!(
        screen.contains("$ echo approved-run > marker.txt"),
        "{screen}"
    );
    // The modal ignores answers until it has been on screen a moment (type-ahead
    // protection); its keys show once they count.
    pty.wait_for("y once");
    pty.send(b"y");
    let screen = pty.wait_for("Ran it.");
    assert!(screen.contains("approved once"), "{screen}");
    assert!(screen.contains("→ exit 0"), "{screen}");
    assert!(ws.path().join("marker.txt").exists());
    pty.quit();
}

#[test]
fn n_denies_a_command_and_the_model_is_told_why() {
    let ws = calc_workspace();
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({"command": "rm -rf build"})),
        Reply::text("Understood, I will not delete it."),
    ]);
    let home = on_request_home(&server);
    let mut pty = Pty::spawn(home.path(), ws.path(), &[]);
    pty.wait_for("Ask reins");
    pty.submit("clean up");
    pty.wait_for("approve shell?");
    pty.wait_for("y once");
    pty.send(b"n");
    pty.wait_for("note to the model");
    pty.send(b"keep the build dir");
    pty.wait_for("keep the build dir");
    pty.send(b"\r");
    let screen = pty.wait_for("I will not delete it");
    assert!(screen.contains("denied: keep the build dir"), "{screen}");
    let reqs = server.wait_for_requests(2, WAIT);
    let second = request_text(&reqs[1].body);
    assert!(
        second.contains("not permitted: keep the build dir"),
        "{second}"
    );
    pty.quit();
}

#[test]
fn esc_interrupts_a_long_command() {
    let ws = calc_workspace();
    let finished = ws.path().join("finished");
    let marker = support::procs::unique_sleep(2);
    let server = MockServer::start(vec![Reply::tool(
        "shell",
        json!({"command": format!("sleep {marker} && touch {}", finished.display())}),
    )]);
    let home = home_for(&server, Wire::OpenAi);
    let path = home.path().join("config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("approval = \"never\"\n{config}")).unwrap();
    let mut pty = Pty::spawn(home.path(), ws.path(), &[]);
    pty.wait_for("Ask reins");
    pty.submit("wait a while");
    pty.wait_for("$ sleep ");
    assert!(
        support::procs::eventually(WAIT, || support::procs::processes_with(&marker) > 0),
        "the command never started"
    );
    let started = Instant::now();
    pty.send(b"\x1b");
    let screen = pty.wait_for("interrupted");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    assert!(screen.contains("→ interrupted"), "{screen}");
    // Gone from /proc: the command was killed, so it can never finish and touch the file.
    assert!(
        support::procs::eventually(WAIT, || support::procs::processes_with(&marker) == 0),
        "the command survived the interrupt"
    );
    pty.quit();
    assert!(!finished.exists());
}

#[test]
fn undo_restores_a_file_the_model_changed() {
    let ws = calc_workspace();
    let original = std::fs::read_to_string(ws.path().join("calc.py")).unwrap();
    let server = MockServer::start(vec![
        Reply::tool(
            "write_file",
            json!({"path": "calc.py", "content": "broken = True\n"}),
        ),
        Reply::text("Rewrote calc.py."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let mut pty = Pty::spawn(home.path(), ws.path(), &[]);
    pty.wait_for("Ask reins");
    pty.submit("rewrite calc");
    pty.wait_for("Rewrote calc.py.");
    pty.wait_idle();
    assert_eq!(
        std::fs::read_to_string(ws.path().join("calc.py")).unwrap(),
        "broken = True\n"
    );
    pty.send(b"/undo");
    pty.wait_for("restore the files");
    pty.send(b"\r");
    pty.wait_for("Restored");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("calc.py")).unwrap(),
        original
    );
    pty.quit();
}

#[test]
fn a_prompt_on_the_command_line_is_sent_at_once() {
    let server = MockServer::start(vec![Reply::Turn(Turn::text("Hello from the model."))]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let mut pty = Pty::spawn(home.path(), ws.path(), &["say hello"]);
    let screen = pty.wait_for("Hello from the model.");
    assert!(screen.contains("› say hello"), "{screen}");
    pty.quit();
}

#[test]
fn diff_review_reverts_one_hunk() {
    let ws = calc_workspace();
    let original = std::fs::read_to_string(ws.path().join("calc.py")).unwrap();
    let changed = format!("# reviewed\n{original}");
    let server = MockServer::start(vec![
        Reply::tool("write_file", json!({"path": "calc.py", "content": changed})),
        Reply::text("Added a header."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let mut pty = Pty::spawn(home.path(), ws.path(), &[]);
    pty.wait_for("Ask reins");
    pty.submit("add a header");
    pty.wait_for("Added a header.");
    pty.wait_idle();
    pty.send(b"/diff");
    pty.wait_for("review the session");
    pty.send(b"\r");
    let screen = pty.wait_for("r revert hunk");
    assert!(screen.contains("+# reviewed"), "{screen}");
    pty.send(b"r");
    pty.wait_for("reverted hunk 1 of calc.py");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("calc.py")).unwrap(),
        original
    );
    pty.send(b"q");
    pty.wait_for("Ask reins");
    // Undo after the revert must not bring the model's hunk back.
    pty.send(b"/undo");
    pty.wait_for("restore the files");
    pty.send(b"\r");
    pty.wait_for("nothing to undo");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("calc.py")).unwrap(),
        original
    );
    pty.quit();
}

#[test]
fn model_switches_mid_session_and_keeps_the_conversation() {
    let server = MockServer::start(vec![
        Reply::text("first answer"),
        Reply::text("second answer"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let path = home.path().join("config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    let fast =
        "\n[models.fast]\nprovider = \"mock\"\nname = \"fast-model\"\ncontext_window = 100000\n";
    std::fs::write(&path, format!("{config}{fast}")).unwrap();
    let ws = calc_workspace();
    let mut pty = Pty::spawn(home.path(), ws.path(), &[]);
    pty.wait_for("Ask reins");
    pty.submit("one");
    pty.wait_for("first answer");
    pty.wait_idle();
    pty.submit("/model fast");
    pty.wait_for("model: fast");
    pty.submit("two");
    pty.wait_for("second answer");
    let reqs = server.wait_for_requests(2, WAIT);
    assert_eq!(reqs[0].body["model"], "mock-model");
    assert_eq!(reqs[1].body["model"], "fast-model");
    assert!(
        request_text(&reqs[1].body).contains("first answer"),
        "the history is kept"
    );
    pty.quit();
}

#[test]
fn trust_asks_on_a_terminal_and_only_y_trusts() {
    let home = tempfile::tempdir().unwrap();
    let ws = calc_workspace();
    std::fs::create_dir_all(ws.path().join(".reins")).unwrap();
    std::fs::write(ws.path().join(".reins/config.toml"), "sandbox = \"full\"\n").unwrap();
    let trusted = |home: &Path| {
        let out = support::reins::reins(home)
            .args(["config", "show", "-C"])
            .arg(ws.path())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains("sandbox = \"full\"")
    };
    let mut pty = Pty::spawn_in(home.path(), ws.path(), &["trust"], 24, 200);
    let screen = pty.wait_for("[y/N]");
    assert!(screen.contains("sandbox = \"full\""), "{screen}");
    pty.send(b"\r");
    assert_eq!(pty.wait_exit(), 1, "Enter alone means no");
    assert!(!trusted(home.path()));
    let mut pty = Pty::spawn_in(home.path(), ws.path(), &["trust"], 24, 200);
    pty.wait_for("[y/N]");
    pty.send(b"y\r");
    assert_eq!(pty.wait_exit(), 0);
    assert!(trusted(home.path()));
}

#[test]
fn a_workspace_command_shadowing_the_users_is_reported_when_the_tui_opens() {
    let server = MockServer::start(vec![]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    for dir in [
        home.path().join("commands"),
        ws.path().join(".reins/commands"),
    ] {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ship.md"), "ship it").unwrap();
    }
    let mut pty = Pty::spawn_sized(home.path(), ws.path(), &[], 24, 200);
    let screen = pty.wait_for("is ignored");
    assert!(screen.contains("/ship is yours"), "{screen}");
    assert_eq!(pty.quit(), 0);
}

/// A reasoning model's summary streams into the TUI collapsed to one row; Ctrl+T shows it.
#[test]
fn reasoning_summaries_show_collapsed_and_ctrl_t_expands_them() {
    let turn = Turn::text("The bug is in add.")
        .with_reasoning("Reading calc.py shows add subtracts its arguments.");
    let server = MockServer::start(vec![Reply::Turn(turn)]);
    let home = home_for(&server, Wire::Responses);
    let path = home.path().join("config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    let config = config.replace(
        "name = \"mock-model\"",
        "name = \"mock-model\"\nreasoning = true",
    );
    std::fs::write(&path, config).unwrap();
    let ws = calc_workspace();
    let mut pty = Pty::spawn(home.path(), ws.path(), &[]);
    pty.wait_for("Ask reins");
    pty.submit("why does the test fail?");
    let screen = pty.wait_for("The bug is in add.");
    let screen = if screen.contains("reasoning · 1 line") {
        screen
    } else {
        pty.wait_for("reasoning · 1 line")
    };
    assert!(
        !screen.contains("add subtracts its arguments"),
        "collapsed by default: {screen}"
    );
    pty.send(b"\x14");
    let screen = pty.wait_for("add subtracts its arguments");
    assert!(screen.contains("◦ reasoning"), "{screen}");
    assert_eq!(pty.quit(), 0);
}
