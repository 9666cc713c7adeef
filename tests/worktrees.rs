//! `--worktree NAME` through the real binary on a real git repository: two sessions side by
//! side, each in its own worktree on its own branch, leaving the main checkout alone; a
//! worktree reused by a later session; commands run inside without their `.git` file being taken
//! for a planted repository; checkpoints and undo inside; `reins worktrees` listing and removing
//! (refused with uncommitted work unless --force); trust carried over from the main checkout
//! only while the trusted files are unchanged.

mod support;

use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::reins::{assert_success, events, home_for, reins, Wire};
use support::{MockServer, Reply};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository with one commit: `notes.txt` and `.gitignore`.
fn repo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    git(&root, &["init", "-q", "-b", "main"]);
    std::fs::write(root.join("notes.txt"), "original\n").unwrap();
    git(&root, &["add", "."]);
    git(&root, &["commit", "-q", "-m", "first"]);
    (dir, root)
}

fn worktree_path(root: &Path, name: &str) -> PathBuf {
    root.join(".git/reins-worktrees").join(name)
}

/// `reins exec --json --worktree NAME -C ROOT PROMPT` with its own model, started, not awaited.
fn spawn_in(home: &Path, root: &Path, name: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_reins"))
        .env("REINS_HOME", home)
        .env("MOCK_API_KEY", "k")
        .env("NO_PROXY", "*")
        .args(["exec", "--json", "--worktree", name, "-C"])
        .arg(root)
        .arg("write your notes")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn reins exec")
}

fn writes(text: &str) -> MockServer {
    MockServer::start(vec![
        Reply::tool("write_file", json!({"path": "notes.txt", "content": text})),
        Reply::tool(
            "shell",
            json!({"command": "echo built > out.txt && git status --short"}),
        ),
        Reply::text("done"),
    ])
}

fn worktrees(home: &Path, root: &Path, args: &[&str]) -> std::process::Output {
    reins(home)
        .arg("worktrees")
        .args(args)
        .arg("-C")
        .arg(root)
        .output()
        .unwrap()
}

