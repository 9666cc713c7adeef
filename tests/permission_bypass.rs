//! The permission rules tried as an attacker would, through the binary: a scripted model sends
//! the spellings that used to slip past the rules (issue 15), and new ones in the same families,
//! under the README's own rules. Each command would leave a marker file if it ran.

mod support;

use serde_json::{json, Value};
use std::path::Path;
use support::mock_server::Turn;
use support::reins::{assert_success, calc_workspace, events, home_for, reins, Wire};
use support::{MockServer, Reply};

/// The README's example rules, plus the broad allow rules the issue found abused.
const README_RULES: [&str; 6] = [
    "-c",
    r#"permissions.allow=["shell(cargo test*)", "shell(git status)", "shell(git diff*)", "shell(ls*)", "shell(git*)", "shell(echo*)"]"#,
    "-c",
    r#"permissions.ask=["shell(git push*)"]"#,
    "-c",
    r#"permissions.deny=["shell(rm -rf*)", "shell(rm -rf /*)", "read(.env*)"]"#,
];

/// Runs one `reins exec` session in which the model makes every call of `calls` in one turn, and
/// returns the events and the tool results it got back, in order.
fn session(calls: Vec<(&str, Value)>, extra: &[&str], ws: &Path) -> (Vec<Value>, Vec<String>) {
    let server = MockServer::start(vec![Reply::Turn(Turn::tools(calls)), Reply::text("done")]);
    let home = home_for(&server, Wire::OpenAi);
    let out = reins(home.path())
        .args(["exec", "--json"])
        .args(extra)
        .arg("-C")
        .arg(ws)
        .arg("go")
        .output()
        .unwrap();
    assert_success(&out);
    let requests = server.requests();
    let results = requests[1].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect();
    (events(&out.stdout), results)
}

fn shell_calls(lines: &[String]) -> Vec<(&'static str, Value)> {
    lines
        .iter()
        .map(|l| ("shell", json!({ "command": l })))
        .collect()
}

/// A git repository with one commit and an uncommitted change, so `difftool` and pagers run.
fn git_workspace() -> tempfile::TempDir {
    let ws = calc_workspace();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(ws.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "init"]);
    std::fs::write(ws.path().join("calc.py"), "changed\n").unwrap();
    ws
}

fn with(extra: &[&'static str], more: &[&'static str]) -> Vec<&'static str> {
    extra.iter().chain(more).copied().collect()
}

#[test]
fn lines_bash_reads_differently_never_match_allow_rules() {
    let ws = git_workspace();
    let lines: Vec<String> = [
        "git diff $((touch p1) )",
        "ls # '\ntouch p2\n#'",
        "git diff $'\\'' ; touch p3 ; echo ''",
        "ls() { touch p4; }; ls",
        "git diff ${X:-$(touch p5)}",
        "ls -la # x'\ntouch p6",
        "git diff -- $'a\\'' ; touch p7 ; echo ''",
        "function ls { touch p8; }; ls",
        "echo ok > p9",
        "ls\\\n; touch p10",
        "git status; eval 'touch p11'",
        "echo `touch p12`",
        "ls <(touch p13)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let config = with(&README_RULES, &["-c", "approval=\"on-request\""]);
    let (_, results) = session(shell_calls(&lines), &config, ws.path());
    assert_eq!(results.len(), lines.len());
    for (i, (line, result)) in lines.iter().zip(&results).enumerate() {
        assert!(result.contains("not permitted"), "{line:?} ran: {result}");
        let marker = ws.path().join(format!("p{}", i + 1));
        assert!(!marker.exists(), "{line:?} created {}", marker.display());
    }
}

