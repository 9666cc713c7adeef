//! The approval modal in the app: the model's explanation stays in view, a repeated request is
//! numbered, and `p` saves an "always allow commands starting with …" rule in the user's own
//! files for the workspace (never in the repository) before answering.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use reins::agent::Event;
use reins::engine::{EngineHandle, UiMsg};
use reins::sandbox::approval::{Answer, Request};
use reins::tui::app::{App, AppContext};
use reins::tui::fuzzy::FileIndex;
use reins::tui::theme::Theme;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

fn app(root: &Path, home: Option<&Path>) -> App {
    let (ops, _rx) = mpsc::unbounded_channel();
    let (canceller, _) = reins::cancel::pair();
    let commands = reins::tui::commands::load(Path::new("/nonexistent"), None);
    let ctx = AppContext {
        root: root.into(),
        home: home.map(Path::to_path_buf),
        models: vec![],
        memory_cap: 16 * 1024,
        router: String::new(),
        ..AppContext::default()
    };
    let mut app = App::new(
        ctx,
        EngineHandle { ops, canceller },
        Theme::plain(),
        commands,
        FileIndex::fixed(vec![]),
    );
    app.on_engine(UiMsg::History(vec![]));
    app
}

fn shell_request(id: &str, command: &str) -> Request {
    Request {
        id: id.into(),
        tool: "shell".into(),
        arguments: json!({ "command": command }),
        reason: "`shell` is not covered by an allow rule".into(),
        always: String::new(),
    }
}

/// The model says what it will do, then calls `command`; the gate asks.
fn explained_call(app: &mut App, id: &str, command: &str) -> oneshot::Receiver<Answer> {
    app.on_engine(UiMsg::Event(Event::Message {
        role: "assistant".into(),
        text: "The tests fail in calc; I will run them to see the error.".into(),
    }));
    app.on_engine(UiMsg::Event(Event::ToolCall {
        call_id: id.into(),
        name: "shell".into(),
        arguments: json!({ "command": command }),
        kind: None,
        paths: Vec::new(),
    }));
    let (reply, answer) = oneshot::channel();
    app.on_engine(UiMsg::Approval {
        request: shell_request(id, command),
        reply,
    });
    answer
}

fn screen(app: &mut App) -> String {
    screen_at(app, Instant::now())
}

fn screen_at(app: &mut App, at: Instant) -> String {
    let mut t = Terminal::new(TestBackend::new(90, 24)).unwrap();
    t.draw(|f| app.draw(f, at)).unwrap();
    format!("{}", t.backend())
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// The modal takes answers once it has been on screen for a moment (type-ahead protection):
/// drawn now and again a second later by the frames' clock, it has been read.
fn read_the_modal(app: &mut App) -> String {
    let at = Instant::now();
    screen_at(app, at);
    screen_at(app, at + Duration::from_secs(1))
}

#[test]
fn the_modal_shows_the_explanation_and_numbers_a_repeated_request() {
    let ws = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut app = app(ws.path(), Some(home.path()));
    let first = explained_call(&mut app, "c1", "python3 -m unittest -v");
    let shown = read_the_modal(&mut app);
    insta::assert_snapshot!("approval_with_explanation", shown);
    app.on_key(key(KeyCode::Char('y')));
    assert_eq!(first.blocking_recv().unwrap(), Answer::Once);
    let _second = explained_call(&mut app, "c2", "python3 -m unittest -v");
    let again = screen(&mut app);
    assert!(again.contains("2nd identical request"), "{again}");
}

#[test]
fn p_saves_a_prefix_rule_for_the_workspace_in_the_users_home() {
    let ws = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut app = app(ws.path(), Some(home.path()));
    let answer = explained_call(&mut app, "c1", "cargo test --lib calc");
    read_the_modal(&mut app);
    app.on_key(key(KeyCode::Char('p')));
    let editing = screen(&mut app);
    assert!(
        editing.contains("always allow commands starting with: cargo test"),
        "{editing}"
    );
    app.on_key(key(KeyCode::Enter));
    assert_eq!(
        answer.blocking_recv().unwrap(),
        Answer::Rule {
            rule: "shell(cargo test*)".into()
        }
    );
    let file = reins::config::user_workspace::rules_path(home.path(), ws.path());
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(saved.contains("\"shell(cargo test*)\""), "{saved}");
    assert!(
        std::fs::read_dir(ws.path()).unwrap().next().is_none(),
        "nothing written to the workspace"
    );
    let rows = app.screen.transcript.plain_rows(200, 40).join("\n");
    assert!(rows.contains("saved `shell(cargo test*)`"), "{rows}");
}

#[test]
fn a_pipeline_gets_no_prefix_offer() {
    let ws = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut app = app(ws.path(), Some(home.path()));
    let _answer = explained_call(&mut app, "c1", "cat log | grep error");
    let shown = screen(&mut app);
    assert!(!shown.contains("starting with"), "{shown}");
}
