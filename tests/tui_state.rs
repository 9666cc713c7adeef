//! What the TUI keeps and says about its session, driven through the app with a test backend:
//! the welcome line, figures restored on resume, prompt history across launches, status text
//! that does not outlive its turn, and the slash commands that show state.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use reins::agent::session_control::ContextFill;
use reins::agent::{Event, Status as TurnStatus};
use reins::engine::{EngineHandle, Op, SessionState, UiMsg};
use reins::sandbox::approval::Approval;
use reins::sandbox::SandboxMode;
use reins::store::totals::{ModelTotals, SessionTotals};
use reins::tui::app::{App, AppContext};
use reins::tui::fuzzy::FileIndex;
use reins::tui::theme::Theme;
use std::path::Path;
use std::time::Instant;
use tokio::sync::mpsc;

struct Harness {
    app: App,
    ops: mpsc::UnboundedReceiver<Op>,
}

fn harness(ctx: AppContext) -> Harness {
    let (tx, ops) = mpsc::unbounded_channel();
    let (canceller, _) = reins::cancel::pair();
    let commands = reins::tui::commands::load(Path::new("/nonexistent"), None);
    let app = App::new(
        ctx,
        EngineHandle { ops: tx, canceller },
        Theme::plain(),
        commands,
        FileIndex::fixed(vec![]),
    );
    Harness { app, ops }
}

fn ctx() -> AppContext {
    AppContext {
        root: "/nonexistent".into(),
        home: None,
        models: vec!["mock".into(), "fast".into()],
        memory_cap: 16 * 1024,
        router: String::new(),
        ..AppContext::default()
    }
}

fn state(id: &str) -> UiMsg {
    UiMsg::State(SessionState {
        id: id.into(),
        model: "mock".into(),
        approval: Approval::OnRequest,
        sandbox: SandboxMode::WorkspaceWrite,
        context: ContextFill {
            tokens: 0,
            window: Some(100_000),
        },
        cost: None,
    })
}

/// The engine's opening: history, then the session's settings.
fn open(app: &mut App, id: &str) {
    app.on_engine(UiMsg::History(vec![]));
    app.on_engine(state(id));
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| app.draw(f, Instant::now())).unwrap();
    format!("{}", t.backend())
}

