//! Every built-in tool through `reins tool run`, exactly as the model would call it, errors included.

mod support;

use assert_cmd::Command;
use std::path::Path;

fn run_tool(ws: &Path, name: &str, args: &str) -> (i32, String, String) {
    let home = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("reins")
        .unwrap()
        .env("REINS_HOME", home.path())
        .args(["tool", "run", "-C"])
        .arg(ws)
        .args([name, args])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn workspace() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir_all(p.join("src/nested")).unwrap();
    std::fs::write(
        p.join("src/lib.rs"),
        "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
    )
    .unwrap();
    std::fs::write(
        p.join("src/nested/deep.rs"),
        "// needle here\nfn deep() {}\n",
    )
    .unwrap();
    std::fs::write(p.join(".gitignore"), "target/\n*.log\n").unwrap();
    std::fs::create_dir_all(p.join("target")).unwrap();
    std::fs::write(p.join("target/out.rs"), "needle in ignored\n").unwrap();
    std::fs::write(p.join("debug.log"), "needle in log\n").unwrap();
    std::fs::write(p.join("bin.dat"), [0u8, 1, 2, 3, 0, 9]).unwrap();
    d
}

#[test]
fn read_file_numbers_lines_and_pages() {
    let ws = workspace();
    let long: String = (1..=50).map(|i| format!("line {i}\n")).collect();
    std::fs::write(ws.path().join("long.txt"), long).unwrap();
    let (code, out, _) = run_tool(
        ws.path(),
        "read_file",
        r#"{"path": "long.txt", "offset": 10, "limit": 5}"#,
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("    10\tline 10\n"), "{out}");
    assert!(
        out.contains("    14\tline 14\n") && !out.contains("line 15\n"),
        "{out}"
    );
    assert!(
        out.contains("showing lines 10-14 of 50; read on with offset=15"),
        "{out}"
    );
}

