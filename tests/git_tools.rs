//! Git as an attacker would use it against reins, with real repositories and the real binary: a
//! `.git` planted by the sandbox that points the working tree elsewhere must not move the
//! workspace; the repository's config must not make reins run anything (hooks, fsmonitor,
//! filters, textconv, external diff); and `git_status` / `git_diff` show neither the names nor
//! the content of files the read policy refuses, nor anything outside the workspace.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

/// Runs the git CLI in `dir` without the machine's config; it must succeed.
fn git(dir: &Path, args: &[&str]) -> Output {
    let out = git_anyhow(dir, args);
    assert!(out.status.success(), "git {args:?}: {out:?}");
    out
}

/// Runs the git CLI in `dir` without the machine's config, however it ends.
fn git_anyhow(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git")
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn canonical_tempdir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().canonicalize().expect("canonical");
    (dir, path)
}

/// `reins tool run NAME ARGS` started in `cwd` (no `-C`), with `extra` arguments; returns
/// (exit code, stdout, stderr).
fn tool(cwd: &Path, name: &str, args: &str, extra: &[&str]) -> (i32, String, String) {
    let home = tempfile::tempdir().expect("home");
    let out = support::reins::reins(home.path())
        .current_dir(cwd)
        .args(["tool", "run", name, args])
        .args(extra)
        .output()
        .expect("run reins");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn pwd(cwd: &Path) -> String {
    let (code, out, err) = tool(cwd, "shell", r#"{"command": "pwd"}"#, &[]);
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn a_planted_dot_git_with_a_worktree_elsewhere_does_not_move_the_workspace() {
    let (_o, outside) = canonical_tempdir();
    // At the top of a workspace that had no repository.
    let (_w, ws) = canonical_tempdir();
    git(&ws, &["init", "-q"]);
    git(
        &ws,
        &["config", "core.worktree", outside.to_str().expect("utf-8")],
    );
    let shown = pwd(&ws);
    assert!(shown.contains(ws.to_str().expect("utf-8")), "{shown}");
    assert!(!shown.contains(outside.to_str().expect("utf-8")), "{shown}");

    // In a subfolder of a real repository, pointing at `/`.
    let (_r, repo) = canonical_tempdir();
    git(&repo, &["init", "-q"]);
    let sub = repo.join("sub");
    std::fs::create_dir(&sub).expect("sub");
    git(&sub, &["init", "-q"]);
    git(&sub, &["config", "core.worktree", "/"]);
    let shown = pwd(&sub);
    assert!(shown.contains(sub.to_str().expect("utf-8")), "{shown}");
    let (code, _, err) = tool(&sub, "git_status", "{}", &[]);
    assert_eq!(code, 1, "the git tools refuse the planted repository too");
    assert!(err.contains("core.worktree"), "{err}");
}

#[test]
fn a_gitfile_pointing_at_another_repository_is_not_followed() {
    let (_o, other) = canonical_tempdir();
    git(&other, &["init", "-q"]);
    write(&other, "theirs.txt", "their file\n");
    git(&other, &["add", "."]);
    let (_w, ws) = canonical_tempdir();
    write(
        &ws,
        ".git",
        &format!("gitdir: {}\n", other.join(".git").display()),
    );
    let (code, out, err) = tool(&ws, "git_status", "{}", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("outside the directory holding it"), "{err}");
}

/// A repository whose config and attributes name a program at every place git could run one.
fn booby_trapped_repo(marker_dir: &Path) -> (tempfile::TempDir, PathBuf) {
    let (dir, ws) = canonical_tempdir();
    git(&ws, &["init", "-q"]);
    write(&ws, "a.txt", "one\n");
    write(&ws, "b.bin", "two\n");
    git(&ws, &["add", "."]);
    git(&ws, &["commit", "-q", "-m", "init"]);
    let touch = |what: &str| format!("touch {}/{what}; cat", marker_dir.display());
    let script = marker_dir.join("tool.sh");
    write(
        marker_dir,
        "tool.sh",
        &format!("#!/bin/sh\n{}\n", touch("script")),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let hooks = marker_dir.join("hooks");
    for hook in [
        "post-index-change",
        "pre-commit",
        "post-checkout",
        "reference-transaction",
    ] {
        write(
            &hooks,
            hook,
            &format!("#!/bin/sh\ntouch {}/hook-{hook}\n", marker_dir.display()),
        );
        std::fs::set_permissions(
            hooks.join(hook),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .expect("chmod");
    }
    let included = marker_dir.join("included.cfg");
    write(
        marker_dir,
        "included.cfg",
        &format!("[diff]\n\texternal = {}\n", script.display()),
    );
    let settings = [
        ("core.fsmonitor", script.display().to_string()),
        ("core.hooksPath", hooks.display().to_string()),
        ("filter.trap.clean", touch("clean")),
        ("filter.trap.smudge", touch("smudge")),
        ("filter.trap.process", touch("process")),
        ("diff.trap.textconv", touch("textconv")),
        ("diff.trap.command", touch("diffcmd")),
        ("include.path", included.display().to_string()),
    ];
    for (key, value) in settings {
        git(&ws, &["config", key, &value]);
    }
    write(
        &ws,
        ".gitattributes",
        "*.txt filter=trap diff=trap\n*.bin diff=trap\n",
    );
    write(&ws, "a.txt", "one changed\n");
    write(&ws, "b.bin", "two changed\n");
    write(&ws, "c.txt", "untracked\n");
    (dir, ws)
}

fn markers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("marker dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !["tool.sh", "hooks", "included.cfg"].contains(&n.as_str()))
        .collect()
}

#[test]
fn git_tools_run_nothing_the_repository_config_names() {
    // The trap is real: git itself runs it.
    let (_p, probe) = canonical_tempdir();
    let (_g, ws) = booby_trapped_repo(&probe);
    git_anyhow(&ws, &["status", "--short"]);
    git_anyhow(&ws, &["diff"]);
    assert!(
        !markers(&probe).is_empty(),
        "the planted config runs nothing under git itself"
    );

    let (_m, marker_dir) = canonical_tempdir();
    let (_w, ws) = booby_trapped_repo(&marker_dir);
    for (name, args) in [
        ("git_status", "{}"),
        ("git_diff", "{}"),
        ("git_diff", r#"{"staged": true}"#),
        ("git_diff", r#"{"path": "a.txt"}"#),
    ] {
        let (code, out, err) = tool(&ws, name, args, &[]);
        assert_eq!(code, 0, "{name} {args}: {err}");
        let staged = args.contains("staged");
        assert!(staged || out.contains("a.txt"), "{name}: {out}");
    }
    assert_eq!(
        markers(&marker_dir),
        Vec::<String>::new(),
        "reins ran a program the repository named"
    );
}

#[test]
fn git_tools_hide_the_names_and_content_of_files_the_read_policy_refuses() {
    let (_w, ws) = canonical_tempdir();
    git(&ws, &["init", "-q"]);
    write(&ws, "visible.txt", "v1\n");
    write(&ws, "id_rsa_backup", "OLD-PRIVATE-KEY\n");
    git(&ws, &["add", "."]);
    git(&ws, &["commit", "-q", "-m", "init"]);
    write(&ws, "visible.txt", "v2\n");
    write(&ws, "id_rsa_backup", "NEW-PRIVATE-KEY\n");
    write(&ws, ".env", "API_KEY=sk-live-123\n");
    write(&ws, "certs/server.pem", "-----BEGIN PRIVATE KEY----- zzz\n");
    write(&ws, "secrets/db.txt", "hunter2\n");
    write(&ws, "prod/.ENV", "UPPER_ENV_SECRET\n");
    write(&ws, "certs/ca.PEM", "UPPER_PEM_SECRET\n");
    write(&ws, "keys/id_ed25519", "ED25519_SECRET\n");
    let deny = ["-c", r#"permissions.deny=["read(secrets/**)"]"#];
    let (status_code, status, _) = tool(&ws, "git_status", "{}", &deny);
    let (diff_code, diff, _) = tool(&ws, "git_diff", "{}", &deny);
    assert_eq!((status_code, diff_code), (0, 0));
    for out in [&status, &diff] {
        assert!(out.contains("visible.txt"), "{out}");
        for leak in [
            ".env",
            "sk-live-123",
            "server.pem",
            "BEGIN PRIVATE",
            "secrets/",
            "hunter2",
            "id_rsa",
            "PRIVATE-KEY",
            ".ENV",
            "UPPER_ENV_SECRET",
            "ca.PEM",
            "UPPER_PEM_SECRET",
            "id_ed25519",
            "ED25519_SECRET",
        ] {
            assert!(!out.contains(leak), "`{leak}` leaked: {out}");
        }
        assert!(out.contains("7 changed paths are not shown"), "{out}");
    }
    let (_, one, _) = tool(&ws, "git_diff", r#"{"path": ".env"}"#, &deny);
    assert!(!one.contains("sk-live-123"), "{one}");
}

#[test]
fn git_tools_in_a_nested_workspace_show_only_its_paths() {
    let (_r, repo) = canonical_tempdir();
    git(&repo, &["init", "-q"]);
    write(&repo, "outer.txt", "o1\n");
    write(&repo, "ws/inner.txt", "i1\n");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "init"]);
    write(&repo, "outer.txt", "o2 OUTSIDE-CONTENT\n");
    write(&repo, "outer-new.txt", "OUTSIDE-NEW\n");
    write(&repo, "ws/inner.txt", "i2\n");
    write(&repo, "ws/inner-new.txt", "inside\n");
    let ws = repo.join("ws");
    let c = ["-C", ws.to_str().expect("utf-8")];
    let (_, status, err) = tool(&repo, "git_status", "{}", &c);
    assert!(
        status.contains(" M inner.txt") && status.contains("?? inner-new.txt"),
        "{status}{err}"
    );
    assert!(!status.contains("outer"), "{status}");
    let (_, diff, _) = tool(&repo, "git_diff", "{}", &c);
    assert!(
        diff.contains("a/inner.txt") && diff.contains("+i2"),
        "{diff}"
    );
    assert!(
        !diff.contains("outer") && !diff.contains("OUTSIDE"),
        "{diff}"
    );
    let (_, one, _) = tool(&repo, "git_diff", r#"{"path": "inner.txt"}"#, &c);
    assert!(one.contains("+i2") && !one.contains("inner-new"), "{one}");
}

#[test]
fn git_status_is_capped() {
    let (_w, ws) = canonical_tempdir();
    git(&ws, &["init", "-q"]);
    for i in 0..300 {
        write(&ws, &format!("many/f{i:04}.txt"), "x\n");
    }
    let (code, out, _) = tool(&ws, "git_status", "{}", &[]);
    assert_eq!(code, 0);
    assert!(out.lines().count() < 210, "{} lines", out.lines().count());
    assert!(out.contains("100 more changed paths not listed"), "{out}");
}
