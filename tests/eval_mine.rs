//! `reins eval mine` on real git repositories built here (Python with unittest, a cargo crate):
//! which commits become tasks and why the others are dropped, the suite and patches it writes,
//! and `reins eval` running the mined tasks from the repository's history (a replayed solver
//! passes, a model that gives up does not).

mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use support::reins::{home_for, reins, Wire};
use support::{MockServer, Reply};

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

fn commit(dir: &Path, files: &[(&str, &str)], message: &str) {
    for (p, text) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", message]);
}

const CALC: &str = "def add(a, b):\n    return a + b\n";
const CALC_SUB: &str = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n";
const TEST_ADD: &str = "import unittest\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n";
const TEST_SUB: &str = "import unittest\nfrom calc import add, sub\n\n\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n    def test_sub(self):\n        self.assertEqual(sub(5, 3), 2)\n";

/// Six commits, one of each fate.
fn python_repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    git(p, &["init", "-q", "-b", "main"]);
    commit(
        p,
        &[("calc.py", CALC), ("test_calc.py", TEST_ADD)],
        "Start calc",
    );
    commit(
        p,
        &[("calc.py", CALC_SUB), ("test_calc.py", TEST_SUB)],
        "Add subtraction\n\nsub(a, b) returns a minus b.",
    );
    commit(p, &[("README.md", "calc\n")], "Document calc");
    commit(
        p,
        &[("test_more.py", "import unittest\nfrom calc import add\n\n\nclass M(unittest.TestCase):\n    def test_neg(self):\n        self.assertEqual(add(-1, -1), -2)\n")],
        "Test negatives",
    );
    commit(
        p,
        &[
            ("calc.py", &format!("# calculator\n{CALC_SUB}")),
            ("test_zero.py", "import unittest\nfrom calc import add\n\n\nclass Z(unittest.TestCase):\n    def test_zero(self):\n        self.assertEqual(add(0, 0), 0)\n"),
        ],
        "Comment calc and test zero",
    );
    commit(
        p,
        &[
            ("calc.py", &format!("# calculator\n{CALC_SUB}\n\ndef mul(a, b):\n    return a + b\n")),
            ("test_mul.py", "import unittest\nfrom calc import mul\n\n\nclass X(unittest.TestCase):\n    def test_mul(self):\n        self.assertEqual(mul(3, 3), 9)\n"),
        ],
        "Add a broken mul",
    );
    d
}

