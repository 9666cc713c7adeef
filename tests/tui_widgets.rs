//! The TUI's widgets drawn to ratatui's `TestBackend` and pinned with insta snapshots: the
//! transcript with every kind of cell, the composer and its completion lists, the approval modal,
//! the diff view and the status line, at 80×24 and in a wide terminal.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;
use reins::agent::Event;
use reins::agent::Status as TurnStatus;
use reins::engine::{EngineHandle, UiMsg};
use reins::sandbox::approval::Request;
use reins::tui::app::{App, AppContext};
use reins::tui::approval::ApprovalModal;
use reins::tui::diff_view::DiffView;
use reins::tui::fuzzy::FileIndex;
use reins::tui::status::Status;
use reins::tui::theme::Theme;
use reins::tui::transcript::{Level, Transcript};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

const ANSWER: &str = "## The fix\n\nThe `add` function **subtracted**. I changed:\n\n1. `calc.py`: `a - b` → `a + b`\n2. nothing else\n   - the tests were right\n\n```python\ndef add(a, b):\n    return a + b\n```\n\n> Run `python3 -m unittest` to check.";

fn terminal(w: u16, h: u16) -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(w, h)).unwrap()
}

fn app() -> App {
    let (ops, _rx) = mpsc::unbounded_channel();
    let (canceller, _) = reins::cancel::pair();
    let engine = EngineHandle { ops, canceller };
    let ctx = AppContext {
        root: "/nonexistent".into(),
        home: None,
        models: vec!["mock".into(), "fast".into()],
        memory_cap: 16 * 1024,
        router: String::new(),
        ..AppContext::default()
    };
    let commands = reins::tui::commands::load(Path::new("/nonexistent"), None);
    let files = FileIndex::fixed(vec![
        "README.md".into(),
        "calc.py".into(),
        "src/lib.rs".into(),
        "src/main.rs".into(),
        "test_calc.py".into(),
    ]);
    App::new(ctx, engine, Theme::plain(), commands, files)
}

fn event(app: &mut App, e: Event) {
    app.on_engine(UiMsg::Event(e));
}

fn calc_diff() -> String {
    reins::diff::unified(
        "calc.py",
        Some("def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n"),
        Some(
            "def add(a, b):\n    # fixed\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
        ),
    )
}