fn rows(app: &mut App) -> String {
    app.screen.transcript.plain_rows(120, 60).join("\n")
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
fn a_new_session_opens_with_a_welcome_line() {
    let mut h = harness(ctx());
    open(&mut h.app, "s1");
    let text = rows(&mut h.app);
    for want in [
        "model mock",
        "sandbox workspace-write",
        "approval on-request",
        "/help",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
}

#[test]
fn interrupting_and_the_route_reason_leave_the_status_line_with_their_turn() {
    let mut h = harness(ctx());
    open(&mut h.app, "s1");
    h.app.submit("run it".into());
    h.app.on_engine(UiMsg::Event(Event::Route {
        step: 1,
        model: "mock".into(),
        reason: "plan: escalated after a failure".into(),
        kind: None,
    }));
    h.app
        .on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(screen(&mut h.app, 100, 12).contains("interrupting"));
    h.app.on_engine(UiMsg::TurnDone {
        status: TurnStatus::Interrupted,
        last_message: String::new(),
    });
    let after = screen(&mut h.app, 100, 12);
    let status = after.lines().last().unwrap_or_default();
    assert!(!status.contains("interrupting"), "{status}");
    assert!(!status.contains("escalated"), "{status}");
    h.app.submit("/route".into());
    assert!(rows(&mut h.app).contains("escalated after a failure"));
}

#[test]
fn approval_without_an_argument_shows_the_mode_and_the_choices() {
    let mut h = harness(ctx());
    open(&mut h.app, "s1");
    h.app.submit("/approval".into());
    let text = rows(&mut h.app);
    assert!(!text.contains("unknown approval mode"), "{text}");
    assert!(text.contains("approval: on-request"), "{text}");
    assert!(
        text.contains("never") && text.contains("untrusted"),
        "{text}"
    );
    assert!(h.ops.try_recv().is_err(), "nothing was changed");
    h.app.submit("/sandbox".into());
    assert!(rows(&mut h.app).contains("sandbox: workspace-write"));
}

#[test]
fn a_resumed_session_shows_what_it_spent_before() {
    let mut h = harness(ctx());
    h.app
        .on_engine(UiMsg::History(vec![reins::conversation::Item::user(
            "fix calc",
        )]));
    let mut by_model = std::collections::BTreeMap::new();
    by_model.insert(
        "mock".to_string(),
        ModelTotals {
            requests: 2,
            input_tokens: 3_000,
            cached_input_tokens: 1_000,
            output_tokens: 120,
            cost_usd: Some(0.0082),
        },
    );
    h.app.on_engine(UiMsg::Totals(SessionTotals {
        by_model,
        routes: vec![(1, "mock".into(), "plan: default".into())],
        last_input_tokens: 1_800,
    }));
    h.app.on_engine(state("s9"));
    let status = screen(&mut h.app, 100, 12);
    let status = status.lines().last().unwrap_or_default().to_string();
    assert!(status.contains("$0.0082"), "{status}");
    assert!(status.contains("3.1k tok"), "{status}");
    assert!(rows(&mut h.app).contains("resumed session s9"));
    h.app.submit("/cost".into());
    let text = rows(&mut h.app);
    assert!(!text.contains("no model requests yet"), "{text}");
    assert!(text.contains("mock: 2 requests"), "{text}");
    h.app.submit("/route".into());
    assert!(rows(&mut h.app).contains("plan: default"));
    assert_eq!(
        h.app.resume_hint().as_deref(),
        Some("to resume this session: reins --resume s9")
    );
}

#[test]
fn no_resume_hint_for_a_session_without_a_prompt() {
    let mut h = harness(ctx());
    open(&mut h.app, "s1");
    assert_eq!(h.app.resume_hint(), None);
    h.app.submit("hello".into());
    assert!(h.app.resume_hint().is_some());
}

#[test]
fn prompt_history_is_kept_per_workspace_across_launches() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let with_home = || AppContext {
        root: ws.path().into(),
        home: Some(home.path().into()),
        ..ctx()
    };
    let mut first = harness(with_home());
    open(&mut first.app, "s1");
    typed(&mut first.app, "explain calc");
    first.app.on_key(key(KeyCode::Enter));
    first.app.on_engine(UiMsg::TurnDone {
        status: TurnStatus::Done,
        last_message: String::new(),
    });
    typed(&mut first.app, "/cost");
    first.app.on_key(key(KeyCode::Esc));
    first.app.on_key(key(KeyCode::Enter));
    drop(first);
    assert!(
        std::fs::read_dir(ws.path()).unwrap().next().is_none(),
        "nothing is written to the workspace"
    );
    let mut second = harness(with_home());
    open(&mut second.app, "s2");
    second.app.on_key(key(KeyCode::Up));
    assert_eq!(second.app.screen.composer.text(), "/cost");
    second.app.on_key(key(KeyCode::Up));
    assert_eq!(second.app.screen.composer.text(), "explain calc");
    let elsewhere = tempfile::tempdir().unwrap();
    let mut other = harness(AppContext {
        root: elsewhere.path().into(),
        home: Some(home.path().into()),
        ..ctx()
    });
    other.app.on_key(key(KeyCode::Up));
    assert!(
        other.app.screen.composer.is_empty(),
        "another workspace's history"
    );
}

#[test]
fn status_shows_model_route_sandbox_approval_context_mcp_and_cost() {
    let mut h = harness(AppContext {
        router: "the configured [router]".into(),
        ..ctx()
    });
    open(&mut h.app, "s7");
    h.app.on_engine(UiMsg::Event(Event::Route {
        step: 1,
        model: "mock".into(),
        reason: "plan: first step".into(),
        kind: None,
    }));
    h.app.on_engine(UiMsg::Event(Event::Usage {
        model: "mock".into(),
        input_tokens: 25_000,
        cached_input_tokens: 0,
        cache_write_tokens: 0,
        output_tokens: 300,
        reasoning_tokens: 0,
        cost_usd: Some(0.0123),
    }));
    h.app.submit("/status".into());
    let text = rows(&mut h.app);
    for want in [
        "session:  s7",
        "model:    mock",
        "route:    the configured [router]; step 1 went to mock: plan: first step",
        "sandbox:  workspace-write",
        "approval: on-request",
        "context:  25% (25.0k of 100.0k tokens)",
        "cost:     $0.0123, 25.3k tokens",
        "mcp:      no servers configured",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
}

#[test]
fn model_without_a_name_opens_a_picker_that_filters_as_you_type() {
    let mut h = harness(ctx());
    open(&mut h.app, "s1");
    h.app.submit("/model".into());
    let shown = screen(&mut h.app, 80, 20);
    assert!(shown.contains("switch model"), "{shown}");
    assert!(
        shown.contains("● mock"),
        "the current model is marked: {shown}"
    );
    typed(&mut h.app, "fa");
    h.app.on_key(key(KeyCode::Enter));
    loop {
        match h.ops.try_recv() {
            Ok(Op::Model(m)) => break assert_eq!(m, "fast"),
            Ok(_) => continue,
            Err(e) => panic!("no model switch sent: {e:?}"),
        }
    }
    assert!(!screen(&mut h.app, 80, 20).contains("switch model"));
}