fn mine(home: &Path, repo: &Path, args: &[&str]) -> (String, String) {
    // From inside the repository, as a user runs it (`--out` is relative to the current dir).
    let out = reins(home)
        .current_dir(repo)
        .args(["eval", "mine"])
        .args(args)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn python_history_keeps_only_solvable_unsolved_tasks_and_says_why_the_rest_went() {
    if Command::new("python3").arg("--version").output().is_err() {
        panic!("python3 is needed for this test and is missing");
    }
    let repo = python_repo();
    let home = tempfile::tempdir().unwrap();
    let (summary, progress) = mine(
        home.path(),
        repo.path(),
        &["--out", "evals/mined", "--timeout", "60"],
    );
    assert!(
        summary.starts_with("6 commits looked at, 3 changed code and tests together, 1 kept"),
        "{summary}"
    );
    for why in [
        "1 dropped: a merge or the root commit",
        "1 dropped: changes no test file",
        "1 dropped: changes tests but no code",
        "1 dropped: the tests already pass before the change",
        "1 dropped: the tests fail with the commit's own code",
    ] {
        assert!(summary.contains(why), "{why}: {summary}");
    }
    assert_eq!(progress.lines().count(), 6, "{progress}");
    assert!(progress.contains("kept: Add subtraction"), "{progress}");

    let dir = repo.path().join("evals/mined");
    let suite: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.join("suite.toml")).unwrap()).unwrap();
    let tasks = suite["task"].as_array().unwrap();
    assert_eq!(tasks.len(), 1);
    let t = &tasks[0];
    assert!(
        t["name"].as_str().unwrap().ends_with("-add-subtraction"),
        "{t}"
    );
    assert_eq!(t["repo"].as_str(), Some("."));
    assert_eq!(
        t["prompt"].as_str(),
        Some("Add subtraction\n\nsub(a, b) returns a minus b.")
    );
    assert_eq!(
        t["checks"][0].as_str(),
        Some("python3 -m unittest -q test_calc")
    );
    let patch = std::fs::read_to_string(dir.join(t["test_patch"].as_str().unwrap())).unwrap();
    assert!(patch.contains("+    def test_sub"), "{patch}");
    assert!(
        !patch.contains("return a - b"),
        "the solution is not in the patch: {patch}"
    );
    let parent = Command::new("git")
        .args(["rev-parse", "HEAD~5"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(
        t["rev"].as_str().unwrap(),
        String::from_utf8_lossy(&parent.stdout).trim()
    );

    // The mined task runs: a replayed solver passes, a model that gives up fails.
    let solver = repo.path().join("solve.json");
    let script = json!({"turns": [
        {"text": "", "tool_calls": [{"name": "write_file", "arguments": {"path": "calc.py", "content": CALC_SUB}}]},
        {"text": "Added sub."}
    ]});
    std::fs::write(&solver, script.to_string()).unwrap();
    let server = MockServer::start(vec![Reply::text("I give up.")]);
    let eval_home = home_for(&server, Wire::OpenAi);
    let report = repo.path().join("report.json");
    let solver_model = format!("replay:{}", solver.display());
    let out = reins(eval_home.path())
        .args(["eval"])
        .arg(dir.join("suite.toml"))
        .args(["-m", &solver_model, "-m", "mock", "--json"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(runs[0]["passed"], true, "{:#}", runs[0]);
    assert_eq!(runs[1]["passed"], false, "{:#}", runs[1]);
    assert!(
        runs[1]["checks"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("unittest"),
        "{:#}",
        runs[1]
    );
    // Nothing was left in the repository: no worktree, the history as it was.
    let worktrees = Command::new("git")
        .args(["worktree", "list"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&worktrees.stdout).lines().count(),
        1
    );
}

#[test]
fn max_since_and_paths_narrow_the_walk() {
    let repo = python_repo();
    let home = tempfile::tempdir().unwrap();
    let (s, _) = mine(
        home.path(),
        repo.path(),
        &["--out", "m1", "--since", "HEAD~2", "--timeout", "60"],
    );
    assert!(s.starts_with("2 commits looked at"), "{s}");
    let (s, _) = mine(
        home.path(),
        repo.path(),
        &["--out", "m2", "--paths", "README.md", "--timeout", "60"],
    );
    assert!(
        s.contains("4 dropped: touches nothing under --paths"),
        "{s}"
    );
    let (s, progress) = mine(
        home.path(),
        repo.path(),
        &["--out", "m3", "--max", "1", "--timeout", "60"],
    );
    assert!(s.contains(", 1 kept"), "{s}");
    assert!(
        progress.lines().count() < 6,
        "stopped at the first task: {progress}"
    );
    let (s, progress) = mine(home.path(), repo.path(), &["--out", "m4", "--dry-run"]);
    assert!(
        s.starts_with("6 commits looked at, 3 changed code and tests together, 0 kept"),
        "{s}"
    );
    assert!(
        progress.contains("candidate: Add subtraction (python3 -m unittest -q test_calc)"),
        "{progress}"
    );
    let suite = std::fs::read_to_string(repo.path().join("m4/suite.toml")).unwrap();
    assert!(!suite.contains("[[task]]"), "{suite}");
}

#[test]
fn a_cargo_crate_is_mined_with_its_integration_test_target() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    git(p, &["init", "-q", "-b", "main"]);
    let manifest = "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";
    commit(
        p,
        &[
            ("Cargo.toml", manifest),
            (
                "src/lib.rs",
                "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
            ),
            (
                "tests/it.rs",
                "#[test]\nfn adds() {\n    assert_eq!(tiny::add(1, 2), 3);\n}\n",
            ),
            (".gitignore", "target\n"),
        ],
        "Start tiny",
    );
    commit(
        p,
        &[
            ("src/lib.rs", "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\npub fn double(a: i32) -> i32 {\n    a * 2\n}\n"),
            ("tests/it.rs", "#[test]\nfn adds() {\n    assert_eq!(tiny::add(1, 2), 3);\n}\n\n#[test]\nfn doubles() {\n    assert_eq!(tiny::double(4), 8);\n}\n"),
        ],
        "Add double",
    );
    let home = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let (s, _) = mine(
        home.path(),
        p,
        &["--out", out.path().to_str().unwrap(), "--timeout", "300"],
    );
    assert!(s.contains("1 kept"), "{s}");
    let suite: toml::Value =
        toml::from_str(&std::fs::read_to_string(out.path().join("suite.toml")).unwrap()).unwrap();
    let t = &suite["task"][0];
    assert_eq!(
        t["checks"][0].as_str(),
        Some("cargo test --offline -q --test it")
    );
    // Outside the repository, the suite names it by path.
    let repo = t["repo"].as_str().unwrap();
    assert_eq!(Path::new(repo), p.canonicalize().unwrap());
}
