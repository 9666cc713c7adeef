//! Repositories planted in subfolders (Linux): a scripted model in `workspace-write` creates or
//! changes a `.git` below the workspace root so that the user's own next git command there (or a
//! shell prompt showing the branch) runs a program unconfined. After the turn, reins must have
//! moved every such repository aside, ignored folders included, while plain repositories stay.
//! The same plant under `full` stays in place and really runs, which proves the attack is real.
#![cfg(target_os = "linux")]

mod support;

use std::path::{Path, PathBuf};

use serde_json::json;
use support::reins::{events, home_for, reins, Wire};
use support::{MockServer, Reply};

/// A git workspace under a directory no policy makes writable, with an ignored `build/` and a
/// nested repository that existed before the session (`vendor/lib`).
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let base = tempfile::Builder::new()
        .prefix("planted")
        .tempdir_in(support::outside_temp_dirs())
        .unwrap();
    let ws = base.path().canonicalize().unwrap().join("ws");
    std::fs::create_dir_all(ws.join("vendor/lib")).unwrap();
    git(&ws, &["init", "-q", "."]);
    git(&ws.join("vendor/lib"), &["init", "-q", "."]);
    std::fs::write(ws.join(".gitignore"), "build/\n").unwrap();
    (base, ws)
}

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    out
}

/// The user's git in `dir`, as a shell prompt would run it.
fn users_git_status(dir: &Path) {
    let _ = std::process::Command::new("git")
        .args(["status", "--short"])
        .current_dir(dir)
        .output();
}

/// A shell command that plants a repository in `dir` whose fsmonitor touches `mark`.
fn plant_fsmonitor(dir: &str, mark: &Path) -> String {
    format!(
        "mkdir -p {dir} && git init -q {dir} && git -C {dir} config core.fsmonitor 'touch {}'",
        mark.display()
    )
}

fn exec(ws: &Path, sandbox: &str, replies: Vec<Reply>) -> Vec<serde_json::Value> {
    let server = MockServer::start(replies);
    let home = home_for(&server, Wire::OpenAi);
    let out = reins(home.path())
        .args(["exec", "--json", "--sandbox", sandbox, "-C"])
        .arg(ws)
        .arg("set things up")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    events(&out.stdout)
}

fn warnings(events: &[serde_json::Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["type"] == "warning")
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn repositories_planted_in_subfolders_are_set_aside_at_the_end_of_the_turn() {
    let (base, ws) = workspace();
    let marks: Vec<PathBuf> = ["sub", "build", "vendor"]
        .iter()
        .map(|n| base.path().join(format!("{n}-ran")))
        .collect();
    let hook = "mkdir -p build/deep && git init -q build/deep && \
                printf '#!/bin/sh\\ntouch %s\\n' > build/deep/.git/hooks/post-checkout && \
                chmod +x build/deep/.git/hooks/post-checkout";
    let append = format!(
        "printf '[core]\\n\\tfsmonitor = touch {}\\n' >> vendor/lib/.git/config",
        marks[2].display()
    );
    let events = exec(
        &ws,
        "workspace-write",
        vec![
            Reply::tool(
                "shell",
                json!({ "command": plant_fsmonitor("sub", &marks[0]) }),
            ),
            Reply::tool(
                "shell",
                json!({ "command": hook.replace("%s", &marks[1].display().to_string()) }),
            ),
            Reply::tool("shell", json!({ "command": append })),
            Reply::tool(
                "shell",
                json!({ "command": "git init -q plain && git -C plain config user.name me" }),
            ),
            Reply::text("done"),
        ],
    );
    let said = warnings(&events).join("\n");
    for (dir, reason) in [
        ("sub", "sets `core.fsmonitor`"),
        ("build/deep", "has the hook `post-checkout`"),
        ("vendor/lib", "sets `core.fsmonitor`"),
    ] {
        assert!(!ws.join(dir).join(".git").exists(), "{dir}/.git stayed");
        assert!(ws.join(dir).join(".git-set-aside").is_dir(), "{dir}");
        assert!(
            said.contains(&format!("`{dir}/.git`, which {reason}")),
            "{said}"
        );
    }
    assert!(ws.join("plain/.git").is_dir(), "a plain repository stays");
    assert!(
        ws.join(".git").is_dir(),
        "the workspace's own repository stays"
    );
    for dir in ["sub", "build/deep", "vendor/lib"] {
        users_git_status(&ws.join(dir));
    }
    let _ = std::process::Command::new("git")
        .args(["checkout", "-q", "-b", "x"])
        .current_dir(ws.join("build/deep"))
        .output();
    for mark in &marks {
        assert!(!mark.exists(), "{} ran", mark.display());
    }
}

#[test]
fn the_file_tools_refuse_to_write_inside_any_repository() {
    let (_base, ws) = workspace();
    let server = MockServer::start(vec![
        Reply::tool(
            "write_file",
            json!({ "path": "vendor/lib/.git/config", "content": "[core]\n\tfsmonitor = x\n" }),
        ),
        Reply::tool(
            "write_file",
            json!({ "path": "other/.GIT/hooks/pre-commit", "content": "x" }),
        ),
        Reply::text("done"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let out = reins(home.path())
        .args(["exec", "--json", "-C"])
        .arg(&ws)
        .arg("edit")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let results: Vec<_> = events(&out.stdout)
        .into_iter()
        .filter(|e| e["type"] == "tool.result")
        .collect();
    assert_eq!(results.len(), 2, "{results:?}");
    for r in &results {
        let text = r.to_string();
        assert!(text.contains("not written by the file tools"), "{text}");
    }
    let config = std::fs::read_to_string(ws.join("vendor/lib/.git/config")).unwrap();
    assert!(!config.contains("fsmonitor"), "{config}");
    assert!(!ws.join("other").exists());
}

#[test]
fn under_full_the_same_plant_stays_and_runs() {
    let (base, ws) = workspace();
    let mark = base.path().join("ran");
    let events = exec(
        &ws,
        "full",
        vec![
            Reply::tool("shell", json!({ "command": plant_fsmonitor("sub", &mark) })),
            Reply::text("done"),
        ],
    );
    assert!(warnings(&events).is_empty(), "{events:?}");
    assert!(ws.join("sub/.git").is_dir());
    users_git_status(&ws.join("sub"));
    assert!(
        mark.exists(),
        "the planted fsmonitor did not run: the attack is not real"
    );
}
