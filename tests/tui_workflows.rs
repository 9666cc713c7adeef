//! Workflows as the TUI's slash commands: each appears as `/NAME` in the popup (driven through
//! the app with a test backend), and `/NAME VAR=VALUE… TEXT` runs it through the engine in the
//! real binary in a pseudo-terminal: a session of its own whose first request is the workflow's
//! prompt with its variables and the extra text, and whose tool list the workflow's guard holds.

mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use reins::engine::{EngineHandle, Op, UiMsg};
use reins::tui::app::{App, AppContext};
use reins::tui::fuzzy::FileIndex;
use reins::tui::theme::Theme;
use serde_json::json;
use std::path::Path;
use std::time::Instant;
use support::pty::{Pty, WAIT};
use support::reins::{calc_workspace, home_for, tool_results, Wire};
use support::{MockServer, Reply};

const FIX: &str = r#"description = "Make the failing tests pass"
prompt = "Make the tests in {{file}} pass without touching them."
tools = ["read_file"]
"#;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn app_for(ws: &Path) -> (App, tokio::sync::mpsc::UnboundedReceiver<Op>, Vec<String>) {
    let (tx, ops) = tokio::sync::mpsc::unbounded_channel();
    let (canceller, _) = reins::cancel::pair();
    let policy = reins::sandbox::SandboxPolicy::new(
        reins::sandbox::SandboxMode::WorkspaceWrite,
        false,
        ws,
        Vec::new(),
    );
    let (commands, warnings) = reins::tui::commands::load_checked(&policy, None);
    let ctx = AppContext {
        root: ws.to_path_buf(),
        home: None,
        models: vec!["mock".into()],
        memory_cap: 16 * 1024,
        router: String::new(),
        ..AppContext::default()
    };
    let mut app = App::new(
        ctx,
        EngineHandle { ops: tx, canceller },
        Theme::plain(),
        commands,
        FileIndex::fixed(vec![]),
    );
    app.on_engine(UiMsg::History(vec![]));
    (app, ops, warnings)
}

fn screen(app: &mut App) -> String {
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| app.draw(f, Instant::now())).unwrap();
    format!("{}", t.backend())
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
}

#[test]
fn each_workflow_is_a_slash_command_in_the_popup_and_goes_to_the_engine() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path().canonicalize().unwrap();
    write(&root.join(".reins/workflows/fix-tests.toml"), FIX);
    // A workflow cannot take a built-in's name: it is reported, and /help stays the built-in.
    write(
        &root.join(".reins/workflows/help.toml"),
        "description = \"not help\"\nprompt = \"x\"\n",
    );
    let (mut app, mut ops, warnings) = app_for(&root);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("help.toml") && w.contains("built-in")),
        "{warnings:?}"
    );
    typed(&mut app, "/fix");
    let shown = screen(&mut app);
    assert!(
        shown.contains("/fix-tests") && shown.contains("workflow: Make the failing"),
        "{shown}"
    );
    assert!(!shown.contains("not help"), "{shown}");
    typed(&mut app, "-tests file=test_calc.py be brief");
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let mut sent = Vec::new();
    while let Ok(op) = ops.try_recv() {
        sent.push(op);
    }
    assert_eq!(
        sent,
        vec![Op::Workflow {
            name: "fix-tests".into(),
            args: "file=test_calc.py be brief".into()
        }]
    );
    // The app waits for the workflow's turn like any other.
    typed(&mut app, "/fix-tests");
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert!(
        ops.try_recv().is_err(),
        "a second run while the first works"
    );
}

#[test]
fn a_workflow_runs_from_the_tui_in_its_own_guarded_session() {
    let server = MockServer::start(vec![
        Reply::tool(
            "write_file",
            json!({"path": "calc.py", "content": "broken\n"}),
        ),
        Reply::text("Fixed nothing: writing is not allowed here."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    write(&home.path().join("workflows/fix-tests.toml"), FIX);
    let ws = calc_workspace();
    let calc = std::fs::read_to_string(ws.path().join("calc.py")).unwrap();
    let mut pty = Pty::spawn(home.path(), ws.path(), &[]);
    pty.wait_for("model mock");
    pty.send(b"/fix-tests file=test_calc.py be brief");
    pty.wait_for("be brief");
    pty.send(b"\r");
    let screen = pty.wait_for("writing is not allowed here");
    assert!(
        screen.contains("workflow `fix-tests` runs in this new session"),
        "{screen}"
    );
    let reqs = server.wait_for_requests(2, WAIT);
    let first = reqs[0].body["messages"].to_string();
    assert!(
        first.contains("Make the tests in test_calc.py pass without touching them.")
            && first.contains("be brief")
            && first.contains("This job may use only these tools: read_file."),
        "{first}"
    );
    let results = tool_results(&reqs[1].body);
    assert!(
        results[0].contains("not permitted") || results[0].contains("fix-tests"),
        "{results:?}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("calc.py")).unwrap(),
        calc
    );
    // An unknown variable is refused with the workflow's own words, and the TUI is free again.
    pty.send(b"/fix-tests nope=1");
    pty.wait_for("nope=1");
    pty.send(b"\r");
    pty.wait_for("has no variable `nope`");
    pty.quit();
}
