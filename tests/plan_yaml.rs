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
