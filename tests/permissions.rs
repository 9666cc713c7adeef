//! The permission gate and the sandbox as the model meets them through `reins exec`.

mod support;

use serde_json::{json, Value};
use support::reins::{assert_success, calc_workspace, events, home_for, reins, Wire};
use support::{MockServer, Reply};

/// Runs one tool call through exec and returns the events and the tool output the model got.
fn one_call(tool: &str, args: Value, extra: &[&str], ws: &std::path::Path) -> (Vec<Value>, String) {
    let server = MockServer::start(vec![Reply::tool(tool, args), Reply::text("ok")]);
    let home = home_for(&server, Wire::OpenAi);
    let out = reins(home.path())
        .args(["exec", "--json"])
        .args(extra)
        .arg("-C")
        .arg(ws)
        .arg("x")
        .output()
        .unwrap();
    assert_success(&out);
    let result = server.requests()[1].body["messages"][3]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (events(&out.stdout), result)
}

#[test]
fn deny_rule_refuses_the_command_and_tells_the_model() {
    let ws = calc_workspace();
    let (_, result) = one_call(
        "shell",
        json!({"command": "rm calc.py"}),
        &["-c", "permissions.deny=[\"shell(rm *)\"]"],
        ws.path(),
    );
    assert!(
        result.contains("not permitted") && result.contains("shell(rm *)"),
        "{result}"
    );
    assert!(ws.path().join("calc.py").exists());
}

#[test]
fn exec_never_asks_it_refuses_and_names_the_ask_rule() {
    let ws = calc_workspace();
    let (evs, result) = one_call(
        "shell",
        json!({"command": "git push origin main"}),
        &["-c", "permissions.ask=[\"shell(git push*)\"]"],
        ws.path(),
    );
    let req = evs
        .iter()
        .find(|e| e["type"] == "approval.request")
        .expect("approval.request");
    assert_eq!(req["tool"], "shell");
    let dec = evs
        .iter()
        .find(|e| e["type"] == "approval.decision")
        .expect("approval.decision");
    assert_eq!(dec["decision"], "deny");
    assert!(
        result.contains("never asks") && result.contains("`shell(git push*)` asks"),
        "{result}"
    );
}

#[test]
fn untrusted_approval_refuses_writes_in_exec() {
    let ws = calc_workspace();
    let (_, result) = one_call(
        "write_file",
        json!({"path": "new.txt", "content": "x"}),
        &["-c", "approval=\"untrusted\""],
        ws.path(),
    );
    assert!(result.contains("not permitted"), "{result}");
    assert!(!ws.path().join("new.txt").exists());
}

#[test]
fn secrets_are_not_read_unless_allowed() {
    let ws = calc_workspace();
    std::fs::write(ws.path().join(".env"), "TOKEN=hunter2\n").unwrap();
    let (_, result) = one_call("read_file", json!({"path": ".env"}), &[], ws.path());
    assert!(
        result.contains("looks like a secret") && !result.contains("hunter2"),
        "{result}"
    );
    let (_, result) = one_call("grep", json!({"pattern": "hunter2"}), &[], ws.path());
    assert!(result.contains("no matches"), "{result}");
    let (_, result) = one_call(
        "read_file",
        json!({"path": ".env"}),
        &["-c", "permissions.allow=[\"read(.env)\"]"],
        ws.path(),
    );
    assert!(result.contains("hunter2"), "{result}");
}

#[test]
fn read_only_sandbox_blocks_tool_and_shell_writes() {
    let ws = calc_workspace();
    let (_, result) = one_call(
        "write_file",
        json!({"path": "a.txt", "content": "x"}),
        &["--sandbox", "read-only"],
        ws.path(),
    );
    assert!(result.contains("read-only"), "{result}");
    let (_, result) = one_call(
        "shell",
        json!({"command": "touch b.txt"}),
        &["--sandbox", "read-only"],
        ws.path(),
    );
    assert!(result.contains("exit code: 1"), "{result}");
    assert!(!ws.path().join("a.txt").exists() && !ws.path().join("b.txt").exists());
}

#[test]
fn git_internals_stay_read_only() {
    let ws = calc_workspace();
    assert!(std::process::Command::new("git")
        .arg("init")
        .arg("-q")
        .current_dir(ws.path())
        .status()
        .unwrap()
        .success());
    let (_, result) = one_call(
        "write_file",
        json!({"path": ".git/hooks/pre-commit", "content": "#!/bin/sh\necho pwned\n"}),
        &[],
        ws.path(),
    );
    assert!(result.contains("not permitted"), "{result}");
    let (_, result) = one_call(
        "shell",
        json!({"command": "echo pwned > .git/hooks/pre-commit"}),
        &[],
        ws.path(),
    );
    assert!(!result.starts_with("exit code: 0"), "{result}");
    assert!(!ws.path().join(".git/hooks/pre-commit").exists());
}