#[test]
fn options_that_run_programs_never_match_allow_rules() {
    let ws = git_workspace();
    let lines: Vec<String> = [
        "git difftool --no-prompt --extcmd='touch q1' HEAD",
        "git difftool -y -x 'touch q2'",
        "git -c core.pager='touch q3' -p log",
        "git -c alias.st='!touch q4' st",
        "git --config-env=core.pager=PWD log",
        "cargo test --config 'target.x86_64-unknown-linux-gnu.runner=\"touch q6\"'",
        "cargo test --config=build.rustc-wrapper=./w",
        "git fetch --upload-pack='touch q8' .",
        "git grep -O'touch q9' def",
        "GIT_EXTERNAL_DIFF='touch q10' git diff",
        "env git diff --extcmd='touch q11'",
        "echo x | xargs touch q12",
        "git diff --output=q13",
        "ls | bash",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let config = with(&README_RULES, &["-c", "approval=\"on-request\""]);
    let (_, results) = session(shell_calls(&lines), &config, ws.path());
    for (i, (line, result)) in lines.iter().zip(&results).enumerate() {
        assert!(result.contains("not permitted"), "{line:?} ran: {result}");
        assert!(!ws.path().join(format!("q{}", i + 1)).exists(), "{line:?}");
    }
    assert!(!ws.path().join("q13").exists());
}

#[test]
fn deny_rules_catch_every_spelling_of_the_program_and_options() {
    let ws = calc_workspace();
    let spellings = [
        "rm -r -f {}",
        "rm -fr {}",
        "rm --recursive --force {}",
        "rm --recur --forc {}",
        "/bin/rm -rf {}",
        "r''m -rf {}",
        "\\rm -rf {}",
        "\"rm\" -R -f {}",
        "rm -v -r -f {}",
        "rm {} -rf",
        "command rm -rf {}",
        "env rm -fr {}",
        "sudo -n rm -rf {} 2>/dev/null || /usr/bin/rm -rf {}",
        "bash -c 'rm -r -f {}'",
        "find {} -maxdepth 0 -exec rm -rf {{}} +",
        "echo {} | xargs rm -rf",
        "rm >/dev/null -rf {}",
        "$(echo rm) -rf {}",
        "X=rm; $X -rf {}",
        "eval \"rm -rf {}\"",
        "rm -rf \"$(echo {})\"",
    ];
    let lines: Vec<String> = spellings
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let dir = format!("victim{i}");
            std::fs::create_dir_all(ws.path().join(&dir).join("sub")).unwrap();
            s.replace("{{}}", "\0")
                .replace("{}", &dir)
                .replace('\0', "{}")
        })
        .collect();
    let (_, results) = session(shell_calls(&lines), &README_RULES, ws.path());
    for (i, (line, result)) in lines.iter().zip(&results).enumerate() {
        assert!(result.contains("not permitted"), "{line:?} ran: {result}");
        assert!(
            ws.path().join(format!("victim{i}/sub")).exists(),
            "{line:?} deleted it"
        );
    }
}

