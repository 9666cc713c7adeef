//! Images in the TUI, drawn to ratatui's `TestBackend`: a pasted image path (what a terminal
//! sends when a file is dropped on it) attaches the image as a chip in the composer, Enter sends
//! it with the prompt, and a pasted path to a file that is not an image stays plain text with a
//! warning.

use base64::Engine as _;
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use reins::engine::{EngineHandle, Op};
use reins::tui::app::{App, AppContext};
use reins::tui::fuzzy::FileIndex;
use reins::tui::theme::Theme;
use std::time::Instant;
use tokio::sync::mpsc;

const PNG_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn app(root: &std::path::Path) -> (App, mpsc::UnboundedReceiver<Op>) {
    let (ops, rx) = mpsc::unbounded_channel();
    let (canceller, _) = reins::cancel::pair();
    let app = App::new(
        AppContext {
            root: root.into(),
            ..AppContext::default()
        },
        EngineHandle { ops, canceller },
        Theme::plain(),
        reins::tui::commands::load(root, None),
        FileIndex::fixed(vec![]),
    );
    (app, rx)
}

fn screen(app: &mut App) -> String {
    let mut t = Terminal::new(TestBackend::new(80, 12)).unwrap();
    t.draw(|f| app.draw(f, Instant::now())).unwrap();
    let buf = t.backend().buffer().clone();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
}

#[test]
fn a_pasted_image_path_attaches_the_image_and_enter_sends_it() {
    let ws = tempfile::tempdir().unwrap();
    let png = base64::engine::general_purpose::STANDARD
        .decode(PNG_B64)
        .unwrap();
    // Terminals quote a dropped path with a space in it.
    let path = ws.path().join("screen shot.png");
    std::fs::write(&path, png).unwrap();
    let (mut app, mut rx) = app(ws.path());
    typed(&mut app, "what is wrong here? ");
    app.on_terminal(TermEvent::Paste(format!("'{}'", path.display())));
    assert!(
        app.screen
            .composer
            .text()
            .contains("[image 1: screen shot.png]"),
        "{}",
        app.screen.composer.text()
    );
    let drawn = screen(&mut app);
    assert!(drawn.contains("[image 1: screen shot.png]"), "{drawn}");
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    match rx.try_recv() {
        Ok(Op::Prompt(p)) => {
            assert!(p.text.starts_with("what is wrong here?"), "{}", p.text);
            assert_eq!(p.images.len(), 1);
            assert!(
                p.images[0].name.ends_with("screen shot.png"),
                "{}",
                p.images[0].name
            );
            assert_eq!(p.images[0].base64(), PNG_B64);
        }
        other => panic!("expected a prompt with the image, got {other:?}"),
    }
    let rows = app.screen.transcript.plain_rows(80, 20).join("\n");
    assert!(rows.contains("[image 1: screen shot.png]"), "{rows}");
}

#[test]
fn a_pasted_path_to_a_file_that_is_not_an_image_stays_text_with_a_warning() {
    let ws = tempfile::tempdir().unwrap();
    let path = ws.path().join("notes.png");
    std::fs::write(&path, "just text").unwrap();
    let (mut app, mut rx) = app(ws.path());
    typed(&mut app, "see ");
    app.on_terminal(TermEvent::Paste(path.display().to_string()));
    assert_eq!(
        app.screen.composer.text(),
        format!("see {}", path.display())
    );
    let rows = app.screen.transcript.plain_rows(100, 20).join("\n");
    assert!(rows.contains("not a PNG, JPEG, GIF or WebP"), "{rows}");
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    match rx.try_recv() {
        Ok(Op::Prompt(p)) => assert!(p.images.is_empty()),
        other => panic!("expected a prompt, got {other:?}"),
    }
}

#[test]
fn a_chip_deleted_before_sending_drops_its_image() {
    let ws = tempfile::tempdir().unwrap();
    let png = base64::engine::general_purpose::STANDARD
        .decode(PNG_B64)
        .unwrap();
    std::fs::write(ws.path().join("a.png"), png).unwrap();
    let (mut app, mut rx) = app(ws.path());
    app.on_terminal(TermEvent::Paste("a.png".into()));
    assert_eq!(app.screen.composer.text(), "[image 1: a.png]");
    app.screen.composer.set_text("never mind, just text");
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    match rx.try_recv() {
        Ok(Op::Prompt(p)) => assert!(p.images.is_empty(), "{:?}", p.images),
        other => panic!("expected a prompt, got {other:?}"),
    }
}
