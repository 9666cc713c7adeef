//! `reins eval` end to end over the example suite (examples/evals), with two scripted "models":
//! a replay script per task that solves it (`replay:…/{task}.json`) and a mock-server model that
//! gives up at once. Every unit spawns the real binary in a fresh fixture copy and is judged by
//! the suite's hidden checks (python3, node and cargo, offline).

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use support::reins::{home_for, reins, Wire};
use support::{MockServer, Reply};

const SUITE: &str = "examples/evals/suite.toml";
const SOLVER: &str = "replay:tests/fixtures/evals/solve/{task}.json";
const TASKS: [&str; 9] = [
    "py-median",
    "py-slugify",
    "py-shapes",
    "js-paginate",
    "js-duration",
    "js-money",
    "rs-leap-year",
    "rs-roman",
    "rs-parse-sum",
];

/// A mock model that answers every request with a refusal.
fn giving_up(requests: usize) -> MockServer {
    MockServer::start(vec![Reply::text("I could not solve this task."); requests])
}

/// Runs `reins eval` with `args` and returns stdout and the JSON report.
fn eval(home: &Path, out: &Path, args: &[&str]) -> (String, Value) {
    let run = reins(home)
        .arg("eval")
        .arg(SUITE)
        .args(args)
        .arg("--json")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    (String::from_utf8_lossy(&run.stdout).into_owned(), report)
}

/// The report without wall times, the only part that differs between identical evals.
fn without_timings(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("wall_ms");
                m.remove("mean_wall_ms");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

fn unit_keys(report: &Value) -> Vec<(String, String, u64)> {
    report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["task"].as_str().unwrap().to_string(),
                r["config"].as_str().unwrap().to_string(),
                r["repeat"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Each line with its runs of spaces collapsed, for matching table rows.
fn rows(table: &str) -> Vec<String> {
    table
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn a_solver_and_a_failer_give_the_right_table_and_json() {
    let server = giving_up(9);
    let home = home_for(&server, Wire::OpenAi);
    let out = tempfile::tempdir().unwrap();
    let html = out.path().join("r.html");
    let (table, report) = eval(
        home.path(),
        &out.path().join("r.json"),
        &[
            "-m",
            SOLVER,
            "-m",
            "mock",
            "--jobs",
            "2",
            "--html",
            html.to_str().unwrap(),
        ],
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>") && page.contains("<svg"),
        "{page}"
    );
    assert!(!page.contains("<script"), "{page}");
    for t in TASKS {
        assert!(page.contains(&format!("<td>{t}</td>")), "{t}: {page}");
    }
    assert_eq!(server.requests().len(), 9);
    assert_eq!(report["plan"]["units"], 18);
    assert_eq!(
        report["plan"]["configs"],
        serde_json::json!([SOLVER, "mock"])
    );
    let (solver, failer) = (&report["configs"][0], &report["configs"][1]);
    assert_eq!(
        (solver["runs"].as_u64(), solver["solved"].as_u64()),
        (Some(9), Some(9))
    );
    assert_eq!(solver["pass_rate"]["mean"], 1.0);
    assert_eq!(solver["mean_steps"], 3.0);
    assert_eq!(
        solver["cost_usd"],
        Value::Null,
        "replay models have no prices"
    );
    assert_eq!(
        (failer["runs"].as_u64(), failer["solved"].as_u64()),
        (Some(9), Some(0))
    );
    assert_eq!(failer["mean_steps"], 1.0);
    assert_eq!(failer["mean_input_tokens"], 100.0);
    let cost = failer["cost_usd"].as_f64().unwrap();
    assert!((cost - 9.0 * 120e-6).abs() < 1e-9, "{cost}");
    assert_eq!(failer["cost_per_solved_usd"], Value::Null);
    let tasks: Vec<&str> = report["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task"].as_str().unwrap())
        .collect();
    assert_eq!(tasks, TASKS);
    for t in report["tasks"].as_array().unwrap() {
        assert_eq!(t["solved_by"], serde_json::json!([SOLVER]), "{t}");
    }
    for r in report["runs"].as_array().unwrap() {
        let solved = r["config"] == SOLVER;
        assert_eq!(r["passed"], solved, "{r}");
        assert_eq!(r["status"], "done", "{r}");
        assert!(
            r["checks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["passed"] == solved),
            "{r}"
        );
    }
    let rows = rows(&table);
    assert_eq!(
        rows[0],
        "eval `examples`: 9 tasks × 2 configurations × 1 repeat = 18 runs"
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("1 replay:") && r.contains(" 9/9 100% [70.1–100] 3.0 ")),
        "{table}"
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("2 mock 0/9 0% [0–29.9] 1.0 100 10 $0.0011 —")),
        "{table}"
    );
    // Nine tasks solved by #1 only: McNemar's exact p = 2 / 2^9.
    assert!(
        rows.contains(
            &"#1 vs #2 #1 better on 9 #2 better on 0 0 tied p = 0.0039 significant".to_string()
        ),
        "{table}"
    );
    assert_eq!(report["pairs"][0]["p_value"], 0.00390625);
    assert!(
        rows.iter().any(|r| r.starts_with("choice: `replay:")
            && r.ends_with("no configuration not significantly worse has a known cost")),
        "{table}"
    );
    for t in TASKS {
        assert!(rows.contains(&format!("{t} ✓ 1/1 ✗ 0/1")), "{t}: {table}");
    }
    // Scripted runs take milliseconds: the wall column must not round them to zero.
    assert!(!table.contains("0.0s"), "{table}");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("2 mock ") && r.ends_with(" ms")),
        "{table}"
    );
}