/// A whole turn: a prompt, streamed text, three tool calls, the answer and its usage.
fn played_turn(app: &mut App) {
    app.on_engine(UiMsg::History(vec![]));
    app.on_engine(UiMsg::State(reins::engine::SessionState {
        id: "s1".into(),
        model: "mock".into(),
        approval: reins::sandbox::approval::Approval::OnRequest,
        sandbox: reins::sandbox::SandboxMode::WorkspaceWrite,
        context: reins::agent::session_control::ContextFill {
            tokens: 0,
            window: None,
        },
        cost: None,
    }));
    event(
        app,
        Event::SessionStarted {
            session_id: "s1".into(),
            cwd: "/w".into(),
            model: "mock".into(),
        },
    );
    app.submit("the tests in calc fail; fix them".into());
    event(
        app,
        Event::Route {
            step: 1,
            model: "mock".into(),
            reason: "plan: the configured default model".into(),
            kind: None,
        },
    );
    event(
        app,
        Event::TextDelta {
            text: "Looking at ".into(),
        },
    );
    event(
        app,
        Event::TextDelta {
            text: "`calc.py` first.".into(),
        },
    );
    event(
        app,
        Event::Message {
            role: "assistant".into(),
            text: "Looking at `calc.py` first.".into(),
        },
    );
    event(
        app,
        Event::ToolCall {
            call_id: "c1".into(),
            name: "read_file".into(),
            arguments: json!({"path": "calc.py"}),
            kind: None,
            paths: Vec::new(),
        },
    );
    event(
        app,
        Event::ToolResult {
            call_id: "c1".into(),
            name: "read_file".into(),
            ok: true,
            output: "def add(a, b):\n    return a - b\n".into(),
            exit_code: None,
            changed_paths: vec![],
            denied: false,
        },
    );
    event(
        app,
        Event::ToolCall {
            call_id: "c2".into(),
            name: "shell".into(),
            arguments: json!({"command": "python3 -m unittest"}),
            kind: None,
            paths: Vec::new(),
        },
    );
    event(
        app,
        Event::ToolResult {
            call_id: "c2".into(),
            name: "shell".into(),
            ok: true,
            output: "exit code: 1\nFAIL: test_add (test_calc.AddTest)\nAssertionError: -1 != 5"
                .into(),
            exit_code: Some(1),
            changed_paths: vec![],
            denied: false,
        },
    );
    event(
        app,
        Event::ToolCall {
            call_id: "c3".into(),
            name: "edit_file".into(),
            arguments: json!({"path": "calc.py", "old_string": "a - b", "new_string": "a + b"}),
            kind: None,
            paths: Vec::new(),
        },
    );
    event(
        app,
        Event::ToolResult {
            call_id: "c3".into(),
            name: "edit_file".into(),
            ok: true,
            output: format!("edited `calc.py`\n{}", calc_diff()),
            exit_code: None,
            changed_paths: vec!["calc.py".into()],
            denied: false,
        },
    );
    event(
        app,
        Event::Usage {
            model: "mock".into(),
            input_tokens: 12_000,
            cached_input_tokens: 8_000,
            cache_write_tokens: 0,
            output_tokens: 450,
            reasoning_tokens: 0,
            cost_usd: Some(0.0123),
        },
    );
    event(
        app,
        Event::Message {
            role: "assistant".into(),
            text: ANSWER.into(),
        },
    );
    app.on_engine(UiMsg::State(reins::engine::SessionState {
        id: "s1".into(),
        model: "mock".into(),
        approval: reins::sandbox::approval::Approval::OnRequest,
        sandbox: reins::sandbox::SandboxMode::WorkspaceWrite,
        context: reins::agent::session_control::ContextFill {
            tokens: 12_000,
            window: Some(100_000),
        },
        cost: Some(0.0123),
    }));
    app.on_engine(UiMsg::TurnDone {
        status: TurnStatus::Done,
        last_message: String::new(),
    });
}

fn draw(app: &mut App, w: u16, h: u16, now: Instant) -> Terminal<TestBackend> {
    let mut t = terminal(w, h);
    t.draw(|f| app.draw(f, now)).unwrap();
    t
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(key(KeyCode::Char(c)));
    }
}

#[test]
fn a_turn_at_80x24() {
    let mut app = app();
    played_turn(&mut app);
    insta::assert_snapshot!(draw(&mut app, 80, 24, Instant::now()).backend());
}

#[test]
fn a_turn_in_a_wide_terminal() {
    let mut app = app();
    played_turn(&mut app);
    insta::assert_snapshot!(draw(&mut app, 140, 40, Instant::now()).backend());
}

#[test]
fn a_tool_call_expands_on_enter() {
    let mut app = app();
    played_turn(&mut app);
    app.on_key(key(KeyCode::Tab));
    app.on_key(key(KeyCode::Enter));
    app.on_key(key(KeyCode::Up));
    app.on_key(key(KeyCode::Enter));
    insta::assert_snapshot!(draw(&mut app, 80, 40, Instant::now()).backend());
}

