//! The fan-out plans validated by real validators, not only parsed: every GitHub workflow that
//! `reins eval plan` and `reins batch plan` write against the workflow schema that
//! `check-jsonschema` vendors (`--builtin-schema vendor.github-workflows`), every Kubernetes plan
//! against the Kubernetes API schemas that `kubernetes-validate` ships (`--strict`: no unknown
//! fields). Both come from PyPI; `.ci/run` installs them into a venv and names its `bin` in
//! `REINS_TEST_YAML_VALIDATORS` (else they are looked for on `PATH`). Without them each test
//! prints a SKIPPED line saying what is missing, so a run without the validators is visible.
//! A plan with a deliberate mistake must be refused, so a validator that accepts anything fails.

mod support;

use std::path::{Path, PathBuf};
use support::plans;
use support::reins::reins;

fn validator(name: &str) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("REINS_TEST_YAML_VALIDATORS").map(PathBuf::from) {
        // Set by .ci/run after a successful install: a missing validator is a failure there.
        let exe = dir.join(name);
        assert!(
            exe.is_file(),
            "REINS_TEST_YAML_VALIDATORS={} holds no {name}",
            dir.display()
        );
        return Some(exe);
    }
    let installed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-deps/yaml-validators/bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::iter::once(installed)
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|exe| exe.is_file());
    if found.is_none() {
        // Straight to the process's stderr, past the test harness's capture, so the skip shows
        // in every `cargo test` output, not only with --nocapture.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: `{name}` was not found (.ci/run installs it from PyPI into \
             target/test-deps/yaml-validators; or set REINS_TEST_YAML_VALIDATORS); the emitted \
             YAML was not validated"
        );
    }
    found
}

