//! `/review` in the TUI does what `reins review` does: the scope is chosen (picker or words),
//! the change is reviewed by read-only engine sessions against the scripted model, findings are
//! held to the diff and confirmed by the verify pass, and the report shows in the transcript.
//! Once with the app on a test backend (the review's sessions real, on the mock server), once
//! through the binary in a pseudo-terminal.

mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use reins::cli::GlobalArgs;
use reins::engine::EngineHandle;
use reins::frontend::review::Launcher;
use reins::tui::app::{App, AppContext};
use reins::tui::fuzzy::FileIndex;
use reins::tui::theme::Theme;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::pty::{Pty, WAIT};
use support::reins::{home_for, Wire};
use support::{MockServer, Reply};

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const PRICE_PY: &str =
    "def total(items):\n    s = 0\n    for i in items:\n        s += i.price\n    return s\n";
const BUG: &str = "Loop skips the first item";

/// A repository with price.py committed, then an uncommitted off-by-one on line 3, and a
/// committed feature branch whose only change is a new file.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp repo");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join("price.py"), PRICE_PY).expect("write");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "prices"]);
    std::fs::write(
        dir.path().join("price.py"),
        PRICE_PY.replace("for i in items:", "for i in items[1:]:"),
    )
    .expect("write");
    dir
}

fn script(repo: &Path) -> Vec<Reply> {
    let text = std::fs::read_to_string(repo.join("price.py")).expect("read");
    let line3: Vec<&str> = text.lines().skip(2).take(1).collect();
    let id = reins::review::finding::stable_id("price.py", &line3, BUG);
    let finding = |path: &str, line: u32, title: &str| -> Value {
        json!({"path": path, "line_start": line, "line_end": line, "priority": "P1",
               "confidence": 0.9, "title": title,
               "explanation": "The slice skips the first item, so total() is short."})
    };
    vec![
        Reply::text(
            json!({"findings": [finding("price.py", 3, BUG), finding("ghost.py", 1, "Imagined file")],
                   "verdict": "incorrect", "summary": "Sums prices."})
            .to_string(),
        ),
        Reply::text(json!({"verdicts": [{"id": id, "confirmed": true, "reason": "it does"}]}).to_string()),
    ]
}

/// The first test sets REINS_HOME in this process; the two never overlap, so no thread
/// spawns a process while the environment changes.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn screen(app: &mut App) -> String {
    let mut t = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    t.draw(|f| app.draw(f, Instant::now())).expect("draw");
    format!("{}", t.backend())
}

/// The tools each request offered.
fn tools(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["function"]["name"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn review_from_the_app_picks_a_scope_and_shows_the_checked_findings() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(review_from_the_app());
}

async fn review_from_the_app() {
    let repo = repo();
    let server = MockServer::start(script(repo.path()));
    let home = home_for(&server, Wire::OpenAi);
    // This test binary's only test sets REINS_HOME, before anything reads it.
    std::env::set_var("REINS_HOME", home.path());
    std::env::set_var("MOCK_API_KEY", "sk-mock-secret-1234");
    std::env::set_var("NO_PROXY", "*");

    let (ops, _ops_rx) = tokio::sync::mpsc::unbounded_channel();
    let (canceller, _) = reins::cancel::pair();
    let (ui_tx, mut ui_rx) = tokio::sync::mpsc::unbounded_channel();
    let global = GlobalArgs {
        cd: Some(repo.path().to_path_buf()),
        ..GlobalArgs::default()
    };
    let mut app = App::new(
        AppContext {
            root: repo.path().to_path_buf(),
            review: Some(Launcher::new(global, ui_tx)),
            ..AppContext::default()
        },
        EngineHandle { ops, canceller },
        Theme::plain(),
        reins::tui::commands::load(repo.path(), None),
        FileIndex::fixed(vec![]),
    );

    // A wrong scope is refused with the usage.
    app.submit("/review yesterday".into());
    let text = app.screen.transcript.plain_rows(120, 60).join("\n");
    assert!(text.contains("usage: /review"), "{text}");

    // Bare /review offers the scopes; the default branch is found.
    app.submit("/review".into());
    let shown = screen(&mut app);
    assert!(shown.contains("review what?"), "{shown}");
    assert!(
        shown.contains("uncommitted") && shown.contains("left main"),
        "{shown}"
    );
    app.on_key(key(KeyCode::Enter));
    let text = app.screen.transcript.plain_rows(120, 60).join("\n");
    assert!(text.contains("reviewing uncommitted changes"), "{text}");

    let msg = tokio::time::timeout(Duration::from_secs(60), ui_rx.recv())
        .await
        .expect("the review's report in time")
        .expect("a message");
    app.on_engine(msg);
    let text = app.screen.transcript.plain_rows(120, 80).join("\n");
    assert!(
        text.contains("Review of uncommitted changes: has problems"),
        "{text}"
    );
    assert!(
        text.contains("[P1] price.py:3 Loop skips the first item"),
        "{text}"
    );
    assert!(
        !text.contains("Imagined file"),
        "an off-diff finding was shown: {text}"
    );
    assert!(text.contains("1 dropped"), "{text}");

    // The same checks as `reins review`: the review saw the diff with read-only tools, and a
    // second request (the verify pass) confirmed the finding.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "a review request and a verify request");
    let first = reqs[0].body["messages"].to_string();
    assert!(first.contains("for i in items[1:]:"), "{first}");
    let offered = tools(&reqs[0].body);
    assert!(offered.iter().any(|t| t == "read_file"), "{offered:?}");
    assert!(
        !offered.iter().any(|t| t == "shell" || t == "apply_patch"),
        "{offered:?}"
    );
    assert!(reqs[1].body["messages"].to_string().contains("confirmed"));
}

#[test]
fn review_in_the_terminal_ui_shows_the_report() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let repo = repo();
    let server = MockServer::start(script(repo.path()));
    let home = home_for(&server, Wire::OpenAi);
    let mut pty = Pty::spawn(home.path(), repo.path(), &[]);
    pty.wait_for("model mock");
    pty.submit("/review uncommitted");
    pty.wait_for("reviewing uncommitted changes");
    let screen = pty.wait_for("Loop skips the first item");
    assert!(screen.contains("[P1] price.py:3"), "{screen}");
    assert!(!screen.contains("Imagined file"), "{screen}");
    assert_eq!(server.wait_for_requests(2, WAIT).len(), 2);
    // The work tree is as it was: the review changes nothing.
    let text = std::fs::read_to_string(repo.path().join("price.py")).expect("read");
    assert!(text.contains("items[1:]"));
    pty.quit();
}