#[test]
fn shards_partition_the_work_and_their_merge_equals_the_whole() {
    let server = giving_up(36);
    let home = home_for(&server, Wire::OpenAi);
    let dir = tempfile::tempdir().unwrap();
    let args = ["-m", SOLVER, "-m", "mock", "--repeat", "2", "--jobs", "2"];
    let (_, whole) = eval(home.path(), &dir.path().join("whole.json"), &args);
    assert_eq!(whole["runs"].as_array().unwrap().len(), 36);
    assert_eq!(
        whole["configs"][0]["pass_rate"],
        serde_json::json!({"mean": 1.0, "stddev": 0.0, "min": 1.0, "max": 1.0})
    );
    let mut keys = Vec::new();
    let mut shard_files = Vec::new();
    for i in 1..=3 {
        let file = dir.path().join(format!("shard{i}.json"));
        let shard = format!("{i}/3");
        let mut a = args.to_vec();
        a.extend(["--shard", &shard]);
        let (table, part) = eval(home.path(), &file, &a);
        assert!(
            table.contains(&format!("(shard {i}/3: 12 runs)")),
            "{table}"
        );
        assert_eq!(part["shard"], serde_json::json!({"index": i, "count": 3}));
        keys.extend(unit_keys(&part));
        shard_files.push(file);
    }
    let distinct: BTreeSet<_> = keys.iter().cloned().collect();
    assert_eq!(distinct.len(), keys.len(), "a unit ran in two shards");
    assert_eq!(
        distinct,
        unit_keys(&whole).into_iter().collect::<BTreeSet<_>>()
    );
    let merged_file = dir.path().join("merged.json");
    let merge = reins(home.path())
        .args(["eval", "merge"])
        .args(&shard_files)
        .arg("--json")
        .arg(&merged_file)
        .output()
        .unwrap();
    assert_eq!(
        merge.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&merge.stderr)
    );
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(&merged_file).unwrap()).unwrap();
    assert_eq!(without_timings(merged), without_timings(whole));
    let partial = reins(home.path())
        .args(["eval", "merge"])
        .arg(&shard_files[0])
        .arg(&shard_files[0])
        .output()
        .unwrap();
    assert_eq!(partial.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&partial.stderr).contains("more than one report"));
}

#[test]
fn compare_lists_regressions_first() {
    let server = giving_up(2);
    let home = home_for(&server, Wire::OpenAi);
    let dir = tempfile::tempdir().unwrap();
    let only = ["--task", "py-median", "--task", "js-money"];
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    eval(home.path(), &a, &[&["-m", SOLVER][..], &only].concat());
    eval(home.path(), &b, &[&["-m", "mock"][..], &only].concat());
    let out = reins(home.path())
        .args(["eval", "compare"])
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let rows = rows(&text);
    let at = |s: &str| {
        rows.iter()
            .position(|r| r.starts_with(s))
            .unwrap_or_else(|| panic!("{s}: {text}"))
    };
    assert!(at("regressions (2):") < at("improvements (0):"), "{text}");
    assert!(
        rows[at("regressions (2):") + 1].starts_with("py-median replay:"),
        "{text}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("100.0% [34.2–100] → 0.0% [0–65.8]")),
        "{text}"
    );
    // Two tasks, both regressed: p = 0.5, too few to call.
    assert!(
        rows.iter().any(|r| r.ends_with("2 · 0 · 0 0.5000")),
        "{text}"
    );
}