/// `reins KIND plan FILE --shards 3 --emit ENGINE [extra]`, written to a file in `dir`.
fn plan(dir: &Path, kind: &str, engine: &str, extra: &[&str]) -> PathBuf {
    let home = tempfile::tempdir().unwrap();
    let out = reins(home.path())
        .args([
            kind,
            "plan",
            "plans/nightly.toml",
            "--shards",
            "3",
            "--emit",
            engine,
        ])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let path = dir.join(format!("{kind}-{engine}.yml"));
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

fn validate(cmd: &Path, args: &[&str], file: &Path) -> std::process::Output {
    std::process::Command::new(cmd)
        .args(args)
        .arg(file)
        .output()
        .unwrap()
}

fn assert_valid(out: &std::process::Output, file: &Path) {
    assert!(
        out.status.success(),
        "{} did not validate:\n{}{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A copy of `file` with `from` replaced by `to`, which the validator must refuse.
fn broken(file: &Path, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{from} not in {}", file.display());
    let path = file.with_extension("broken.yml");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    path
}

#[test]
fn the_github_workflows_meet_the_workflow_schema() {
    let Some(check) = validator("check-jsonschema") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let args = ["--builtin-schema", "vendor.github-workflows"];
    for file in [
        plan(
            dir.path(),
            "eval",
            "github",
            &["-m", "fast", "--repeat", "2"],
        ),
        plan(dir.path(), "batch", "github", &[]),
    ] {
        assert_valid(&validate(&check, &args, &file), &file);
        let bad = broken(&file, "runs-on:", "runs_on:");
        assert!(
            !validate(&check, &args, &bad).status.success(),
            "{}",
            bad.display()
        );
    }
}

#[test]
fn the_kubernetes_plans_meet_the_api_schemas() {
    let Some(check) = validator("kubernetes-validate") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let args = ["--strict", "--quiet"];
    for file in [
        plan(
            dir.path(),
            "eval",
            "k8s",
            &["-m", "fast", "--image", "ghcr.io/acme/reins:1"],
        ),
        plan(dir.path(), "batch", "k8s", &[]),
    ] {
        assert_valid(&validate(&check, &args, &file), &file);
        let bad = broken(
            &file,
            "completionMode: Indexed",
            "completionMode: Indexed\n  retries: 2",
        );
        assert!(
            !validate(&check, &args, &bad).status.success(),
            "{}",
            bad.display()
        );
    }
}

/// A suite of three example tasks and the replay "model" that solves them, in `dir` as
/// `file`; the model's flag value.
fn eval_suite(dir: &Path, file: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut text = String::new();
    for t in ["py-median", "py-slugify", "js-paginate"] {
        let fixture = root.join("examples/evals/fixtures").join(t);
        let check = if t.starts_with("py") {
            "python3 -m unittest -q"
        } else {
            "node --test"
        };
        text.push_str(&format!(
            "[[task]]\nname = \"{t}\"\nfixture = \"{}\"\nprompt = \"fix it\"\nchecks = [\"{check}\"]\n",
            fixture.display()
        ));
    }
    std::fs::write(dir.join(file), text).unwrap();
    format!(
        "replay:{}/tests/fixtures/evals/solve/{{task}}.json",
        root.display()
    )
}

/// A report without what differs between two runs of the same work (wall times).
fn without_timings(mut v: serde_json::Value) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("wall_ms");
                m.remove("mean_wall_ms");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The same suite run unsharded in `dir`: what the merged report must equal.
fn unsharded(dir: &Path, file: &str, solver: &str) -> serde_json::Value {
    let home = tempfile::tempdir().unwrap();
    let out = reins(home.path())
        .current_dir(dir)
        .args(["eval", file, "-m", solver, "--json", "whole.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    read_json(&dir.join("whole.json"))
}

/// `reins eval plan FILE --shards 3 --emit ENGINE -m SOLVER [extra]`, run in `dir`.
fn eval_plan(dir: &Path, file: &str, engine: &str, solver: &str, extra: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let out = reins(home.path())
        .current_dir(dir)
        .args([
            "eval", "plan", file, "--shards", "3", "--emit", engine, "-m", solver,
        ])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// A directory holding a copy of `file` from `from`: a checkout, or the image's working directory.
fn copy_of(from: &Path, file: &str) -> impl Fn() -> tempfile::TempDir {
    let src = from.join(file);
    let file = file.to_string();
    move || {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(&src, dir.path().join(&file)).unwrap();
        dir
    }
}

/// `reins eval plan --emit k8s` run as Kubernetes runs it: the Indexed Job's three pods (the
/// container command after the kubelet's `$(VAR)` expansion, `JOB_COMPLETION_INDEX` 0, 1, 2,
/// the claim a shared directory), then the merge Job on the same claim; the merged report equals
/// the unsharded run's. The suite's file name holds `$$`, which the kubelet would fold to `$`
/// unless the plan escapes it.
#[test]
fn the_emitted_k8s_plan_runs_as_kubernetes_would_and_merges_to_the_unsharded_report() {
    let src = tempfile::tempdir().unwrap();
    let file = "nightly$$1.toml";
    let solver = eval_suite(src.path(), file);
    let yaml = eval_plan(src.path(), file, "k8s", &solver, &["--image", "reins:test"]);
    let bin = tempfile::tempdir().unwrap();
    let path = plans::path_with_reins(bin.path());
    let volumes = tempfile::tempdir().unwrap();
    plans::run_k8s(&yaml, &copy_of(src.path(), file), &path, volumes.path());
    let claim = volumes.path().join("reins-eval-reports");
    for i in 1..=3 {
        let shard = read_json(&claim.join(format!("shard-{i}.json")));
        assert_eq!(shard["shard"], serde_json::json!({"index": i, "count": 3}));
    }
    assert!(claim.join("report.html").is_file());
    let merged = read_json(&claim.join("report.json"));
    assert_eq!(merged["runs"].as_array().unwrap().len(), 3);
    assert_eq!(
        without_timings(merged),
        without_timings(unsharded(src.path(), file, &solver))
    );
}

/// `reins eval plan --emit github` run as Actions runs it: the shard job once per value of the
/// matrix the workflow declares, each in a checkout of its own, uploading its report; the merge
/// job downloads them and merges; its report equals the unsharded run's.
#[test]
fn the_emitted_github_plan_runs_as_actions_would_and_merges_to_the_unsharded_report() {
    let src = tempfile::tempdir().unwrap();
    let file = "nightly.toml";
    let solver = eval_suite(src.path(), file);
    let yaml = eval_plan(src.path(), file, "github", &solver, &[]);
    let bin = tempfile::tempdir().unwrap();
    let path = plans::path_with_reins(bin.path());
    let merge_job = plans::run_github(&yaml, &copy_of(src.path(), file), &path);
    let reports: Vec<String> = std::fs::read_dir(merge_job.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(reports.len(), 3, "{reports:?}");
    assert!(merge_job.path().join("report.html").is_file());
    let merged = read_json(&merge_job.path().join("report.json"));
    assert_eq!(merged["runs"].as_array().unwrap().len(), 3);
    assert_eq!(
        without_timings(merged),
        without_timings(unsharded(src.path(), file, &solver))
    );
}