#[test]
fn two_worktree_sessions_run_side_by_side_on_their_own_branches() {
    let (_dir, root) = repo();
    let (a_model, b_model) = (writes("from a\n"), writes("from b\n"));
    let (a_home, b_home) = (
        home_for(&a_model, Wire::OpenAi),
        home_for(&b_model, Wire::OpenAi),
    );
    // Both sessions are started before either is awaited.
    let a = spawn_in(a_home.path(), &root, "a");
    let b = spawn_in(b_home.path(), &root, "b");
    for (name, child) in [("a", a), ("b", b)] {
        let out = child.wait_with_output().unwrap();
        assert_success(&out);
        let evs = events(&out.stdout);
        let results: Vec<&serde_json::Value> =
            evs.iter().filter(|e| e["type"] == "tool.result").collect();
        assert!(
            results.iter().all(|r| r["ok"] == true),
            "{name}: {results:#?}"
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.contains("moved to"),
            "{name}: the worktree's .git was set aside: {text}"
        );
        let wt = worktree_path(&root, name);
        assert_eq!(
            std::fs::read_to_string(wt.join("notes.txt")).unwrap(),
            format!("from {name}\n")
        );
        assert_eq!(
            std::fs::read_to_string(wt.join("out.txt")).unwrap(),
            "built\n"
        );
        // The worktree's `.git` is still the file git wrote, and git still reads it.
        assert!(wt.join(".git").is_file());
        assert_eq!(
            git(&wt, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
            format!("reins/{name}")
        );
        assert!(git(&wt, &["status", "--short"]).contains("notes.txt"));
    }
    // The main checkout is untouched and sees nothing of the worktrees.
    assert_eq!(
        std::fs::read_to_string(root.join("notes.txt")).unwrap(),
        "original\n"
    );
    assert_eq!(git(&root, &["status", "--short"]), "");
    let branches = git(&root, &["branch", "--list", "reins/*"]);
    assert!(
        branches.contains("reins/a") && branches.contains("reins/b"),
        "{branches}"
    );

    let out = worktrees(a_home.path(), &root, &[]);
    assert_success(&out);
    let list = String::from_utf8_lossy(&out.stdout);
    let row = |name: &str| {
        list.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing: {list}"))
            .to_string()
    };
    for name in ["a", "b"] {
        let r = row(name);
        assert!(
            r.contains(&format!("reins/{name}")) && r.contains("2 uncommitted"),
            "{r}"
        );
        assert!(
            r.contains(&worktree_path(&root, name).display().to_string()),
            "{r}"
        );
    }
}

#[test]
fn a_worktree_is_reused_and_checkpoints_and_undo_work_inside() {
    let (_dir, root) = repo();
    let model = MockServer::start(vec![
        Reply::tool(
            "write_file",
            json!({"path": "notes.txt", "content": "first\n"}),
        ),
        Reply::text("one"),
    ]);
    let home = home_for(&model, Wire::OpenAi);
    let out = reins(home.path())
        .args(["exec", "--json", "--worktree", "fix", "-C"])
        .arg(&root)
        .arg("first")
        .output()
        .unwrap();
    assert_success(&out);
    let wt = worktree_path(&root, "fix");
    let started = &events(&out.stdout)[0];
    assert_eq!(started["type"], "session.started");
    // The second session finds the first one's uncommitted work: the worktree was reused.
    model.push(Reply::tool(
        "edit_file",
        json!({"path": "notes.txt", "old_string": "first", "new_string": "second"}),
    ));
    model.push(Reply::text("two"));
    let out = reins(home.path())
        .args(["exec", "--json", "--worktree", "fix", "-C"])
        .arg(&root)
        .arg("second")
        .output()
        .unwrap();
    assert_success(&out);
    assert!(
        events(&out.stdout)
            .iter()
            .any(|e| e["type"] == "checkpoint"),
        "a checkpoint was taken in the worktree"
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("notes.txt")).unwrap(),
        "second\n"
    );

    let diff = reins(home.path())
        .args(["diff", "-C"])
        .arg(&wt)
        .output()
        .unwrap();
    let diff = String::from_utf8_lossy(&diff.stdout);
    assert!(
        diff.contains("-first") && diff.contains("+second"),
        "{diff}"
    );
    let undo = reins(home.path())
        .args(["undo", "-C"])
        .arg(&wt)
        .output()
        .unwrap();
    assert_success(&undo);
    assert_eq!(
        std::fs::read_to_string(wt.join("notes.txt")).unwrap(),
        "first\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("notes.txt")).unwrap(),
        "original\n"
    );
}

#[test]
fn removing_a_worktree_with_uncommitted_work_needs_force_and_keeps_the_branch() {
    let (_dir, root) = repo();
    let model = MockServer::start(vec![
        Reply::tool(
            "write_file",
            json!({"path": "draft.txt", "content": "wip\n"}),
        ),
        Reply::text("done"),
        Reply::text("nothing"),
    ]);
    let home = home_for(&model, Wire::OpenAi);
    for name in ["dirty", "clean"] {
        let out = reins(home.path())
            .args(["exec", "--worktree", name, "-C"])
            .arg(&root)
            .arg("go")
            .output()
            .unwrap();
        assert_success(&out);
    }
    let out = worktrees(home.path(), &root, &["remove", "dirty"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("uncommitted") && err.contains("draft.txt") && err.contains("--force"),
        "{err}"
    );
    assert!(worktree_path(&root, "dirty").join("draft.txt").exists());

    let out = worktrees(home.path(), &root, &["remove", "clean"]);
    assert_success(&out);
    let out = worktrees(home.path(), &root, &["remove", "dirty", "--force"]);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("reins/dirty is kept"));
    assert!(!worktree_path(&root, "dirty").exists() && !worktree_path(&root, "clean").exists());
    assert!(git(&root, &["worktree", "list"]).lines().count() == 1);
    assert!(git(&root, &["branch", "--list", "reins/dirty"]).contains("reins/dirty"));
    let out = worktrees(home.path(), &root, &[]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("no worktrees"));

    // The branch is reused by a worktree of the same name.
    git(
        &root,
        &["commit", "-q", "--allow-empty", "-m", "later on main"],
    );
    model.push(Reply::text("again"));
    let out = reins(home.path())
        .args(["exec", "--worktree", "clean", "-C"])
        .arg(&root)
        .arg("again")
        .output()
        .unwrap();
    assert_success(&out);
    let wt = worktree_path(&root, "clean");
    assert_eq!(git(&wt, &["log", "--format=%s", "-1"]).trim(), "first");
}