#[test]
fn network_is_cut_unless_enabled() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let ws = calc_workspace();
    let cmd = format!("python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), timeout=2); print(\"connected\")'");
    let (_, result) = one_call("shell", json!({"command": cmd}), &[], ws.path());
    assert!(
        !result.contains("connected") && result.contains("Operation not permitted"),
        "{result}"
    );
    assert!(listener.accept().is_err(), "the listener saw a connection");
    let (_, result) = one_call("shell", json!({"command": cmd}), &["--network"], ws.path());
    assert!(result.contains("connected"), "{result}");
}

#[test]
fn apply_patch_through_exec_and_the_cli() {
    let ws = calc_workspace();
    let patch = "*** Begin Patch\n*** Update File: calc.py\n@@ def add(a, b):\n-    return a - b\n+    return a + b\n*** Add File: NOTES.md\n+fixed add\n*** End Patch\n";
    let (_, result) = one_call("apply_patch", json!({"patch": patch}), &[], ws.path());
    assert!(
        result.contains("updated calc.py") && result.contains("+    return a + b"),
        "{result}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("NOTES.md")).unwrap(),
        "fixed add\n"
    );
    let home = tempfile::tempdir().unwrap();
    let back = "*** Begin Patch\n*** Delete File: NOTES.md\n*** End Patch\n";
    let out = reins(home.path())
        .args(["apply-patch", "-C"])
        .arg(ws.path())
        .arg("-")
        .write_stdin(back)
        .output()
        .unwrap();
    assert_success(&out);
    assert!(!ws.path().join("NOTES.md").exists());
    let bad =
        "*** Begin Patch\n*** Update File: calc.py\n-    return nothing\n+    x\n*** End Patch\n";
    let out = reins(home.path())
        .args(["apply-patch", "-C"])
        .arg(ws.path())
        .arg("-")
        .write_stdin(bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("calc.py"));
}

#[test]
fn sandbox_command_confines_and_full_mode_does_not() {
    let ws = calc_workspace();
    let outside = tempfile::Builder::new()
        .tempdir_in(support::outside_temp_dirs())
        .unwrap();
    let target = outside.path().join("written");
    let home = tempfile::tempdir().unwrap();
    let run = |mode: &str| {
        reins(home.path())
            .current_dir(ws.path())
            .args(["sandbox", "--mode", mode, "-C"])
            .arg(ws.path())
            .args(["--", "touch"])
            .arg(&target)
            .output()
            .unwrap()
    };
    assert_ne!(run("workspace-write").status.code(), Some(0));
    assert!(!target.exists());
    assert_eq!(run("full").status.code(), Some(0));
    assert!(target.exists());
}

#[test]
fn legitimate_work_runs_in_the_sandbox() {
    let ws = calc_workspace();
    std::fs::create_dir_all(ws.path().join("tiny/src")).unwrap();
    std::fs::write(
        ws.path().join("tiny/Cargo.toml"),
        "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(
        ws.path().join("tiny/src/lib.rs"),
        "#[test]\nfn adds() { assert_eq!(1 + 1, 2); }\n",
    )
    .unwrap();
    let (_, result) = one_call(
        "shell",
        json!({"command": "cargo test --offline -q 2>&1", "workdir": "tiny"}),
        &[],
        ws.path(),
    );
    assert!(
        result.starts_with("exit code: 0") && result.contains("1 passed"),
        "{result}"
    );
    let has_pytest = std::process::Command::new("python3")
        .args(["-m", "pytest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    let runner = if has_pytest {
        "python3 -m pytest -q"
    } else {
        "python3 -m unittest"
    };
    if !has_pytest {
        eprintln!("pytest is not installed: running the example's tests with unittest instead");
    }
    let (_, result) = one_call(
        "shell",
        json!({"command": format!("{runner} 2>&1")}),
        &[],
        ws.path(),
    );
    assert!(
        result.contains("test_add") || result.contains("1 failed"),
        "the example's known failure is reported: {result}"
    );
    assert!(result.starts_with("exit code: 1"), "{result}");
}

#[test]
fn read_deny_rules_hold_for_walks_and_spelled_out_paths() {
    let ws = calc_workspace();
    std::fs::create_dir_all(ws.path().join("private")).unwrap();
    std::fs::write(ws.path().join("private/notes.txt"), "launch code 1234\n").unwrap();
    let deny = [
        "-c",
        "permissions.deny=[\"read(private/**)\", \"write(calc.py)\"]",
    ];
    let (_, result) = one_call("grep", json!({"pattern": "launch code"}), &deny, ws.path());
    assert!(result.contains("no matches"), "{result}");
    let (_, result) = one_call(
        "read_file",
        json!({"path": "src/../private/notes.txt"}),
        &deny,
        ws.path(),
    );
    assert!(
        result.contains("not permitted") && !result.contains("1234"),
        "{result}"
    );
    let (_, result) = one_call(
        "edit_file",
        json!({"path": "./x/../calc.py", "old_string": "a - b", "new_string": "a + b"}),
        &deny,
        ws.path(),
    );
    assert!(result.contains("not permitted"), "{result}");
}