#[test]
fn transcript_with_every_cell_kind() {
    let mut t = Transcript::new(Theme::plain());
    t.push_user("fix the failing test\nand explain why it failed");
    t.edit(|c| c.assistant_message(ANSWER));
    t.edit(|c| {
        c.tool_call(
            "c1",
            "read_file",
            json!({"path": "src/lib.rs", "offset": 10, "limit": 40}),
        )
    });
    t.edit(|c| c.update_tool("c1", |c| c.result = Some((true, "...".into()))));
    t.edit(|c| c.tool_call("c2", "shell", json!({"command": "cargo test"})));
    t.edit(|c| {
        c.update_tool("c2", |c| {
            c.result = Some((true, "exit code: 101\nerror: test failed".into()))
        })
    });
    t.edit(|c| c.tool_call("c3", "edit_file", json!({"path": "calc.py"})));
    t.edit(|c| {
        c.update_tool("c3", |c| {
            c.result = Some((true, format!("edited `calc.py`\n{}", calc_diff())));
            c.expanded = true;
        })
    });
    t.edit(|c| c.tool_call("c4", "grep", json!({"pattern": "fn main", "path": "src"})));
    t.edit(|c| c.tool_call("c5", "read_file", json!({"path": "missing.rs"})));
    t.edit(|c| {
        c.update_tool("c5", |c| {
            c.result = Some((false, "error: `missing.rs` does not exist".into()))
        })
    });
    t.push_note(
        Level::Info,
        "compacted the conversation: ~90000 → ~12000 tokens",
    );
    t.push_note(Level::Warning, "interrupted");
    t.push_note(
        Level::Error,
        "HTTP 401 from the provider. Check the API key",
    );
    let mut term = terminal(80, 60);
    term.draw(|f| t.render(f.area(), f.buffer_mut())).unwrap();
    insta::assert_snapshot!(term.backend());
}

#[test]
fn streaming_markdown_shows_the_open_tail() {
    let mut t = Transcript::new(Theme::plain());
    for piece in [
        "# Pl",
        "an\n\n- read",
        " the code\n- run",
        " the tests\n\n```rust\nfn ma",
        "in() {\n",
    ] {
        t.edit(|c| c.text_delta(piece));
    }
    let mut term = terminal(60, 12);
    term.draw(|f| t.render(f.area(), f.buffer_mut())).unwrap();
    insta::assert_snapshot!(term.backend());
}

#[test]
fn scrolled_up_the_view_stays_put_while_text_arrives() {
    let mut t = Transcript::new(Theme::plain());
    for i in 0..30 {
        t.push_user(&format!("message {i}"));
    }
    let before = t.plain_rows(40, 10);
    t.view.scroll_up(5);
    let scrolled = t.plain_rows(40, 10);
    assert_ne!(before, scrolled);
    t.edit(|c| c.text_delta("new text\n\nmore new text"));
    assert_eq!(
        t.plain_rows(40, 10),
        scrolled,
        "a scrolled view does not move"
    );
    t.view.scroll_to_bottom();
    assert!(t
        .plain_rows(40, 10)
        .iter()
        .any(|r| r.contains("more new text")));
}

#[test]
fn composer_empty_multiline_and_lists() {
    let mut app = app();
    app.on_engine(UiMsg::History(vec![]));
    let t0 = Instant::now();
    let empty = draw(&mut app, 80, 12, t0);
    insta::assert_snapshot!("composer_empty", empty.backend());

    typed(&mut app, "first line");
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::SHIFT));
    typed(
        &mut app,
        "second line, long enough to wrap around the edge of an eighty column terminal",
    );
    insta::assert_snapshot!("composer_multiline", draw(&mut app, 80, 12, t0).backend());

    let mut app = self::app();
    typed(&mut app, "/co");
    insta::assert_snapshot!("composer_commands", draw(&mut app, 80, 16, t0).backend());

    let mut app = self::app();
    typed(&mut app, "look at @calc");
    insta::assert_snapshot!("composer_files", draw(&mut app, 80, 16, t0).backend());
}

