//! What reins says about itself: `config show` lists every effective key (defaults included)
//! and the model it would pick, `sandbox` states its policy and returns the command's own exit
//! code, `trust` lists what it enables and `--revoke` works on a broken file, and errors name
//! the real config path and the key's variable.

mod support;

use support::reins::{calc_workspace, exec, home_for, reins, Wire};
use support::{MockServer, Reply};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn config_show_lists_the_defaults_and_the_picked_model() {
    let home = tempfile::tempdir().expect("home");
    let ws = tempfile::tempdir().expect("ws");
    let out = reins(home.path())
        .env("ANTHROPIC_API_KEY", "sk-ant-test-0000")
        .args(["config", "show", "-C"])
        .arg(ws.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let line = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("{key} missing:\n{text}"))
            .to_string()
    };
    for (key, value) in [
        ("approval", "\"never\""),
        ("sandbox", "\"workspace-write\""),
        ("network", "false"),
        ("allow_unsandboxed", "false"),
        ("compact_threshold", "0.85"),
        ("memory_cap_bytes", "16384"),
        ("retry.max_tries", "4"),
        ("retry.base_delay_ms", "500"),
        ("retry.max_delay_ms", "30000"),
        ("shell.timeout_ms", "120000"),
        ("shell.pass_env", "[]"),
        ("checks.timeout_ms", "600000"),
    ] {
        let l = line(key);
        assert!(l.starts_with(&format!("{key} = {value} ")), "{l}");
        assert!(l.contains("# default"), "{l}");
    }
    let model = line("model");
    assert!(model.contains("\"claude-opus-5-5\""), "{model}");
    assert!(model.contains("ANTHROPIC_API_KEY"), "{model}");
}

#[test]
fn config_show_keeps_a_set_key_s_source() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join("config.toml"), "[retry]\nmax_tries = 2\n").expect("config");
    let out = reins(home.path())
        .args(["config", "show"])
        .output()
        .expect("run");
    let text = stdout(&out);
    let l = text
        .lines()
        .find(|l| l.starts_with("retry.max_tries = "))
        .expect("retry.max_tries");
    assert!(l.starts_with("retry.max_tries = 2 "), "{l}");
    assert!(!l.contains("# default"), "{l}");
    assert_eq!(text.matches("retry.max_tries = ").count(), 1, "{text}");
}

#[test]
fn sandbox_states_its_policy_and_returns_the_command_s_code() {
    let home = tempfile::tempdir().expect("home");
    let ws = calc_workspace();
    let run = |args: &[&str]| {
        reins(home.path())
            .arg("sandbox")
            .args(args)
            .arg("-C")
            .arg(ws.path())
            .output()
            .expect("run")
    };
    let out = run(&["--", "sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7));
    let err = stderr(&out);
    assert!(err.contains("workspace-write"), "{err}");
    assert!(err.contains("network off"), "{err}");
    let out = run(&["--", "no-such-command-here"]);
    assert_eq!(out.status.code(), Some(127), "{}", stderr(&out));
    assert!(stderr(&out).contains("not found"), "{}", stderr(&out));
    let out = run(&["--mode", "read-only", "--network", "--", "true"]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(
        err.contains("read-only") && err.contains("network on"),
        "{err}"
    );
}

#[test]
fn trust_lists_what_it_enables_and_revoke_survives_broken_files() {
    let home = tempfile::tempdir().expect("home");
    let ws = tempfile::tempdir().expect("ws");
    std::fs::create_dir(ws.path().join(".reins")).expect("mkdir");
    std::fs::write(
        ws.path().join(".reins/config.toml"),
        "max_steps = 7\n[permissions]\nallow = [\"shell\"]\n",
    )
    .expect("config");
    let out = reins(home.path())
        .args(["trust", "--yes", "-C"])
        .arg(ws.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("max_steps = 7"), "{text}");
    assert!(text.contains("permissions.allow = [\"shell\"]"), "{text}");
    std::fs::write(ws.path().join(".reins/config.toml"), "max_steps = [\n").expect("break");
    std::fs::write(home.path().join("config.toml"), "model = [\n").expect("break");
    let out = reins(home.path())
        .args(["trust", "--revoke", "-C"])
        .arg(ws.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("no longer trusted"));
}

#[test]
fn the_no_model_error_names_the_real_config_path() {
    let home = tempfile::tempdir().expect("home");
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &[], "hi");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let path = home.path().join("config.toml").display().to_string();
    assert!(err.contains(&path), "{err}");
    assert!(!err.contains("~/.reins"), "{err}");
}

#[test]
fn a_401_names_the_variable_the_key_came_from() {
    let server = MockServer::start(vec![Reply::status(401, "invalid api key")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &[], "hi");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("MOCK_API_KEY"), "{err}");
}
