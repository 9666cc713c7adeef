//! `reins undo` and `reins diff` after a real session: every write tool and shell commands
//! (create, modify, delete, rename, chmod), undone byte for byte, in a git repo and a plain dir.

mod support;

use serde_json::json;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use support::reins::{assert_success, calc_workspace, events, home_for, reins, Wire};
use support::{MockServer, Reply, Turn};

/// Every file under `dir` (but `.git`) with its bytes and mode.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            if rel == ".git" || rel.starts_with("__pycache__") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    rel,
                    (
                        std::fs::read(&p).unwrap(),
                        meta.permissions().mode() & 0o777,
                    ),
                );
            }
        }
    }
    out
}

/// `reins undo --to STEP` in `ws`, which must succeed.
fn undo_to(home: &Path, ws: &Path, step: u32) -> std::process::Output {
    let out = reins(home)
        .args(["undo", "--to", &step.to_string(), "-C"])
        .arg(ws)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn script() -> Vec<Reply> {
    let patch = "*** Begin Patch\n*** Update File: calc.py\n@@ def multiply(a, b):\n-    return a * b\n+    return b * a\n*** Add File: notes/new.md\n+hello\n*** End Patch\n";
    vec![
        Reply::Turn(Turn::tools(vec![
            (
                "write_file",
                json!({"path": "created.txt", "content": "new file\n"}),
            ),
            (
                "edit_file",
                json!({"path": "calc.py", "old_string": "    return a - b", "new_string": "    return a + b"}),
            ),
        ])),
        Reply::tool("apply_patch", json!({"patch": patch})),
        Reply::tool(
            "shell",
            json!({"command": "echo more >> test_calc.py && rm README.md && mv run.sh launch.sh && chmod -x launch.sh && mkdir -p deep/er && echo x > deep/er/file.txt"}),
        ),
        Reply::text("done"),
    ]
}

fn run_and_undo(ws: &Path) {
    std::fs::write(ws.join("README.md"), "readme\n").unwrap();
    std::fs::write(ws.join("run.sh"), "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(ws.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let before = snapshot(ws);
    let server = MockServer::start(script());
    let home = home_for(&server, Wire::OpenAi);
    let out = reins(home.path())
        .args(["exec", "--json", "-C"])
        .arg(ws)
        .arg("change things")
        .output()
        .unwrap();
    assert_success(&out);
    let evs = events(&out.stdout);
    assert!(
        evs.iter().any(|e| e["type"] == "checkpoint"),
        "checkpoint events"
    );
    let after = snapshot(ws);
    assert_ne!(before, after);
    assert!(ws.join("launch.sh").exists() && !ws.join("README.md").exists());

    let diff = reins(home.path())
        .args(["diff", "-C"])
        .arg(ws)
        .output()
        .unwrap();
    let diff = String::from_utf8_lossy(&diff.stdout);
    for needle in [
        "created.txt",
        "+    return a + b",
        "notes/new.md",
        "README.md",
        "launch.sh",
        "deep/er/file.txt",
    ] {
        assert!(diff.contains(needle), "diff misses {needle}:\n{diff}");
    }

    let undo = undo_to(home.path(), ws, 1);
    assert_eq!(
        snapshot(ws),
        before,
        "undo restores the tree byte for byte, modes included"
    );
    assert!(
        !ws.join("deep").exists(),
        "directories created by the session are removed"
    );
    let report = String::from_utf8_lossy(&undo.stdout).to_string();
    let undo_point: u32 = report
        .split_whitespace()
        .skip_while(|w| *w != "--to")
        .nth(1)
        .and_then(|n| n.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok())
        .unwrap_or_else(|| panic!("the report names the undo point: {report}"));
    undo_to(home.path(), ws, undo_point);
    assert_eq!(
        snapshot(ws),
        after,
        "undoing the undo brings the session's work back"
    );
}

#[test]
fn undo_restores_every_change_in_a_plain_directory() {
    let ws = calc_workspace();
    run_and_undo(ws.path());
}

#[test]
fn undo_restores_every_change_in_a_git_repo_without_touching_git_state() {
    let ws = calc_workspace();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.email=t@t", "-c", "user.name=t"])
            .args(args)
            .current_dir(ws.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["init", "-q"]);
    std::fs::write(ws.path().join("README.md"), "readme\n").unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-qm", "init"]);
    let head = git(&["rev-parse", "HEAD"]);
    let index_before = std::fs::read(ws.path().join(".git/index")).unwrap();
    run_and_undo(ws.path());
    assert_eq!(git(&["rev-parse", "HEAD"]), head);
    assert_eq!(
        std::fs::read(ws.path().join(".git/index")).unwrap(),
        index_before,
        "the user's index is untouched"
    );
}

#[test]
fn undo_without_a_session_says_what_to_do() {
    let ws = calc_workspace();
    let home = tempfile::tempdir().unwrap();
    let out = reins(home.path())
        .args(["undo", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("reins exec"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn undo_after_the_user_reverted_the_edit_does_not_bring_it_back() {
    let server = MockServer::start(vec![
        Reply::tool(
            "edit_file",
            json!({"path": "calc.py", "old_string": "    return a - b", "new_string": "    return a + b"}),
        ),
        Reply::text("fixed"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let original = std::fs::read_to_string(ws.path().join("calc.py")).unwrap();
    let out = reins(home.path())
        .args(["exec", "-C"])
        .arg(ws.path())
        .arg("fix add")
        .output()
        .unwrap();
    assert_success(&out);
    let edited = std::fs::read_to_string(ws.path().join("calc.py")).unwrap();
    assert_ne!(edited, original);
    // The user reverts the model's hunk (as `r` in /diff does), then asks to undo.
    std::fs::write(ws.path().join("calc.py"), &original).unwrap();
    let out = reins(home.path())
        .args(["undo", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(ws.path().join("calc.py")).unwrap(),
        original,
        "undo re-applied the model's edit: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A session killed mid-turn (SIGKILL: no drop, no flush) after three write steps. The turn's
/// first checkpoint went to disk at once; the later ones were held in memory and die with the
/// process. `reins undo --to 1` still brings back the workspace as it was before the turn, and
/// the next session checkpoints as usual (no ref or stat cache names a lost object).
#[test]
fn a_session_killed_mid_turn_is_undone_to_before_the_turn() {
    let ws = calc_workspace();
    let before = snapshot(ws.path());
    let server = MockServer::start(vec![
        Reply::tool(
            "edit_file",
            json!({"path": "calc.py", "old_string": "    return a - b", "new_string": "    return a + b"}),
        ),
        Reply::tool(
            "write_file",
            json!({"path": "created.txt", "content": "new\n"}),
        ),
        Reply::tool(
            "write_file",
            json!({"path": "second.txt", "content": "more\n"}),
        ),
        Reply::Hang,
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let mut child = support::reins::spawn_exec(home.path(), ws.path(), "change things");
    server.wait_for_requests(4, std::time::Duration::from_secs(20));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(ws.path().join("second.txt").exists(), "the steps ran");

    undo_to(home.path(), ws.path(), 1);
    assert_eq!(snapshot(ws.path()), before, "the state before the turn");

    server.push(Reply::tool(
        "write_file",
        json!({"path": "third.txt", "content": "again\n"}),
    ));
    server.push(Reply::text("done"));
    let out = reins(home.path())
        .args(["exec", "--json", "-C"])
        .arg(ws.path())
        .arg("once more")
        .output()
        .unwrap();
    assert_success(&out);
    let warnings: Vec<String> = events(&out.stdout)
        .iter()
        .filter(|e| e["type"] == "warning")
        .map(|e| e["message"].to_string())
        .collect();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(
        events(&out.stdout)
            .iter()
            .any(|e| e["type"] == "checkpoint"),
        "the next session checkpoints"
    );
}