#[test]
fn approval_modal_for_a_command_and_for_an_edit() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("calc.py"),
        "def add(a, b):\n    return a - b\n",
    )
    .unwrap();
    let shell = Request {
        id: "c1".into(),
        tool: "shell".into(),
        arguments: json!({"command": "cargo publish --dry-run"}),
        reason: "`shell` is not covered by an allow rule".into(),
        always: String::new(),
    };
    let mut t = terminal(80, 24);
    let mut m = ApprovalModal::new(shell, ws.path(), &Theme::plain());
    let at = Instant::now();
    t.draw(|f| m.render(f.area(), f.buffer_mut(), &Theme::plain(), at))
        .unwrap();
    assert!(
        format!("{}", t.backend()).contains("the answer keys work in a moment"),
        "{}",
        t.backend()
    );
    t.draw(|f| m.render(f.area(), f.buffer_mut(), &Theme::plain(), at + READ))
        .unwrap();
    insta::assert_snapshot!("approval_command", t.backend());

    let edit = Request {
        id: "c2".into(),
        tool: "edit_file".into(),
        arguments: json!({"path": "calc.py", "old_string": "a - b", "new_string": "a + b"}),
        reason: "approval = untrusted asks before every write and command not allowed by a rule"
            .into(),
        always: String::new(),
    };
    let mut m = ApprovalModal::new(edit, ws.path(), &Theme::plain());
    let mut t = terminal(80, 24);
    let at = Instant::now();
    t.draw(|f| m.render(f.area(), f.buffer_mut(), &Theme::plain(), at))
        .unwrap();
    t.draw(|f| m.render(f.area(), f.buffer_mut(), &Theme::plain(), at + READ))
        .unwrap();
    m.handle_key(key(KeyCode::Char('n')));
    for c in "use sub instead".chars() {
        m.handle_key(key(KeyCode::Char(c)));
    }
    t.draw(|f| m.render(f.area(), f.buffer_mut(), &Theme::plain(), at + READ))
        .unwrap();
    insta::assert_snapshot!("approval_edit_with_note", t.backend());
}

#[test]
fn an_approval_request_opens_the_modal_and_y_answers_it() {
    let mut app = app();
    let (reply, answer) = oneshot::channel();
    app.on_engine(UiMsg::Approval {
        request: Request {
            id: "c1".into(),
            tool: "shell".into(),
            arguments: json!({"command": "make"}),
            reason: "`shell` is not covered by an allow rule".into(),
            always: String::new(),
        },
        reply,
    });
    let at = Instant::now();
    let screen = draw(&mut app, 80, 24, at);
    assert!(format!("{}", screen.backend()).contains("approve shell?"));
    // Typed before the modal was on screen long enough to read: ignored.
    app.on_key(key(KeyCode::Char('y')));
    draw(&mut app, 80, 24, at + READ);
    app.on_key(key(KeyCode::Char('y')));
    assert_eq!(
        answer.blocking_recv().unwrap(),
        reins::sandbox::approval::Answer::Once
    );
}

#[test]
fn diff_view_with_files_and_hunks() {
    let mut d = calc_diff();
    d.push_str(&reins::diff::unified(
        "notes.md",
        None,
        Some("# Notes\n\nnew file\n"),
    ));
    let mut view = DiffView::new(&d, "/nonexistent".into());
    let mut t = terminal(80, 24);
    t.draw(|f| view.render(f.area(), f.buffer_mut(), &Theme::plain()))
        .unwrap();
    insta::assert_snapshot!("diff_view_80x24", t.backend());
    view.handle_key(key(KeyCode::Char('n')));
    let mut t = terminal(120, 20);
    t.draw(|f| view.render(f.area(), f.buffer_mut(), &Theme::plain()))
        .unwrap();
    insta::assert_snapshot!("diff_view_second_file_wide", t.backend());
}

