//! `reins review` through the binary, on real git repositories with planted bugs, against a
//! scripted model: the scope is exactly the change, findings off the diff are dropped, the verify
//! pass decides, ids are stable, dismissed findings stay quiet, SARIF validates, and the exit
//! code follows --fail-on.

mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use support::reins::{home_for, reins, Wire};
use support::{MockServer, Reply};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const PRICE_PY: &str = "def total(items):\n    s = 0\n    for i in items:\n        s += i.price\n    return s\n\n\ndef average(items):\n    return total(items) / len(items)\n";

/// A repository with price.py committed on `main`.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp repo");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join("price.py"), PRICE_PY).expect("write");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "prices"]);
    dir
}

/// Plants an off-by-one: the loop skips the first item (line 3 of the new side).
fn plant_bug(dir: &Path) {
    let buggy = PRICE_PY.replace("for i in items:", "for i in items[1:]:");
    std::fs::write(dir.join("price.py"), buggy).expect("write");
}

fn finding(path: &str, start: u32, end: u32, priority: &str, title: &str) -> Value {
    json!({"path": path, "line_start": start, "line_end": end, "priority": priority,
           "confidence": 0.9, "title": title,
           "explanation": "The slice skips the first item, so total() is short by one price."})
}

fn review_answer(findings: Vec<Value>) -> Reply {
    let verdict = if findings.is_empty() {
        "correct"
    } else {
        "incorrect"
    };
    Reply::text(
        json!({"findings": findings, "verdict": verdict, "summary": "Loops over prices."})
            .to_string(),
    )
}

/// The id reins gives a finding: path, its lines on the new side, title (see the unit tests of
/// `review::finding` for what the hash ignores).
fn id_of(repo: &Path, path: &str, start: u32, end: u32, title: &str) -> String {
    let text = std::fs::read_to_string(repo.join(path)).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    let picked: Vec<&str> = lines[(start - 1) as usize..end as usize].to_vec();
    reins::review::finding::stable_id(path, &picked, title)
}

fn verify(ids: &[(&str, bool)]) -> Reply {
    let verdicts: Vec<Value> = ids
        .iter()
        .map(|(id, ok)| json!({"id": id, "confirmed": ok, "reason": "read the loop"}))
        .collect();
    Reply::text(json!({"verdicts": verdicts}).to_string())
}

fn run_review(home: &Path, repo: &Path, args: &[&str]) -> std::process::Output {
    reins(home)
        .arg("review")
        .args(args)
        .arg("-C")
        .arg(repo)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run reins review")
}

