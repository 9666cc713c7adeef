//! `reins exec` without `--json`, as a person reads it: one line per tool call, a failing
//! command's exit code and last lines, `-v` for everything, the final answer once on stdout, no
//! stale message after a stop, a status line only on a terminal, `NO_COLOR` honoured.

mod support;

use portable_pty::{native_pty_system, CommandBuilder, PtySize};
use serde_json::json;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::reins::{calc_workspace, exec, home_for, Wire};
use support::{MockServer, Reply, Turn};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A shell call that prints `n` numbered lines and exits with `code`.
fn noisy_command(n: u32, code: i32) -> Reply {
    Reply::tool(
        "shell",
        json!({"command": format!("for i in $(seq 1 {n}); do echo out-line-$i; done; exit {code}")}),
    )
}

#[test]
fn a_failing_command_is_one_line_with_its_exit_code_and_last_lines() {
    let server = MockServer::start(vec![noisy_command(30, 3), Reply::text("All fixed.")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &[], "go");
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    let call = err
        .lines()
        .find(|l| l.contains("$ for i in"))
        .unwrap_or_else(|| panic!("no line for the call: {err}"));
    assert!(call.contains("exit 3"), "{call}");
    assert!(err.contains("out-line-30"), "the last line is shown: {err}");
    assert!(!err.contains("out-line-1\n"), "not the whole output: {err}");
    assert!(!err.contains("error: error:"), "{err}");
}

#[test]
fn a_passing_command_is_one_line_and_verbose_shows_all_of_it() {
    let replies = || vec![noisy_command(30, 0), Reply::text("All fixed.")];
    let server = MockServer::start(replies());
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &[], "go");
    let err = text(&out.stderr);
    assert!(!err.contains("out-line-1\n"), "{err}");
    let call = err
        .lines()
        .find(|l| l.contains("$ for i in"))
        .expect("call line");
    assert!(call.contains("exit 0"), "{call}");

    let server = MockServer::start(replies());
    let home = home_for(&server, Wire::OpenAi);
    let out = exec(home.path(), ws.path(), &["-v"], "go");
    let err = text(&out.stderr);
    for i in [1, 15, 30] {
        assert!(err.contains(&format!("out-line-{i}\n")), "{err}");
    }
}

#[test]
fn the_answer_goes_once_to_stdout_and_counts_read_naturally() {
    let server = MockServer::start(vec![
        Reply::Turn(
            Turn::tool("write_file", json!({"path": "notes.txt", "content": "x\n"}))
                .with_text("Writing the notes first."),
        ),
        Reply::text("The notes are written."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &[], "go");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "The notes are written.\n");
    let err = text(&out.stderr);
    assert!(!err.contains("The notes are written."), "{err}");
    assert!(err.contains("Writing the notes first."), "{err}");
    assert!(err.contains("after 2 steps"), "{err}");
    assert!(err.contains("1 file changed"), "{err}");
    assert!(!err.contains("1 files"), "{err}");
}

#[test]
fn one_step_is_singular() {
    let server = MockServer::start(vec![Reply::text("Hi.")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &[], "go");
    let err = text(&out.stderr);
    assert!(
        err.contains("after 1 step,") || err.contains("after 1 step "),
        "{err}"
    );
}

#[test]
fn a_budget_stop_prints_its_status_not_a_stale_message() {
    let server = MockServer::start(vec![
        Reply::Turn(
            Turn::tool("list_dir", json!({}))
                .with_text("Let me look around first.")
                .with_usage(2000, 0, 0),
        ),
        Reply::text("never reached"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--max-cost", "0.003"], "go");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout), "", "no answer on stdout");
    let err = text(&out.stderr);
    assert!(err.contains("budget"), "{err}");
    assert!(err.contains("no answer"), "{err}");
}

#[test]
fn max_steps_zero_is_refused() {
    let home = tempfile::tempdir().expect("home");
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--max-steps", "0"], "go");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--max-steps"),
        "{}",
        text(&out.stderr)
    );
}

/// `reins ARGS` in a pseudo-terminal (stdin, stdout and stderr all on it) until it exits:
/// everything it wrote, raw, and its exit code. `input` is typed once `prompt_seen` appears.
fn in_terminal(
    home: &Path,
    ws: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    input: Option<(&str, &[u8])>,
) -> (String, u32) {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_reins"));
    cmd.args(args);
    cmd.arg("-C");
    cmd.arg(ws);
    for var in [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "NO_COLOR",
        "http_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("REINS_HOME", home);
    cmd.env("MOCK_API_KEY", "sk-mock");
    cmd.env("NO_PROXY", "*");
    cmd.env("TERM", "xterm-256color");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = pair.slave.spawn_command(cmd).expect("spawn reins");
    drop(pair.slave);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut reader = pair.master.try_clone_reader().expect("reader");
    let sink = seen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().expect("lock").extend_from_slice(&buf[..n]);
        }
    });
    let mut writer = pair.master.take_writer().expect("writer");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut typed = input.is_none();
    let code = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status.exit_code();
        }
        if !typed {
            let (wait_for, bytes) = input.expect("input");
            if text(&seen.lock().expect("lock")).contains(wait_for) {
                writer.write_all(bytes).expect("type");
                writer.flush().expect("flush");
                typed = true;
            }
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("reins did not exit: {}", text(&seen.lock().expect("lock")));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // The reader may still hold the last bytes written before the exit.
    std::thread::sleep(Duration::from_millis(200));
    let all = text(&seen.lock().expect("lock"));
    (all, code)
}

#[test]
fn on_a_terminal_the_answer_shows_once_with_a_status_line_in_colour() {
    let server = MockServer::start(vec![noisy_command(2, 1), Reply::text("Final answer here.")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let (all, code) = in_terminal(home.path(), ws.path(), &["exec", "go"], &[], None);
    assert_eq!(code, 0, "{all}");
    assert_eq!(all.matches("Final answer here.").count(), 1, "{all}");
    assert!(all.contains("thinking"), "a status line: {all}");
    assert!(all.contains("\u{1b}[3"), "colours: {all:?}");
}

#[test]
fn no_color_turns_the_colours_off() {
    let server = MockServer::start(vec![noisy_command(2, 1), Reply::text("Final answer here.")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let (all, code) = in_terminal(
        home.path(),
        ws.path(),
        &["exec", "go"],
        &[("NO_COLOR", "1")],
        None,
    );
    assert_eq!(code, 0, "{all}");
    assert!(!all.contains("\u{1b}[3"), "{all:?}");
    assert_eq!(all.matches("Final answer here.").count(), 1, "{all}");
}

#[test]
fn reading_the_task_from_a_terminal_says_how_to_end_it() {
    let server = MockServer::start(vec![Reply::text("Got it.")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let (all, code) = in_terminal(
        home.path(),
        ws.path(),
        &["exec", "-"],
        &[],
        Some(("Ctrl-D", b"explain calc\n\x04")),
    );
    assert_eq!(code, 0, "{all}");
    assert!(all.contains("Got it."), "{all}");
}