#[test]
fn bad_names_and_folders_without_a_repository_are_refused() {
    let (_dir, root) = repo();
    let model = MockServer::start(vec![]);
    let home = home_for(&model, Wire::OpenAi);
    for bad in ["../escape", "-rf", "a/b"] {
        let out = reins(home.path())
            .args(["exec", &format!("--worktree={bad}"), "-C"])
            .arg(&root)
            .arg("x")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a worktree name"));
    }
    let plain = tempfile::tempdir().unwrap();
    let out = reins(home.path())
        .args(["exec", "--worktree", "x", "-C"])
        .arg(plain.path())
        .arg("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"));
    assert!(model.requests().is_empty());
}

#[test]
fn a_worktree_is_trusted_as_its_main_checkout_only_while_the_trusted_files_match() {
    let (_dir, root) = repo();
    std::fs::create_dir(root.join(".reins")).unwrap();
    std::fs::write(root.join(".reins/config.toml"), "max_steps = 7\n").unwrap();
    git(&root, &["add", "."]);
    git(&root, &["commit", "-q", "-m", "config"]);
    let model = MockServer::start(vec![Reply::text("ok")]);
    let home = home_for(&model, Wire::OpenAi);
    let out = reins(home.path())
        .args(["trust", "--yes", "-C"])
        .arg(&root)
        .output()
        .unwrap();
    assert_success(&out);
    let out = reins(home.path())
        .args(["exec", "--worktree", "t", "-C"])
        .arg(&root)
        .arg("hi")
        .output()
        .unwrap();
    assert_success(&out);
    let wt = worktree_path(&root, "t");
    let steps = |ws: &Path| {
        let out = reins(home.path())
            .args(["config", "show", "-C"])
            .arg(ws)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find(|l| l.starts_with("max_steps ="))
            .unwrap_or_default()
            .to_string()
    };
    assert!(steps(&wt).contains('7'), "{}", steps(&wt));
    // The worktree's branch changes the config: that is not what the user trusted.
    std::fs::write(wt.join(".reins/config.toml"), "max_steps = 9\n").unwrap();
    let line = steps(&wt);
    assert!(!line.contains('9') && !line.contains('7'), "{line}");
}

/// The TUI's `--worktree NAME`: the session's edits land in the worktree on its branch, the
/// status line names the worktree as the workspace, and the main checkout stays as it was.
#[test]
fn the_tui_works_in_its_worktree() {
    let (_dir, root) = repo();
    let server = MockServer::start(vec![
        Reply::tool(
            "write_file",
            json!({"path": "notes.txt", "content": "from the tui\n"}),
        ),
        Reply::text("Wrote the notes."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let mut pty = support::pty::Pty::spawn(home.path(), &root, &["--worktree", "tui"]);
    pty.wait_for("Ask reins");
    pty.submit("write your notes");
    pty.wait_for("Wrote the notes.");
    assert_eq!(pty.quit(), 0);
    let wt = worktree_path(&root, "tui");
    assert_eq!(
        std::fs::read_to_string(wt.join("notes.txt")).unwrap(),
        "from the tui\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("notes.txt")).unwrap(),
        "original\n",
        "the main checkout was edited"
    );
    assert_eq!(git(&wt, &["branch", "--show-current"]).trim(), "reins/tui");
    assert_eq!(git(&root, &["status", "--short"]).trim(), "");
}

/// Sessions that make their first worktrees at the same moment race to create git's
/// `worktrees` record folder; libgit2 failed the loser with "directory exists" (seen in CI).
/// Eight threads per fresh repository, twelve repositories: every worktree must be made.
#[test]
fn first_worktrees_made_at_the_same_moment_all_succeed() {
    for _ in 0..12 {
        let (_dir, root) = repo();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (root, barrier) = (root.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    reins::workspace::worktree::open_or_create(&root, &format!("w{i}"))
                        .map(|w| w.name)
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(h.join().unwrap(), Ok(format!("w{i}")));
        }
    }
}