#[test]
fn status_line_idle_working_and_narrow() {
    let mut s = Status {
        model: "claude-sonnet-4-5".into(),
        reason: "plan: escalated after two failed steps".into(),
        window: Some(200_000),
        ..Status::default()
    };
    s.add_usage("claude-sonnet-4-5", 50_000, 40_000, 1_200, Some(0.0421));
    let t0 = Instant::now();
    let mut rows = Vec::new();
    for (w, working) in [(120u16, false), (120, true), (80, true), (50, false)] {
        s.working_since = working.then_some(t0);
        let mut t = terminal(w, 1);
        let now = t0 + Duration::from_secs(75);
        t.draw(|f| s.render(f.area(), f.buffer_mut(), &Theme::plain(), now))
            .unwrap();
        rows.push(format!("{}", t.backend()));
    }
    insta::assert_snapshot!(rows.join(""));
}

#[test]
fn working_shows_the_spinner_and_elapsed_time() {
    let mut app = app();
    app.on_engine(UiMsg::History(vec![]));
    app.submit("run the tests".into());
    let t0 = app.screen.status.working_since.unwrap();
    event(
        &mut app,
        Event::Route {
            step: 1,
            model: "mock".into(),
            reason: "plan: pinned with --model mock".into(),
            kind: None,
        },
    );
    event(
        &mut app,
        Event::TextDelta {
            text: "Running them now".into(),
        },
    );
    insta::assert_snapshot!(draw(&mut app, 80, 10, t0 + Duration::from_secs(12)).backend());
}

#[test]
fn no_color_draws_without_colours() {
    let mut app = app();
    played_turn(&mut app);
    let t = draw(&mut app, 80, 24, Instant::now());
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, Color::Reset, "{cell:?}");
    }
}

#[test]
fn a_resize_redraws_at_the_new_size() {
    let mut app = app();
    played_turn(&mut app);
    let mut t = terminal(80, 24);
    t.draw(|f| app.draw(f, Instant::now())).unwrap();
    t.backend_mut().resize(50, 16);
    t.draw(|f| app.draw(f, Instant::now())).unwrap();
    insta::assert_snapshot!(t.backend());
}

#[test]
fn ctrl_c_twice_on_an_idle_composer_quits() {
    let mut app = app();
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    typed(&mut app, "draft");
    app.on_key(ctrl_c);
    assert!(!app.should_quit());
    assert!(
        app.screen.composer.is_empty(),
        "the first Ctrl+C clears the draft"
    );
    app.on_key(ctrl_c);
    assert!(app.should_quit());
}

#[test]
fn help_lists_commands_and_custom_ones() {
    let ws = tempfile::tempdir().unwrap();
    let dir = ws.path().join(".reins/commands");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("audit.md"), "Review $ARGUMENTS carefully").unwrap();
    let commands = reins::tui::commands::load(ws.path(), None);
    let (ops, mut rx) = mpsc::unbounded_channel();
    let (canceller, _) = reins::cancel::pair();
    let mut app = App::new(
        AppContext {
            root: ws.path().into(),
            ..AppContext::default()
        },
        EngineHandle { ops, canceller },
        Theme::plain(),
        commands,
        FileIndex::fixed(vec![]),
    );
    app.submit("/help".into());
    let rows = app.screen.transcript.plain_rows(100, 40).join("\n");
    assert!(rows.contains("/audit"), "{rows}");
    assert!(rows.contains("/memory"), "{rows}");
    app.submit("/audit src/a.rs".into());
    match rx.try_recv() {
        Ok(reins::engine::Op::Prompt(p)) => assert_eq!(p.text, "Review src/a.rs carefully"),
        other => panic!("expected the expanded prompt, got {other:?}"),
    }
}

