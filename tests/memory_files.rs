//! The memory files leave nothing behind and compaction cannot lose them: `remember` writes no
//! lock file into the repository, and `reins memory compact` refuses an answer that drops most
//! of the file, showing the diff and saying why.

mod support;

use serde_json::json;
use support::reins::{calc_workspace, exec, home_for, reins, Wire};
use support::{MockServer, Reply};

fn git(ws: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(ws)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn remember_leaves_only_the_memory_file_in_git_status() {
    let server = MockServer::start(vec![
        Reply::tool(
            "remember",
            json!({"fact": "tests run with python3 -m pytest"}),
        ),
        Reply::text("Noted."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    git(ws.path(), &["init", "-q"]);
    // What an earlier version left behind goes too.
    std::fs::create_dir(ws.path().join(".reins")).expect("mkdir");
    std::fs::write(ws.path().join(".reins/memory.md.lock"), "").expect("old lock");
    let out = exec(home.path(), ws.path(), &[], "remember how tests run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let memory = std::fs::read_to_string(ws.path().join(".reins/memory.md")).expect("memory");
    assert!(memory.contains("python3 -m pytest"), "{memory}");
    let status = git(
        ws.path(),
        &["status", "--porcelain", "--untracked-files=all"],
    );
    let reins_files: Vec<&str> = status.lines().filter(|l| l.contains(".reins/")).collect();
    assert_eq!(reins_files, vec!["?? .reins/memory.md"], "{status}");
}

const MEMORY: &str = "# Memory\n\n- tests run with python3 -m pytest\n- the calc module has no dependencies\n- use 4 spaces\n- tests run with pytest\n";

fn compact_with(answer: &str) -> (std::process::Output, tempfile::TempDir) {
    let server = MockServer::start(vec![Reply::text(answer)]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    std::fs::create_dir(ws.path().join(".reins")).expect("mkdir");
    std::fs::write(ws.path().join(".reins/memory.md"), MEMORY).expect("write memory");
    let out = reins(home.path())
        .args(["memory", "compact", "--yes", "-C"])
        .arg(ws.path())
        .output()
        .expect("run");
    drop(home);
    (out, ws)
}

#[test]
fn compaction_refuses_an_answer_that_drops_most_of_the_file() {
    let (out, ws) = compact_with("done");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("-- use 4 spaces") || stdout.contains("-- use 4"),
        "the diff: {stdout}"
    );
    assert!(stderr.contains("not written"), "{stderr}");
    assert!(stderr.contains("of 4 entries"), "says why: {stderr}");
    let kept = std::fs::read_to_string(ws.path().join(".reins/memory.md")).expect("memory");
    assert_eq!(kept, MEMORY);
}

#[test]
fn compaction_writes_a_real_merge_after_showing_the_diff() {
    let merged = "# Memory\n\n- tests run with python3 -m pytest\n- the calc module has no dependencies\n- use 4 spaces\n";
    let (out, ws) = compact_with(merged);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("-- tests run with pytest"), "{stdout}");
    let kept = std::fs::read_to_string(ws.path().join(".reins/memory.md")).expect("memory");
    assert_eq!(kept, merged);
}