fn user_texts(body: &Value) -> String {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["content"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn report(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn review(repo: &Path, script: Vec<Reply>, args: &[&str]) -> (std::process::Output, MockServer) {
    let server = MockServer::start(script);
    let home = home_for(&server, Wire::OpenAi);
    let out = run_review(home.path(), repo, args);
    (out, server)
}

const BUG: &str = "Loop skips the first item";

#[test]
fn a_planted_bug_is_found_held_to_the_diff_and_verified() {
    let repo = repo();
    plant_bug(repo.path());
    let id = id_of(repo.path(), "price.py", 3, 3, BUG);
    let (out, server) = review(
        repo.path(),
        vec![
            review_answer(vec![
                finding("price.py", 3, 3, "P1", BUG),
                // Unchanged code far from the hunk, and a file the change does not touch.
                finding(
                    "price.py",
                    40,
                    42,
                    "P0",
                    "Division by zero on an empty list",
                ),
                finding("other.py", 1, 1, "P0", "Imagined file"),
            ]),
            verify(&[(&id, true)]),
        ],
        &["--json", "--fail-on", "P1"],
    );
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out);
    assert_eq!(r["schema_version"], 2);
    assert_eq!(r["verdict"], "incorrect");
    let findings = r["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{r}");
    assert_eq!(findings[0]["id"], id.as_str());
    assert_eq!(findings[0]["path"], "price.py");
    assert_eq!(findings[0]["line_start"], 3);
    let dropped: Vec<&str> = r["dropped"]
        .as_array()
        .expect("dropped")
        .iter()
        .map(|d| d["reason"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(dropped.len(), 2, "{r}");
    assert!(dropped[0].contains("not on the new side"), "{dropped:?}");
    assert!(dropped[1].contains("not part of the change"), "{dropped:?}");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "one review request, one verify request");
    // The review saw the planted change and only read-only tools.
    let prompt = user_texts(&reqs[0].body);
    assert!(prompt.contains("+    for i in items[1:]:"), "{prompt}");
    let tools: Vec<&str> = reqs[0].body["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    assert!(
        tools.contains(&"read_file") && tools.contains(&"grep"),
        "{tools:?}"
    );
    for forbidden in [
        "shell",
        "edit_file",
        "write_file",
        "apply_patch",
        "remember",
    ] {
        assert!(
            !tools.contains(&forbidden),
            "{forbidden} offered: {tools:?}"
        );
    }
    // The verify pass was shown the kept finding only, by id.
    let verify_prompt = user_texts(&reqs[1].body);
    assert!(verify_prompt.contains(&id), "{verify_prompt}");
    assert!(!verify_prompt.contains("Imagined file"), "{verify_prompt}");
}

#[test]
fn the_exit_code_follows_fail_on() {
    for (threshold, code) in [("P0", 0), ("P1", 7), ("P3", 7)] {
        let repo = repo();
        plant_bug(repo.path());
        let id = id_of(repo.path(), "price.py", 3, 3, BUG);
        let (out, _) = review(
            repo.path(),
            vec![
                review_answer(vec![finding("price.py", 3, 3, "P1", BUG)]),
                verify(&[(&id, true)]),
            ],
            &["--fail-on", threshold],
        );
        assert_eq!(out.status.code(), Some(code), "--fail-on {threshold}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("[P1] price.py:3 Loop skips the first item"),
            "{text}"
        );
    }
}

#[test]
fn a_finding_the_verify_pass_rejects_is_dropped() {
    let repo = repo();
    plant_bug(repo.path());
    let id = id_of(repo.path(), "price.py", 3, 3, BUG);
    let (out, _) = review(
        repo.path(),
        vec![
            review_answer(vec![finding("price.py", 3, 3, "P0", BUG)]),
            verify(&[(&id, false)]),
        ],
        &["--json", "--fail-on", "P3"],
    );
    assert_eq!(out.status.code(), Some(0));
    let r = report(&out);
    assert_eq!(r["findings"], json!([]));
    // Nothing held, but something was raised and rejected: not a clean bill.
    assert_eq!(r["verdict"], "inconclusive");
    assert!(r["dropped"][0]["reason"]
        .as_str()
        .unwrap_or("")
        .contains("read the loop"));
}

#[test]
fn no_verify_skips_the_second_pass_and_dismissed_ids_stay_quiet() {
    let repo = repo();
    plant_bug(repo.path());
    let id = id_of(repo.path(), "price.py", 3, 3, BUG);
    let (out, server) = review(
        repo.path(),
        vec![review_answer(vec![finding("price.py", 3, 3, "P1", BUG)])],
        &["--json", "--no-verify"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(server.requests().len(), 1);
    assert_eq!(report(&out)["findings"][0]["id"], id.as_str());
    assert_eq!(report(&out)["verified"], false);

    std::fs::create_dir_all(repo.path().join(".reins")).expect("mkdir");
    std::fs::write(
        repo.path().join(".reins/review-dismissed"),
        format!(
            "{id}  # intended: the first item is a header
"
        ),
    )
    .expect("write");
    git(repo.path(), &["add", ".reins"]);
    let (out, _) = review(
        repo.path(),
        vec![review_answer(vec![finding("price.py", 3, 3, "P1", BUG)])],
        &["--json", "--no-verify", "--fail-on", "P3"],
    );
    assert_eq!(out.status.code(), Some(0));
    let r = report(&out);
    assert_eq!(r["findings"], json!([]));
    assert_eq!(r["dismissed"], 1);
    // The project's own dismissal leaves nothing open: that is a clean bill.
    assert_eq!(r["verdict"], "correct");
}

#[test]
fn base_reviews_the_branch_commits_and_not_the_work_tree() {
    let repo = repo();
    git(repo.path(), &["checkout", "-q", "-b", "feature"]);
    plant_bug(repo.path());
    git(repo.path(), &["commit", "-q", "-am", "skip header"]);
    // Unrelated, uncommitted work that must not be reviewed.
    std::fs::write(
        repo.path().join("notes.txt"),
        "scratch
",
    )
    .expect("write");
    std::fs::write(
        repo.path().join("price.py"),
        PRICE_PY.replace("s = 0", "s = 100"),
    )
    .expect("w");
    let (out, server) = review(
        repo.path(),
        vec![review_answer(vec![])],
        &["--json", "--base", "main"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prompt = user_texts(&server.requests()[0].body);
    assert!(prompt.contains("+    for i in items[1:]:"), "{prompt}");
    assert!(
        !prompt.contains("s = 100") && !prompt.contains("notes.txt"),
        "{prompt}"
    );
    assert_eq!(report(&out)["files"], 1);
}

#[test]
fn commit_reviews_that_commit_only_and_uncommitted_includes_new_files() {
    let repo = repo();
    plant_bug(repo.path());
    git(repo.path(), &["commit", "-q", "-am", "skip header"]);
    let sha = git(repo.path(), &["rev-parse", "HEAD"]);
    std::fs::write(
        repo.path().join("later.py"),
        "x = 1
",
    )
    .expect("write");
    git(repo.path(), &["add", "later.py"]);
    git(repo.path(), &["commit", "-q", "-m", "later"]);
    let (out, server) = review(
        repo.path(),
        vec![review_answer(vec![])],
        &["--json", "--commit", &sha],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prompt = user_texts(&server.requests()[0].body);
    assert!(
        prompt.contains("items[1:]") && !prompt.contains("later.py"),
        "{prompt}"
    );

    std::fs::write(
        repo.path().join("fresh.py"),
        "y = 2
",
    )
    .expect("write");
    let (out, server) = review(repo.path(), vec![review_answer(vec![])], &["--json"]);
    assert_eq!(out.status.code(), Some(0));
    let prompt = user_texts(&server.requests()[0].body);
    assert!(
        prompt.contains("+y = 2") && prompt.contains("fresh.py"),
        "{prompt}"
    );
}

#[test]
fn a_nothing_to_review_change_asks_no_model() {
    let repo = repo();
    let (out, server) = review(repo.path(), vec![], &["--json", "--fail-on", "P3"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(server.requests().is_empty());
    assert_eq!(report(&out)["files"], 0);
}

#[test]
fn a_large_diff_is_reviewed_in_parts_and_merged() {
    let repo = repo();
    plant_bug(repo.path());
    std::fs::write(
        repo.path().join("b.py"),
        "def b():
    return 1 / 0
",
    )
    .expect("write");
    let id_a = id_of(repo.path(), "price.py", 3, 3, BUG);
    let id_b = id_of(repo.path(), "b.py", 2, 2, "Always divides by zero");
    let (out, server) = review(
        repo.path(),
        vec![
            review_answer(vec![finding("price.py", 3, 3, "P1", BUG)]),
            review_answer(vec![finding("b.py", 2, 2, "P0", "Always divides by zero")]),
            verify(&[(&id_a, true), (&id_b, true)]),
        ],
        &["--json", "--part-size", "100"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let first = user_texts(&reqs[0].body);
    let second = user_texts(&reqs[1].body);
    assert!(
        first.contains("part 1 of 2") && second.contains("part 2 of 2"),
        "{first}"
    );
    assert!(
        first.contains("b.py") != second.contains("b.py"),
        "each part has its own files"
    );
    let r = report(&out);
    assert_eq!(r["parts"], 2);
    let ids: Vec<&str> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    // Most important first.
    assert_eq!(ids, [id_b.as_str(), id_a.as_str()]);
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let repo = repo();
    plant_bug(repo.path());
    let id = id_of(repo.path(), "price.py", 3, 3, BUG);
    let sarif = repo.path().join("out.sarif");
    let (out, _) = review(
        repo.path(),
        vec![
            review_answer(vec![finding("price.py", 3, 3, "P1", BUG)]),
            verify(&[(&id, true)]),
        ],
        &["--sarif", &sarif.display().to_string()],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).expect("sarif"))
        .expect("SARIF is JSON");
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/sarif-2.1.0.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{errors:?}
{log}"
    );
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["partialFingerprints"]["reinsFindingId/v1"],
        id.as_str()
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
}

#[test]
fn github_actions_get_one_annotation_per_finding() {
    let repo = repo();
    plant_bug(repo.path());
    let server = MockServer::start(vec![review_answer(vec![finding(
        "price.py", 3, 3, "P1", BUG,
    )])]);
    let home = home_for(&server, Wire::OpenAi);
    let out = reins(home.path())
        .args(["review", "--no-verify", "--quiet", "-C"])
        .arg(repo.path())
        .env("GITHUB_ACTIONS", "true")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "::error file=price.py,line=3,endLine=3,title=P1 Loop skips the first item::"
        ),
        "{stderr}"
    );
}

/// The repository names programs for git to run (an fsmonitor, a textconv filter and an
/// external diff driver); reading the change must run none of them.
#[test]
fn reading_the_change_runs_no_program_the_repository_names() {
    let repo = repo();
    plant_bug(repo.path());
    let marker = repo.path().join("ran");
    let script = repo.path().join("evil.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh
touch '{}'
",
            marker.display()
        ),
    )
    .expect("w");
    Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .expect("chmod");
    let s = script.display().to_string();
    git(repo.path(), &["config", "core.fsmonitor", &s]);
    git(repo.path(), &["config", "diff.evil.textconv", &s]);
    git(repo.path(), &["config", "diff.evil.command", &s]);
    std::fs::write(
        repo.path().join(".gitattributes"),
        "*.py diff=evil
",
    )
    .expect("w");
    let (out, _) = review(
        repo.path(),
        vec![review_answer(vec![])],
        &["--json", "--no-verify"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!marker.exists(), "git ran a program the repository named");
}

#[test]
fn a_revision_that_looks_like_an_option_is_refused() {
    let repo = repo();
    let (out, server) = review(repo.path(), vec![], &["--base=--output=/tmp/x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(server.requests().is_empty());
}

/// `-C` pointing into the repository still reviews the repository's change, and the session's
/// workspace is the repository root, so the diff's paths (relative to the root) are the paths the
/// model reads, the findings name and the SARIF and annotations carry.
#[test]
fn review_from_a_subdirectory_uses_the_repository_root() {
    let repo = repo();
    std::fs::create_dir_all(repo.path().join("pkg")).expect("mkdir");
    std::fs::write(
        repo.path().join("pkg/util.py"),
        "def one():\n    return 1\n",
    )
    .expect("w");
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "util"]);
    std::fs::write(
        repo.path().join("pkg/util.py"),
        "def one():\n    return 2\n",
    )
    .expect("w");
    let title = "one() returns two";
    let id = id_of(repo.path(), "pkg/util.py", 2, 2, title);
    let server = MockServer::start(vec![
        Reply::tool("read_file", json!({"path": "pkg/util.py"})),
        review_answer(vec![finding("pkg/util.py", 2, 2, "P1", title)]),
        verify(&[(&id, true)]),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let out = run_review(home.path(), &repo.path().join("pkg"), &["--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out);
    assert_eq!(r["findings"][0]["path"], "pkg/util.py", "{r}");
    let reqs = server.requests();
    let tool_result: String = reqs[1].body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "tool")
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(
        tool_result.contains("return 2"),
        "read_file of the diff's path did not read the file: {tool_result}"
    );
}

/// `[review]` sets the defaults: the verify pass's model (a second server here, standing in for
/// a stronger model), `fail_on` (exit 7 without the flag) and `verify = false` (through `-c`).
#[test]
fn the_review_config_section_sets_the_defaults() {
    let repo = repo();
    plant_bug(repo.path());
    let id = id_of(repo.path(), "price.py", 3, 3, BUG);
    let reviewer = MockServer::start(vec![
        review_answer(vec![finding("price.py", 3, 3, "P1", BUG)]),
        review_answer(vec![finding("price.py", 3, 3, "P1", BUG)]),
    ]);
    let strong = MockServer::start(vec![verify(&[(&id, true)])]);
    let home = home_for(&reviewer, Wire::OpenAi);
    let config = home.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str(&format!(
        r#"
[providers.strong]
kind = "openai"
base_url = "{}"
api_key_env = "MOCK_API_KEY"

[models.strong]
provider = "strong"
name = "strong-model"
context_window = 100000

[review]
verify_model = "strong"
fail_on = "P1"
"#,
        strong.openai_base()
    ));
    std::fs::write(&config, text).expect("config");
    let out = run_review(home.path(), repo.path(), &["--json"]);
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report(&out)["findings"][0]["id"], id.as_str());
    assert_eq!(reviewer.requests().len(), 1);
    let verify_requests = strong.requests();
    assert_eq!(
        verify_requests.len(),
        1,
        "the verify pass ran on [review] verify_model"
    );
    assert_eq!(verify_requests[0].body["model"], "strong-model");

    let out = run_review(
        home.path(),
        repo.path(),
        &["--json", "-c", "review.verify=false"],
    );
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(report(&out)["verified"], false);
    assert_eq!(strong.requests().len(), 1, "no second verify pass");

    // A part size of zero is a config error naming the key, before any model is asked.
    let out = run_review(home.path(), repo.path(), &["-c", "review.part_size=0"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("review.part_size"));
}

fn with_repro(mut f: Value, command: &str) -> Value {
    f["reproduce"] = json!(command);
    f
}

/// Where the project has checks, the prompt asks for reproducing commands; a finding whose
/// command fails is kept with the failure shown, one whose command passes or cannot run is
/// dropped with a note, and the work tree is not where they ran.
#[test]
fn reproducing_commands_must_fail_or_the_finding_is_dropped() {
    let repo = repo();
    plant_bug(repo.path());
    let fails = "python3 -c 'import price\nclass I: price = 1\nassert price.total([I(), I()]) == 2, \"short by one\"'";
    let passes = "python3 -c 'import price'";
    let missing = "no-such-test-runner-xyz --all";
    let (out, server) = review(
        repo.path(),
        vec![
            review_answer(vec![
                with_repro(finding("price.py", 3, 3, "P1", BUG), fails),
                with_repro(finding("price.py", 4, 4, "P2", "Sum is wrong"), passes),
                with_repro(finding("price.py", 5, 5, "P2", "Return is wrong"), missing),
            ]),
            verify(&[(&id_of(repo.path(), "price.py", 3, 3, BUG), true)]),
        ],
        &["--json", "-c", "checks.commands=[\"python3 -m unittest\"]"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out);
    let findings = r["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{r}");
    assert_eq!(findings[0]["reproduced"]["exit_code"], 1, "{r}");
    assert!(findings[0]["reproduced"]["output"]
        .as_str()
        .unwrap_or("")
        .contains("short by one"));
    let reasons: Vec<&str> = r["dropped"]
        .as_array()
        .expect("dropped")
        .iter()
        .map(|d| d["reason"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("passed"), "{reasons:?}");
    assert!(reasons[1].contains("could not run"), "{reasons:?}");
    // The prompt named the checks; the verify pass saw the failure.
    let reqs = server.requests();
    let prompt = user_texts(&reqs[0].body);
    assert!(
        prompt.contains("`python3 -m unittest`") && prompt.contains("reproduce"),
        "{prompt}"
    );
    assert!(user_texts(&reqs[1].body).contains("short by one"));
    // Nothing the commands did reached the work tree (Python would leave __pycache__).
    assert!(!repo.path().join("__pycache__").exists());
}

/// Without checks the prompt asks for no command, and one given anyway is not run.
#[test]
fn without_checks_no_reproducing_command_runs() {
    let repo = repo();
    plant_bug(repo.path());
    let marker = repo.path().join("ran");
    let (out, server) = review(
        repo.path(),
        vec![review_answer(vec![with_repro(
            finding("price.py", 3, 3, "P1", BUG),
            &format!("touch '{}'; exit 1", marker.display()),
        )])],
        &["--json", "--no-verify"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(report(&out)["findings"].as_array().map(Vec::len), Some(1));
    assert!(!marker.exists(), "the command ran");
    let prompt = user_texts(&server.requests()[0].body);
    assert!(prompt.contains("do not give `reproduce`"), "{prompt}");
}

/// The attacker's reproducing command tries to write the user's work tree (by absolute path),
/// a directory outside the scratch copy, and to reach the network: it runs confined, so none
/// of it lands, and its failure shows the refusals.
#[test]
fn a_hostile_reproducing_command_cannot_write_outside_its_scratch_copy() {
    let base = tempfile::Builder::new()
        .prefix("repro")
        .tempdir_in(support::outside_temp_dirs())
        .expect("base");
    let work = base.path().join("work");
    let outside = base.path().join("outside");
    std::fs::create_dir_all(&work).expect("mkdir");
    std::fs::create_dir_all(&outside).expect("mkdir");
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("price.py"), PRICE_PY).expect("write");
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "prices"]);
    plant_bug(&work);
    let hostile = format!(
        "echo pwned > '{w}/price.py'; echo pwned > '{w}/new.txt'; echo pwned > '{o}/escaped'; echo pwned > ../escaped-parent; exit 1",
        w = work.display(),
        o = outside.display()
    );
    let (out, _) = review(
        &work,
        vec![review_answer(vec![with_repro(
            finding("price.py", 3, 3, "P1", BUG),
            &hostile,
        )])],
        &["--json", "--no-verify", "-c", "checks.commands=[\"true\"]"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out);
    let text = std::fs::read_to_string(work.join("price.py")).expect("read");
    assert!(
        text.contains("for i in items[1:]:"),
        "the work tree was written: {text}"
    );
    assert!(!work.join("new.txt").exists());
    assert!(!outside.join("escaped").exists());
    assert!(!base.path().join("escaped-parent").exists());
    // Either it ran confined (its writes refused, exit 1 kept) or it could not run at all here
    // (no kernel confinement): both leave the user's files alone.
    let kept = r["findings"].as_array().map(Vec::len) == Some(1);
    if kept {
        let output = r["findings"][0]["reproduced"]["output"]
            .as_str()
            .unwrap_or("");
        assert!(
            output.contains("ermission denied") || output.contains("ead-only"),
            "{output}"
        );
    } else {
        eprintln!("note: the sandbox is not available here; the command was refused: {r}");
        assert!(r["dropped"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("could not run"));
    }
}

/// A schema of reins' own, as sent: without its `$schema` dialect marker.
fn sent_schema(text: &str) -> Value {
    let mut v: Value = serde_json::from_str(text).expect("schema JSON");
    v.as_object_mut().expect("object").remove("$schema");
    v
}

#[test]
fn review_and_verify_send_their_schemas_as_native_structured_output() {
    let review_schema = sent_schema(include_str!("../docs/review.schema.json"));
    let verify_schema = sent_schema(include_str!("../src/review/verify.schema.json"));
    for wire in [Wire::OpenAi, Wire::Anthropic] {
        let repo = repo();
        plant_bug(repo.path());
        let id = id_of(repo.path(), "price.py", 3, 3, BUG);
        let server = MockServer::start(vec![
            review_answer(vec![finding("price.py", 3, 3, "P1", BUG)]),
            verify(&[(&id, true)]),
        ]);
        let home = home_for(&server, wire);
        support::reins::set_model_options(home.path(), "structured_output = true");
        let out = run_review(home.path(), repo.path(), &["--json"]);
        let r = report(&out);
        assert_eq!(r["findings"].as_array().map(Vec::len), Some(1), "{r}");
        let reqs = server.requests();
        assert_eq!(reqs.len(), 2, "{wire:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        match wire {
            // Optional fields and length limits: outside strict mode, so sent non-strict.
            Wire::OpenAi => {
                assert_eq!(
                    reqs[0].body["response_format"],
                    json!({"type": "json_schema", "json_schema": {
                        "name": "review", "schema": review_schema, "strict": false}})
                );
                assert_eq!(
                    reqs[1].body["response_format"]["json_schema"]["name"],
                    "review_verification"
                );
                assert_eq!(
                    reqs[1].body["response_format"]["json_schema"]["schema"],
                    verify_schema
                );
                assert!(stderr.contains("without strict mode"), "{stderr}");
            }
            // Claude's decoder takes the structure; the limits are left to validation.
            _ => {
                let sent = &reqs[0].body["output_config"]["format"];
                assert_eq!(sent["type"], "json_schema");
                let finding = &sent["schema"]["$defs"]["finding"]["properties"];
                assert_eq!(finding["title"], json!({"type": "string"}));
                assert_eq!(
                    finding["priority"],
                    review_schema["$defs"]["finding"]["properties"]["priority"]
                );
                assert_eq!(
                    reqs[1].body["output_config"]["format"]["schema"]["required"],
                    json!(["verdicts"])
                );
                assert!(
                    stderr.contains("without `maxItems`, `maxLength`"),
                    "{stderr}"
                );
            }
        }
    }
}