#[test]
fn ask_rules_catch_options_before_the_subcommand() {
    let ws = git_workspace();
    let lines: Vec<String> = [
        "git -C . push origin main",
        "git --no-pager push",
        "git -c push.default=current push",
        "/usr/bin/git push",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (evs, results) = session(shell_calls(&lines), &README_RULES, ws.path());
    for (line, result) in lines.iter().zip(&results) {
        assert!(
            result.contains("`shell(git push*)` asks") && result.contains("never asks"),
            "{line:?}: {result}"
        );
    }
    let asked = evs
        .iter()
        .filter(|e| e["type"] == "approval.request")
        .count();
    assert_eq!(asked, lines.len());
}

#[test]
fn refusals_suggest_the_exact_command_never_a_prefix() {
    let ws = calc_workspace();
    let lines = vec!["python3 -m unittest -q".to_string()];
    let config = with(&README_RULES, &["-c", "approval=\"on-request\""]);
    let (_, results) = session(shell_calls(&lines), &config, ws.path());
    let suggestion = "shell(python3 -m unittest -q)";
    assert!(
        results[0].contains(suggestion) && !results[0].contains("shell(python3*)"),
        "{}",
        results[0]
    );
    let allowed = format!(r#"permissions.allow=["{suggestion}"]"#);
    let (_, results) = session(
        shell_calls(&lines),
        &["-c", "approval=\"on-request\"", "-c", &allowed],
        ws.path(),
    );
    assert!(!results[0].contains("not permitted"), "{}", results[0]);
    let other = vec!["python3 -m unittest -q; touch r1".to_string()];
    let (_, results) = session(
        shell_calls(&other),
        &["-c", "approval=\"on-request\"", "-c", &allowed],
        ws.path(),
    );
    assert!(results[0].contains("not permitted"), "{}", results[0]);
    assert!(!ws.path().join("r1").exists());
}

#[test]
fn rules_naming_unknown_tools_are_config_errors() {
    let ws = calc_workspace();
    let server = MockServer::start(vec![Reply::text("done")]);
    let home = home_for(&server, Wire::OpenAi);
    for rule in ["Shell(rm *)", "reed_file(secrets/**)"] {
        let deny = format!(r#"permissions.deny=["{rule}"]"#);
        let out = reins(home.path())
            .args(["exec", "-c", &deny, "-C"])
            .arg(ws.path())
            .arg("x")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(rule) && stderr.contains("unknown tool"),
            "{stderr}"
        );
    }
}

#[test]
fn read_deny_rules_for_one_read_tool_hold_for_the_others() {
    let ws = calc_workspace();
    std::fs::create_dir_all(ws.path().join("secrets")).unwrap();
    std::fs::write(ws.path().join("secrets/token.txt"), "launch code 4321\n").unwrap();
    for rule in [
        "read_file(secrets/**)",
        "grep(secrets/**)",
        "glob(secrets)",
        "list_dir(secrets/**)",
    ] {
        let deny = format!(r#"permissions.deny=["{rule}"]"#);
        let calls = vec![
            ("grep", json!({"pattern": "launch code"})),
            ("read_file", json!({"path": "secrets/token.txt"})),
            ("grep", json!({"pattern": "launch", "path": "secrets"})),
            ("list_dir", json!({"path": "secrets"})),
            ("glob", json!({"pattern": "**/*.txt"})),
        ];
        let (_, results) = session(calls, &["-c", &deny], ws.path());
        for result in &results {
            assert!(
                !result.contains("4321") && !result.contains("token.txt"),
                "{rule}: {result}"
            );
        }
        assert!(
            results[1].contains("not permitted"),
            "{rule}: {}",
            results[1]
        );
    }
}

#[test]
fn untrusted_mode_asks_before_run_checks() {
    let ws = calc_workspace();
    let calls = vec![("run_checks", json!({}))];
    let checks = ["-c", r#"checks.commands=["touch checked"]"#];
    let (evs, results) = session(
        calls.clone(),
        &with(&checks, &["-c", "approval=\"untrusted\""]),
        ws.path(),
    );
    assert!(results[0].contains("not permitted"), "{}", results[0]);
    assert!(evs.iter().any(|e| e["type"] == "approval.request"));
    let (_, results) = session(calls, &checks, ws.path());
    assert!(!results[0].contains("not permitted"), "{}", results[0]);
}

#[test]
fn mcp_rules_match_case_variants_of_the_tool_name() {
    let exe = std::env::current_exe().unwrap();
    let server_bin = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples/mcp_test_server");
    if !server_bin.exists() {
        eprintln!(
            "skipped: {} is not built (run plain `cargo test`)",
            server_bin.display()
        );
        return;
    }
    for rule in ["mcp(TEST__Echo)", "Test__ECHO", "mcp(test__e*)"] {
        let server = MockServer::start(vec![
            Reply::tool("test__echo", json!({"text": "hi"})),
            Reply::text("done"),
        ]);
        let home = home_for(&server, Wire::OpenAi);
        let config = home.path().join("config.toml");
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str(&format!(
            "\n[mcp_servers.test]\ncommand = \"{}\"\n",
            server_bin.display()
        ));
        std::fs::write(&config, text).unwrap();
        let ws = tempfile::tempdir().unwrap();
        let deny = format!(r#"permissions.deny=["{rule}"]"#);
        let out = reins(home.path())
            .args(["exec", "--json", "-c", &deny, "-C"])
            .arg(ws.path())
            .arg("go")
            .output()
            .unwrap();
        assert_success(&out);
        let requests = server.requests();
        let result = requests[1].body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["role"] == "tool")
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_string();
        assert!(result.contains("not permitted"), "{rule}: {result}");
    }
}

#[test]
fn read_deny_rules_for_one_read_tool_hold_for_the_git_tools() {
    let ws = git_workspace();
    std::fs::create_dir_all(ws.path().join("secrets")).unwrap();
    std::fs::write(ws.path().join("secrets/token.txt"), "launch code 4321\n").unwrap();
    let calls = vec![
        ("git_status", json!({})),
        ("git_diff", json!({})),
        ("git_diff", json!({"path": "secrets/token.txt"})),
    ];
    let (_, results) = session(
        calls,
        &["-c", r#"permissions.deny=["read_file(secrets/**)"]"#],
        ws.path(),
    );
    for result in &results {
        assert!(
            !result.contains("4321") && !result.contains("token.txt"),
            "{result}"
        );
    }
}
