//! The composer's keys, pastes and completion, driven as a user would.

use super::*;
use crate::tui::commands::CommandInfo;

fn composer() -> Composer {
    let commands = super::super::commands::load(std::path::Path::new("/nonexistent"), None);
    let files = FileIndex::fixed(vec![
        "src/lib.rs".into(),
        "src/main.rs".into(),
        "README.md".into(),
    ]);
    Composer::new(Theme::plain(), commands, files)
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn typed(c: &mut Composer, s: &str) {
    for ch in s.chars() {
        c.handle_key(key(KeyCode::Char(ch)));
    }
}

#[test]
fn enter_sends_and_shift_enter_adds_a_line() {
    let mut c = composer();
    typed(&mut c, "one");
    c.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::SHIFT));
    typed(&mut c, "two");
    c.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
    typed(&mut c, "three");
    assert_eq!(
        c.handle_key(key(KeyCode::Enter)),
        Outcome::Submit("one\ntwo\nthree".into())
    );
    assert!(c.is_empty());
}

#[test]
fn up_and_down_walk_the_history_and_restore_the_draft() {
    let mut c = composer();
    typed(&mut c, "first");
    c.handle_key(key(KeyCode::Enter));
    typed(&mut c, "second");
    c.handle_key(key(KeyCode::Enter));
    typed(&mut c, "dra");
    c.handle_key(key(KeyCode::Up));
    assert_eq!(c.text(), "second");
    c.handle_key(key(KeyCode::Up));
    assert_eq!(c.text(), "first");
    c.handle_key(key(KeyCode::Down));
    c.handle_key(key(KeyCode::Down));
    assert_eq!(c.text(), "dra");
}

fn ctrl(c: &mut Composer, ch: char) {
    c.handle_key(KeyEvent::new(KeyCode::Char(ch), KeyModifiers::CONTROL));
}

#[test]
fn readline_keys_kill_and_move_by_line_and_word() {
    let mut c = composer();
    typed(&mut c, "git commit -m fix src/ui/tui.rs");
    ctrl(&mut c, 'w');
    assert_eq!(c.text(), "git commit -m fix ");
    ctrl(&mut c, 'w');
    assert_eq!(c.text(), "git commit -m ");
    ctrl(&mut c, 'a');
    typed(&mut c, "> ");
    assert_eq!(c.text(), "> git commit -m ");
    ctrl(&mut c, 'k');
    assert_eq!(c.text(), "> ");
    ctrl(&mut c, 'e');
    typed(&mut c, "one two");
    ctrl(&mut c, 'u');
    assert!(
        c.is_empty(),
        "Ctrl+U kills to the start of the line: {:?}",
        c.text()
    );
}

#[test]
fn ctrl_u_kills_only_the_current_line() {
    let mut c = composer();
    typed(&mut c, "keep");
    c.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::SHIFT));
    typed(&mut c, "drop this");
    ctrl(&mut c, 'u');
    assert_eq!(c.text(), "keep\n");
}

#[test]
fn a_long_paste_is_a_placeholder_expanded_on_send() {
    let mut c = composer();
    let log: String = (1..=300).map(|i| format!("line {i}\n")).collect();
    typed(&mut c, "why does this fail: ");
    c.paste(&log);
    c.paste(&log);
    assert_eq!(
        c.text(),
        "why does this fail: [pasted 300 lines][pasted 300 lines #2]"
    );
    let Outcome::Submit(shown) = c.handle_key(key(KeyCode::Enter)) else {
        panic!("not sent");
    };
    let (full, _) = c.resolve(&shown);
    assert_eq!(full, format!("why does this fail: {log}{log}"));
    assert_eq!(c.resolve("[pasted 300 lines]").0, "[pasted 300 lines]");
}

#[test]
fn a_paste_keeps_its_newlines_and_is_not_sent() {
    let mut c = composer();
    c.paste("line 1\r\nline 2\nline 3");
    assert_eq!(c.text(), "line 1\nline 2\nline 3");
}

#[test]
fn slash_opens_the_filtered_command_list() {
    let mut c = composer();
    typed(&mut c, "/comp");
    let first = c
        .completer()
        .completion()
        .and_then(|p| p.selected())
        .map(|s| s.label.clone());
    assert_eq!(first.as_deref(), Some("/compact"));
    assert_eq!(
        c.handle_key(key(KeyCode::Enter)),
        Outcome::Submit("/compact".into())
    );
}

#[test]
fn a_command_with_a_required_argument_waits_for_it() {
    let mut c = composer();
    c.completer.commands.push(CommandInfo {
        name: "deploy".into(),
        args: "TARGET".into(),
        help: "ship it".into(),
        body: Some("deploy $ARGUMENTS".into()),
        workflow: false,
    });
    typed(&mut c, "/deplo");
    assert_eq!(c.handle_key(key(KeyCode::Enter)), Outcome::Handled);
    assert_eq!(c.text(), "/deploy ");
    assert!(c.completer().completion().is_none());
}

#[test]
fn approval_picked_from_the_list_runs_bare_to_show_the_modes() {
    let mut c = composer();
    typed(&mut c, "/approv");
    assert_eq!(
        c.handle_key(key(KeyCode::Enter)),
        Outcome::Submit("/approval".into())
    );
}

#[test]
fn at_completes_a_path_in_place() {
    let mut c = composer();
    typed(&mut c, "look at @lib");
    assert!(c.completer().completion().is_some());
    c.handle_key(key(KeyCode::Tab));
    assert_eq!(c.text(), "look at @src/lib.rs ");
    assert!(c.completer().completion().is_none());
}

#[test]
fn esc_closes_the_list_until_the_query_changes() {
    let mut c = composer();
    typed(&mut c, "@ma");
    assert_eq!(c.handle_key(key(KeyCode::Esc)), Outcome::Handled);
    assert!(c.completer().completion().is_none());
    typed(&mut c, "i");
    assert!(c.completer().completion().is_some());
}