#[test]
fn a_resumed_session_shows_its_history() {
    use reins::conversation::{Item, ToolCall};
    let mut app = app();
    app.on_engine(UiMsg::History(vec![
        Item::user("<environment>\nworkspace: /w\n</environment>\n\nfix calc"),
        Item::Assistant {
            text: "Reading it.".into(),
            tool_calls: vec![ToolCall {
                id: "c1".into(),
                name: "read_file".into(),
                arguments: r#"{"path":"calc.py"}"#.into(),
            }],
            reasoning: Vec::new(),
        },
        Item::ToolResult {
            call_id: "c1".into(),
            name: "read_file".into(),
            output: "def add".into(),
            is_error: false,
            images: Vec::new(),
        },
    ]));
    let rows = app.screen.transcript.plain_rows(60, 10).join("\n");
    assert!(rows.contains("› fix calc"), "{rows}");
    assert!(!rows.contains("environment"), "{rows}");
    assert!(rows.contains("• read calc.py"), "{rows}");
}

#[test]
fn the_mouse_wheel_scrolls_the_transcript() {
    use crossterm::event::{Event as TermEvent, MouseEvent, MouseEventKind};
    let mut app = app();
    for i in 0..40 {
        app.screen.transcript.push_user(&format!("message {i}"));
    }
    draw(&mut app, 60, 12, Instant::now());
    assert!(app.screen.transcript.view.is_following());
    let wheel = |kind| {
        TermEvent::Mouse(MouseEvent {
            kind,
            column: 5,
            row: 3,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.on_terminal(wheel(MouseEventKind::ScrollUp));
    assert!(!app.screen.transcript.view.is_following());
    app.on_terminal(wheel(MouseEventKind::ScrollDown));
    assert!(app.screen.transcript.view.is_following());
}

/// Long enough on screen for the approval modal to take answers (type-ahead protection): the
/// frames are drawn at times the test picks, so no test waits for it.
const READ: std::time::Duration = std::time::Duration::from_secs(1);

fn plan(steps: &[(&str, &str)]) -> Event {
    serde_json::from_value(json!({
        "type": "plan",
        "steps": steps.iter().map(|(s, st)| json!({"step": s, "status": st})).collect::<Vec<_>>(),
    }))
    .unwrap()
}

fn screen_rows(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

/// `plan` events draw a live checklist right above the composer's rule; each update replaces it,
/// and a plan with every step done gives its rows back to the transcript with a note.
#[test]
fn the_plan_is_a_live_checklist_above_the_composer() {
    let mut app = app();
    played_turn(&mut app);
    event(
        &mut app,
        plan(&[
            ("Read calc.py", "done"),
            ("Fix add", "in_progress"),
            ("Run the tests", "pending"),
        ]),
    );
    let t = draw(&mut app, 80, 24, Instant::now());
    insta::assert_snapshot!(t.backend());
    let rows = screen_rows(&t);
    let rule = rows
        .iter()
        .rposition(|r| r.starts_with("───"))
        .expect("the rule");
    assert!(rows[rule - 4].starts_with("plan 1/3 done"), "{rows:#?}");
    assert!(rows[rule - 3].starts_with(" [x] Read calc.py"), "{rows:#?}");
    assert!(rows[rule - 2].starts_with(" [~] Fix add"), "{rows:#?}");
    assert!(
        rows[rule - 1].starts_with(" [ ] Run the tests"),
        "{rows:#?}"
    );

    event(
        &mut app,
        plan(&[
            ("Read calc.py", "done"),
            ("Fix add", "done"),
            ("Run the tests", "done"),
        ]),
    );
    let rows = screen_rows(&draw(&mut app, 80, 24, Instant::now()));
    assert!(!rows.iter().any(|r| r.starts_with("plan ")), "{rows:#?}");
    assert!(
        rows.iter().any(|r| r.contains("plan done: all 3 steps")),
        "{rows:#?}"
    );
}

/// Streamed reasoning shows as one collapsed row (its latest line while it streams, its length
/// once done) above the answer; Ctrl+T expands every reasoning cell, and again collapses them.
#[test]
fn reasoning_streams_collapsed_and_ctrl_t_expands_it() {
    let mut app = app();
    app.on_engine(UiMsg::History(vec![]));
    app.submit("why does add fail?".into());
    for piece in [
        "The test expects 5.\n",
        "add subtracts, ",
        "so it returns -1.",
    ] {
        event(&mut app, Event::ReasoningDelta { text: piece.into() });
    }
    let rows = screen_rows(&draw(&mut app, 80, 24, Instant::now()));
    assert!(
        rows.iter()
            .any(|r| r.starts_with("◦ reasoning… add subtracts, so it returns -1.")),
        "the collapsed row follows the stream: {rows:#?}"
    );
    event(
        &mut app,
        Event::TextDelta {
            text: "It subtracts.".into(),
        },
    );
    event(
        &mut app,
        Event::Reasoning {
            model: "mock".into(),
            text: "The test expects 5.\nadd subtracts, so it returns -1.".into(),
        },
    );
    event(
        &mut app,
        Event::Message {
            role: "assistant".into(),
            text: "It subtracts.".into(),
        },
    );
    let t = draw(&mut app, 80, 24, Instant::now());
    insta::assert_snapshot!(t.backend());
    let rows = screen_rows(&t);
    let text = rows.join("\n");
    assert!(!text.contains("The test expects 5."), "collapsed: {text}");
    let at = |needle: &str| rows.iter().position(|r| r.contains(needle));
    assert!(
        at("reasoning · 2 lines · Ctrl+T shows") < at("It subtracts."),
        "the reasoning sits above the answer: {text}"
    );

    app.on_key(KeyEvent::new(KeyCode::Char('t'), KeyModifiers::CONTROL));
    let t = draw(&mut app, 80, 24, Instant::now());
    insta::assert_snapshot!(t.backend());
    let text = screen_rows(&t).join("\n");
    assert!(text.contains("  The test expects 5."), "{text}");
    assert!(
        text.contains("  add subtracts, so it returns -1."),
        "{text}"
    );

    app.submit("/reasoning".into());
    let text = screen_rows(&draw(&mut app, 80, 24, Instant::now())).join("\n");
    assert!(
        !text.contains("The test expects 5."),
        "collapsed again: {text}"
    );
}

/// A retried request takes back the reasoning it streamed, like its text.
#[test]
fn a_retry_discards_the_reasoning_that_streamed() {
    let mut t = Transcript::new(Theme::plain());
    t.push_user("go");
    t.edit(|c| c.reasoning_delta("first try thinking"));
    t.edit(|c| c.discard_unconfirmed());
    t.edit(|c| c.reasoning_delta("second try"));
    t.edit(|c| c.reasoning("second try"));
    let text = t.plain_rows(60, 10).join("\n");
    assert!(text.contains("reasoning · 1 line"), "{text}");
    assert_eq!(t.cells().len(), 2, "{text}");
}

/// `a` on a web fetch allows the whole host for the session, and the modal says so rather than
/// "always this call".
#[test]
fn the_approval_modal_says_what_always_allows() {
    let fetch = Request {
        id: "c1".into(),
        tool: "web_fetch".into(),
        arguments: json!({"url": "https://docs.rs/serde/latest/serde/"}),
        reason: "the session's network is off".into(),
        always: reins::sandbox::approval::always_scope(
            "web_fetch",
            &[reins::types::Subject::Name("docs.rs".into())],
        ),
    };
    let ws = tempfile::tempdir().unwrap();
    let mut m = ApprovalModal::new(fetch, ws.path(), &Theme::plain());
    let mut t = terminal(100, 24);
    let at = Instant::now();
    t.draw(|f| m.render(f.area(), f.buffer_mut(), &Theme::plain(), at))
        .unwrap();
    t.draw(|f| m.render(f.area(), f.buffer_mut(), &Theme::plain(), at + READ))
        .unwrap();
    let shown = format!("{}", t.backend());
    assert!(shown.contains("always `web_fetch` for docs.rs"), "{shown}");
    assert!(!shown.contains("always this call"), "{shown}");
}