#[test]
fn read_file_refuses_binary_missing_and_outside() {
    let ws = workspace();
    let (code, _, err) = run_tool(ws.path(), "read_file", r#"{"path": "bin.dat"}"#);
    assert_eq!(code, 1);
    assert!(err.contains("binary"), "{err}");
    let (_, _, err) = run_tool(ws.path(), "read_file", r#"{"path": "nope.rs"}"#);
    assert!(err.contains("does not exist"), "{err}");
    let (_, _, err) = run_tool(ws.path(), "read_file", r#"{"path": "../../etc/passwd"}"#);
    assert!(err.contains("outside the workspace"), "{err}");
    let (_, _, err) = run_tool(ws.path(), "read_file", r#"{"path": "/etc/passwd"}"#);
    assert!(err.contains("outside the workspace"), "{err}");
    let (_, _, err) = run_tool(ws.path(), "read_file", r#"{"path": "src"}"#);
    assert!(err.contains("directory"), "{err}");
}

#[test]
fn read_file_refuses_a_symlink_pointing_outside() {
    let ws = workspace();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "s3cret").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        ws.path().join("link.txt"),
    )
    .unwrap();
    let (code, out, err) = run_tool(ws.path(), "read_file", r#"{"path": "link.txt"}"#);
    assert_eq!(code, 1);
    assert!(!out.contains("s3cret") && err.contains("outside"), "{err}");
}

#[test]
fn list_dir_honours_gitignore() {
    let ws = workspace();
    let (code, out, _) = run_tool(ws.path(), "list_dir", r#"{}"#);
    assert_eq!(code, 0);
    assert!(
        out.contains("src/\n") && out.contains("  lib.rs") && out.contains(".gitignore"),
        "{out}"
    );
    assert!(
        !out.contains("target") && !out.contains("debug.log"),
        "{out}"
    );
}

#[test]
fn glob_matches_paths_and_honours_gitignore() {
    let ws = workspace();
    let (_, out, _) = run_tool(ws.path(), "glob", r#"{"pattern": "**/*.rs"}"#);
    assert_eq!(out.trim(), "src/lib.rs\nsrc/nested/deep.rs");
    let (_, out, _) = run_tool(ws.path(), "glob", r#"{"pattern": "*.zig"}"#);
    assert!(out.contains("no files match"), "{out}");
}

#[test]
fn grep_finds_lines_with_context_and_skips_ignored() {
    let ws = workspace();
    let (code, out, _) = run_tool(ws.path(), "grep", r#"{"pattern": "needle"}"#);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "src/nested/deep.rs:1:// needle here");
    let (_, out, _) = run_tool(
        ws.path(),
        "grep",
        r#"{"pattern": "A \\+ B", "ignore_case": true, "context": 1, "glob": "*.rs"}"#,
    );
    assert!(
        out.contains("src/lib.rs:2:    a + b") && out.contains("src/lib.rs-1-pub fn add"),
        "{out}"
    );
    let (code, _, err) = run_tool(ws.path(), "grep", r#"{"pattern": "(unclosed"}"#);
    assert_eq!(code, 1);
    assert!(err.contains("bad regex"), "{err}");
}

#[test]
fn write_file_creates_dirs_and_returns_a_diff() {
    let ws = workspace();
    let (code, out, _) = run_tool(
        ws.path(),
        "write_file",
        r#"{"path": "new/dir/a.txt", "content": "hello\n"}"#,
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("--- /dev/null") && out.contains("+hello"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("new/dir/a.txt")).unwrap(),
        "hello\n"
    );
    let (code, _, err) = run_tool(
        ws.path(),
        "write_file",
        r#"{"path": "../escape.txt", "content": "x"}"#,
    );
    assert_eq!(code, 1);
    assert!(err.contains("outside"), "{err}");
    assert!(!ws.path().parent().unwrap().join("escape.txt").exists());
}

#[test]
fn edit_file_replaces_and_explains_misses() {
    let ws = workspace();
    let (code, out, _) = run_tool(
        ws.path(),
        "edit_file",
        r#"{"path": "src/lib.rs", "old_string": "    a + b", "new_string": "    a.wrapping_add(b)"}"#,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("-    a + b\n+    a.wrapping_add(b)"), "{out}");
    let (code, _, err) = run_tool(
        ws.path(),
        "edit_file",
        r#"{"path": "src/lib.rs", "old_string": "pub fn ad(a: i32)", "new_string": "x"}"#,
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("not found") && err.contains("     1\tpub fn add"),
        "{err}"
    );
}

#[test]
fn bad_arguments_name_the_problem() {
    let ws = workspace();
    let (code, _, err) = run_tool(ws.path(), "edit_file", r#"{"path": "src/lib.rs"}"#);
    assert_eq!(code, 1);
    assert!(err.contains("old_string"), "{err}");
    let (_, _, err) = run_tool(ws.path(), "read_file", "[1, 2]");
    assert!(err.contains("JSON object"), "{err}");
    let (_, _, err) = run_tool(ws.path(), "nope", "{}");
    assert!(err.contains("unknown tool"), "{err}");
}

#[test]
fn shell_reports_exit_code_and_merged_output() {
    let ws = workspace();
    let (code, out, _) = run_tool(
        ws.path(),
        "shell",
        r#"{"command": "echo out; echo err >&2; exit 3"}"#,
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("exit code: 3\nout\nerr"), "{out}");
    let (_, out, _) = run_tool(
        ws.path(),
        "shell",
        r#"{"command": "pwd", "workdir": "src"}"#,
    );
    assert!(out.trim_end().ends_with("/src"), "{out}");
}

#[test]
fn shell_cuts_long_output_to_head_and_tail() {
    let ws = workspace();
    let (_, out, _) = run_tool(ws.path(), "shell", r#"{"command": "seq 1 100000"}"#);
    assert!(out.len() < 40 * 1024, "{}", out.len());
    assert!(
        out.contains("\n1\n2\n3\n") && out.trim_end().ends_with("100000"),
        "{}",
        &out[..100]
    );
    assert!(out.contains("bytes of output dropped"), "marker missing");
}

#[test]
fn shell_timeout_kills_the_process_group() {
    let ws = workspace();
    let survived = ws.path().join("survived");
    let marker = support::procs::unique_sleep(4);
    let cmd = format!(
        r#"{{"command": "(sleep {marker}; touch {}) & sleep {marker}", "timeout_ms": 300}}"#,
        survived.display()
    );
    let start = std::time::Instant::now();
    let (_, out, _) = run_tool(ws.path(), "shell", &cmd);
    assert!(out.contains("timed out after 300 ms"), "{out}");
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    // Gone from /proc, the background child too: it can never reach the touch.
    assert!(
        support::procs::eventually(std::time::Duration::from_secs(5), || {
            support::procs::processes_with(&marker) == 0
        }),
        "a background child outlived the timeout"
    );
    assert!(!survived.exists());
}

#[test]
fn git_tools_report_status_and_diff() {
    let ws = workspace();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(ws.path())
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["-c", "user.email=t@t", "-c", "user.name=t", "add", "-A"]);
    git(&[
        "-c",
        "user.email=t@t",
        "-c",
        "user.name=t",
        "commit",
        "-qm",
        "init",
    ]);
    std::fs::write(
        ws.path().join("src/lib.rs"),
        "pub fn add(a: i32, b: i32) -> i32 {\n    b + a\n}\n",
    )
    .unwrap();
    std::fs::write(ws.path().join("fresh.txt"), "new\n").unwrap();
    let (_, out, _) = run_tool(ws.path(), "git_status", "{}");
    assert!(
        out.contains(" M src/lib.rs") && out.contains("?? fresh.txt"),
        "{out}"
    );
    let (_, out, _) = run_tool(ws.path(), "git_diff", r#"{"path": "src/lib.rs"}"#);
    assert!(out.contains("-    a + b\n+    b + a"), "{out}");
    assert!(!out.contains("fresh.txt"), "{out}");
    let (_, out, _) = run_tool(ws.path(), "git_diff", r#"{"staged": true}"#);
    assert!(out.contains("no staged changes"), "{out}");
}

#[test]
fn git_tools_outside_a_repo_say_so() {
    let ws = workspace();
    let (code, _, err) = run_tool(ws.path(), "git_status", "{}");
    assert_eq!(code, 1);
    assert!(err.contains("not a git repository"), "{err}");
}

#[test]
fn tool_list_prints_every_schema() {
    let out = Command::cargo_bin("reins")
        .unwrap()
        .args(["tool", "list", "--json"])
        .output()
        .unwrap();
    let specs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = specs
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for n in [
        "read_file",
        "list_dir",
        "glob",
        "grep",
        "edit_file",
        "write_file",
        "shell",
        "git_status",
        "git_diff",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
}

/// `run_tool` with a deadline: a call that blocks (on a FIFO, say) fails the test instead of
/// hanging it.
fn run_tool_within(ws: &Path, name: &str, args: &str, secs: u64) -> (i32, String) {
    let home = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("reins")
        .unwrap()
        .env("REINS_HOME", home.path())
        .args(["tool", "run", "-C"])
        .arg(ws)
        .args([name, args])
        .timeout(std::time::Duration::from_secs(secs))
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some(),
        "`{name}` hung on {args} and was killed"
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_fifo_never_hangs_the_file_tools() {
    let ws = workspace();
    let fifo = ws.path().join("pipe");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let calls = [
        ("read_file", r#"{"path": "pipe"}"#),
        ("write_file", r#"{"path": "pipe", "content": "x"}"#),
        (
            "edit_file",
            r#"{"path": "pipe", "old_string": "a", "new_string": "b"}"#,
        ),
        (
            "apply_patch",
            r#"{"patch": "*** Begin Patch\n*** Update File: pipe\n@@\n-a\n+b\n*** End Patch\n"}"#,
        ),
    ];
    for (name, args) in calls {
        let (code, err) = run_tool_within(ws.path(), name, args, 20);
        assert_eq!(code, 1, "{name}: {err}");
        assert!(err.contains("not a regular file"), "{name}: {err}");
    }
    let (code, _, _) = run_tool(ws.path(), "grep", r#"{"pattern": "x"}"#);
    assert_eq!(code, 0);
}

#[test]
fn a_hard_link_to_a_secret_is_not_read_by_any_file_tool() {
    let ws = workspace();
    std::fs::write(ws.path().join(".env"), "API_TOKEN=hunter2\n").unwrap();
    std::fs::hard_link(ws.path().join(".env"), ws.path().join("notes.txt")).unwrap();
    let (code, out, err) = run_tool(ws.path(), "read_file", r#"{"path": "notes.txt"}"#);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("hard links"), "{err}");
    let (_, out, _) = run_tool(ws.path(), "grep", r#"{"pattern": "hunter2"}"#);
    assert!(out.contains("no matches"), "{out}");
    let (code, out, err) = run_tool(
        ws.path(),
        "edit_file",
        r#"{"path": "notes.txt", "old_string": "hunter2", "new_string": "x"}"#,
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        !err.contains("hunter2") && !out.contains("hunter2"),
        "{err}"
    );
}

#[test]
fn glob_and_list_dir_do_not_name_secret_files() {
    let ws = workspace();
    std::fs::write(ws.path().join(".env.production"), "K=v\n").unwrap();
    std::fs::write(ws.path().join("src/server.pem"), "pem\n").unwrap();
    let (_, out, _) = run_tool(ws.path(), "list_dir", r#"{}"#);
    assert!(out.contains("lib.rs"), "{out}");
    assert!(
        !out.contains(".env") && !out.contains("server.pem"),
        "{out}"
    );
    let (_, out, _) = run_tool(ws.path(), "glob", r#"{"pattern": "**/*"}"#);
    assert!(out.contains("src/lib.rs"), "{out}");
    assert!(
        !out.contains(".env") && !out.contains("server.pem"),
        "{out}"
    );
}

/// Through the library: a 30 MB argument does not fit on a command line.
#[tokio::test]
async fn a_huge_write_sends_back_a_capped_diff_that_says_so() {
    let ws = workspace();
    let ctx = reins::tools::ToolContext::new(ws.path(), reins::cancel::Cancel::never()).unwrap();
    let content: String = (0..3_000_000).map(|i| format!("l{i:07}\n")).collect();
    let args = serde_json::json!({"path": "big.txt", "content": content}).to_string();
    let out = reins::tools::Registry::builtin()
        .run("write_file", &args, &ctx)
        .await
        .unwrap()
        .text;
    assert_eq!(
        std::fs::metadata(ws.path().join("big.txt")).unwrap().len(),
        content.len() as u64
    );
    assert!(out.len() < 64 * 1024, "{} bytes sent back", out.len());
    assert!(
        out.contains("diff cut at") && out.contains("read_file"),
        "{}",
        &out[out.len() - 300..]
    );
}

#[test]
fn remember_does_not_write_through_a_reins_dir_linked_outside() {
    let ws = workspace();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), ws.path().join(".reins")).unwrap();
    let (code, out, err) = run_tool(ws.path(), "remember", r#"{"fact": "planted"}"#);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("symbolic link"), "{err}");
    let left: Vec<_> = std::fs::read_dir(outside.path())
        .unwrap()
        .flatten()
        .collect();
    assert!(left.is_empty(), "written outside: {left:?}");
}

/// Runs one `remember` call from a scripted model through `reins exec` (approval `never`) and
/// returns what the model got back and the REINS_HOME used.
fn remember_through_exec(scope: &str) -> (String, tempfile::TempDir, tempfile::TempDir) {
    use support::reins::{assert_success, home_for, reins, Wire};
    use support::{MockServer, Reply};
    let ws = workspace();
    let args = serde_json::json!({"fact": "prefers tabs", "scope": scope});
    let server = MockServer::start(vec![Reply::tool("remember", args), Reply::text("ok")]);
    let home = home_for(&server, Wire::OpenAi);
    let out = reins(home.path())
        .args(["exec", "--json", "-C"])
        .arg(ws.path())
        .arg("x")
        .output()
        .unwrap();
    assert_success(&out);
    let result = server.requests()[1].body["messages"][3]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (result, home, ws)
}

#[test]
fn remember_in_the_user_scope_asks_first_and_exec_refuses_it() {
    let (result, home, _ws) = remember_through_exec("user");
    assert!(
        result.contains("outside the workspace") && result.contains("never asks"),
        "{result}"
    );
    assert!(!home.path().join("memory.md").exists());
    let (result, _home, ws) = remember_through_exec("project");
    assert!(result.contains("remembered"), "{result}");
    let text = std::fs::read_to_string(ws.path().join(".reins/memory.md")).unwrap();
    assert!(text.contains("prefers tabs"), "{text}");
}

#[test]
fn tool_run_honours_the_users_deny_rules() {
    let ws = workspace();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[permissions]\ndeny = [\"shell(touch*)\", \"write(src/**)\"]\n",
    )
    .unwrap();
    let run = |name: &str, args: &str| {
        Command::cargo_bin("reins")
            .unwrap()
            .env("REINS_HOME", home.path())
            .args(["tool", "run", "-C"])
            .arg(ws.path())
            .args([name, args])
            .output()
            .unwrap()
    };
    let out = run("shell", r#"{"command":"touch pwned"}"#);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not permitted"));
    assert!(!ws.path().join("pwned").exists());
    let out = run("write_file", r#"{"path":"src/x.rs","content":"x"}"#);
    assert_eq!(out.status.code(), Some(1));
    assert!(!ws.path().join("src/x.rs").exists());
    let out = run("write_file", r#"{"path":"notes.md","content":"x"}"#);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// 60 files with one match each, spread over directories the parallel walk visits in no fixed
/// order.
fn many_matches() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for dir in 0..6 {
        for file in 0..10 {
            let path = d.path().join(format!("d{dir}/f{file}.txt"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, format!("x\nhit {dir}{file}\n")).unwrap();
        }
    }
    d
}

#[test]
fn grep_keeps_the_first_matches_in_path_order_and_says_only_then_that_it_cut() {
    let ws = many_matches();
    let (code, out, _) = run_tool(ws.path(), "grep", r#"{"pattern": "hit", "max_results": 7}"#);
    assert_eq!(code, 0);
    let shown: Vec<&str> = out.lines().filter(|l| l.contains(":hit")).collect();
    let want: Vec<String> = (0..7).map(|i| format!("d0/f{i}.txt:2:hit 0{i}")).collect();
    assert_eq!(shown, want, "{out}");
    assert!(out.contains("stopped at 7 matches"), "{out}");
    let (_, all, _) = run_tool(
        ws.path(),
        "grep",
        r#"{"pattern": "hit", "max_results": 60}"#,
    );
    assert_eq!(all.lines().filter(|l| l.contains(":hit")).count(), 60);
    assert!(
        !all.contains("stopped"),
        "exactly 60 matches is not a cut: {all}"
    );
}

#[test]
fn grep_cuts_inside_a_file_after_the_last_match_shown_with_its_context() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("a.txt"), "1\nhit\n3\n4\n5\nhit\n7\n").unwrap();
    let (_, out, _) = run_tool(
        ws.path(),
        "grep",
        r#"{"pattern": "hit", "max_results": 1, "context": 1}"#,
    );
    assert_eq!(
        out.trim_end(),
        "a.txt-1-1\na.txt:2:hit\na.txt-3-3\n… stopped at 1 matches; narrow the pattern, path or \
         glob, or raise max_results",
        "{out}"
    );
}

#[test]
fn glob_lists_files_in_path_order_and_says_when_there_are_more() {
    let ws = tempfile::tempdir().unwrap();
    for i in 0..1001 {
        let path = ws.path().join(format!("d{}/f{i:04}.rs", i % 7));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }
    let (code, out, _) = run_tool(ws.path(), "glob", r#"{"pattern": "**/*.rs"}"#);
    assert_eq!(code, 0);
    let listed: Vec<&str> = out.lines().filter(|l| l.ends_with(".rs")).collect();
    let mut all: Vec<String> = (0..1001)
        .map(|i| format!("d{}/f{i:04}.rs", i % 7))
        .collect();
    all.sort();
    assert_eq!(listed, all[..1000].to_vec());
    assert!(out.contains("more than 1000 matches"), "{out}");
    std::fs::remove_file(ws.path().join(&all[3])).unwrap();
    let (_, out, _) = run_tool(ws.path(), "glob", r#"{"pattern": "**/*.rs"}"#);
    assert_eq!(out.lines().count(), 1000);
    assert!(!out.contains("more than"), "{out}");
}

#[test]
fn walking_tools_leave_out_what_a_read_deny_rule_names() {
    let ws = workspace();
    std::fs::create_dir_all(ws.path().join("keys")).unwrap();
    std::fs::write(ws.path().join("keys/prod.txt"), "needle in keys\n").unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[permissions]\ndeny = [\"read(keys/**)\"]\n",
    )
    .unwrap();
    let run = |name: &str, args: &str| {
        let out = Command::cargo_bin("reins")
            .unwrap()
            .env("REINS_HOME", home.path())
            .args(["tool", "run", "-C"])
            .arg(ws.path())
            .args([name, args])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = run("grep", r#"{"pattern": "needle"}"#);
    assert!(
        out.contains("src/nested/deep.rs") && !out.contains("keys"),
        "{out}"
    );
    let out = run("glob", r#"{"pattern": "**/*.txt"}"#);
    assert!(!out.contains("prod.txt"), "{out}");
    let out = run("list_dir", r#"{"path": "keys"}"#);
    assert!(!out.contains("prod.txt"), "{out}");
}
