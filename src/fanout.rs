//! Sharded runs written for engines teams already run: a GitHub Actions workflow (a matrix over
//! the shards, each uploading its report, then a merge job) or a Kubernetes Indexed Job whose
//! pods run shard `$JOB_COMPLETION_INDEX + 1` and write to a shared volume, plus the merge Job.
//! `reins eval plan` writes them for a suite, `reins batch plan` for a batch of `exec`/`run`
//! tasks; both commands take `--shard I/N --json OUT` and have a `merge` subcommand.

/// Where the plan runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Github,
    K8s,
}

/// What the plan runs.
#[derive(Debug, Clone)]
pub struct FanOut {
    /// `eval` or `batch`: the subcommand, and the name of the jobs, artifacts and volume.
    pub kind: &'static str,
    /// The suite or batch file as the runner will see it (relative to the checkout or image).
    pub file: String,
    pub shards: u32,
    /// More flags for every shard (`-m M`, `--route R`, `--repeat K`), passed as given.
    pub flags: Vec<String>,
    /// What the merge writes besides `--json report.json` (eval: `--html report.html`).
    pub merge_outputs: Vec<(&'static str, &'static str)>,
    /// The container image with `reins` and the project (k8s).
    pub image: String,
}

/// A value that would change what an emitted plan means.
#[derive(Debug, thiserror::Error)]
#[error("{value:?} cannot go into a plan: {why}; pass a file name, flag or image without it")]
pub struct UnsafeValue {
    pub value: String,
    pub why: &'static str,
}

impl FanOut {
    /// Refuses the file, flags or image that would rewrite the emitted YAML: a line break ends
    /// the shell command inside a block scalar (the rest becomes YAML of the caller's
    /// choosing), and `${{` opens a GitHub Actions expression that the runner evaluates before
    /// the shell sees the command (it can read secrets).
    pub fn check(&self) -> Result<(), UnsafeValue> {
        let values = std::iter::once(&self.file)
            .chain(&self.flags)
            .chain(std::iter::once(&self.image));
        for value in values {
            let why = if value.contains(['\n', '\r']) {
                "it holds a line break"
            } else if value.contains("${{") {
                "`${{` starts a GitHub Actions expression"
            } else {
                continue;
            };
            return Err(UnsafeValue {
                value: value.clone(),
                why,
            });
        }
        Ok(())
    }

    /// `--json report.json` and the other outputs of the merge, each under `dir`.
    fn outputs(&self, dir: &str) -> Vec<(&'static str, String)> {
        std::iter::once(("--json", "report.json"))
            .chain(self.merge_outputs.iter().copied())
            .map(|(flag, file)| (flag, format!("{dir}{file}")))
            .collect()
    }

    /// The merge of the shard reports in `shards` into outputs in `out`.
    fn merge_command(&self, shards: &str, out: &str) -> String {
        let outputs: Vec<String> = self
            .outputs(out)
            .iter()
            .map(|(flag, path)| format!("{flag} {path}"))
            .collect();
        format!(
            "reins {} merge {shards}shard-*.json {}",
            self.kind,
            outputs.join(" ")
        )
    }
}

/// The plan as YAML; `plan` must have passed [`FanOut::check`].
pub fn emit(engine: Engine, plan: &FanOut) -> String {
    match engine {
        Engine::Github => github(plan),
        Engine::K8s => k8s(plan),
    }
}

/// A shell word, single-quoted unless plain.
fn sh(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=+,@{}".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// A container command as the kubelet must pass it on: it expands `$(VAR)` in `command` and
/// `args` and folds `$$` to `$` before the shell sees them, so every `$` meant for the shell
/// (`$((JOB_COMPLETION_INDEX + 1))`, `$i`, one inside a quoted suite path) is doubled.
fn kubelet_literal(s: &str) -> String {
    s.replace('$', "$$")
}

/// A YAML double-quoted scalar.
fn yq(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn shard_command(plan: &FanOut, index: &str, out: &str) -> String {
    let mut words = vec!["reins".to_string(), plan.kind.into(), sh(&plan.file)];
    words.extend(plan.flags.iter().map(|f| sh(f)));
    format!(
        "{} --shard \"{index}/{}\" --json \"{out}\"",
        words.join(" "),
        plan.shards
    )
}

fn github(plan: &FanOut) -> String {
    let shards: Vec<String> = (1..=plan.shards).map(|i| i.to_string()).collect();
    let run = shard_command(
        plan,
        "${{ matrix.shard }}",
        "reports/shard-${{ matrix.shard }}.json",
    );
    let uploads: Vec<String> = plan
        .outputs("")
        .into_iter()
        .map(|(_, path)| format!("            {path}"))
        .collect();
    format!(
        r#"# Written by `reins {kind} plan --emit github`: {shards} shards of `{file}`, then the merge.
name: reins {kind}
on:
  workflow_dispatch: {{}}
jobs:
  shard:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        shard: [{list}]
    steps:
      - uses: actions/checkout@v4
      - name: Run shard ${{{{ matrix.shard }}}} of {shards}
        run: |
          mkdir -p reports
          {run}
      - uses: actions/upload-artifact@v4
        if: ${{{{ !cancelled() }}}}
        with:
          name: shard-${{{{ matrix.shard }}}}
          path: reports/shard-${{{{ matrix.shard }}}}.json
  merge:
    needs: shard
    if: ${{{{ !cancelled() }}}}
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with:
          pattern: shard-*
          merge-multiple: true
          path: reports
      - name: Merge the shard reports
        run: {merge}
      - uses: actions/upload-artifact@v4
        if: ${{{{ !cancelled() }}}}
        with:
          name: {kind}-report
          path: |
{uploads}
"#,
        kind = plan.kind,
        shards = plan.shards,
        file = plan.file.replace('\n', " "),
        list = shards.join(", "),
        merge = plan.merge_command("reports/", ""),
        uploads = uploads.join("\n"),
    )
}

fn k8s(plan: &FanOut) -> String {
    let run = format!(
        "i=$((JOB_COMPLETION_INDEX + 1)); {}",
        shard_command(plan, "$i", "/reports/shard-$i.json")
    );
    let merge = plan.merge_command("/reports/", "/reports/");
    format!(
        r#"# Written by `reins {kind} plan --emit k8s`: an Indexed Job of {shards} pods (one shard each),
# writing to the volume claim `reins-{kind}-reports`; apply the merge Job when it has completed.
apiVersion: batch/v1
kind: Job
metadata:
  name: reins-{kind}-shards
spec:
  completionMode: Indexed
  completions: {shards}
  parallelism: {shards}
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: shard
          image: {image}
          command: ["sh", "-c", {run}]
          volumeMounts:
            - name: reports
              mountPath: /reports
      volumes:
        - name: reports
          persistentVolumeClaim:
            claimName: reins-{kind}-reports
---
apiVersion: batch/v1
kind: Job
metadata:
  name: reins-{kind}-merge
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: merge
          image: {image}
          command: ["sh", "-c", {merge}]
          volumeMounts:
            - name: reports
              mountPath: /reports
      volumes:
        - name: reports
          persistentVolumeClaim:
            claimName: reins-{kind}-reports
"#,
        kind = plan.kind,
        shards = plan.shards,
        image = yq(&plan.image),
        run = yq(&kubelet_literal(&run)),
        merge = yq(&kubelet_literal(&merge)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaml_rust::{Yaml, YamlLoader};

    fn plan(suite: &str) -> FanOut {
        FanOut {
            kind: "eval",
            file: suite.into(),
            shards: 3,
            merge_outputs: vec![("--html", "report.html")],
            flags: vec!["-m".into(), "fast".into(), "--repeat".into(), "2".into()],
            image: "ghcr.io/acme/reins:1".into(),
        }
    }

    #[test]
    fn the_github_workflow_is_a_matrix_then_a_merge() {
        let text = emit(Engine::Github, &plan("evals/suite.toml"));
        let doc = &YamlLoader::load_from_str(&text).unwrap()[0];
        let jobs = &doc["jobs"];
        let matrix = &jobs["shard"]["strategy"]["matrix"]["shard"];
        let shards: Vec<i64> = matrix
            .as_vec()
            .unwrap()
            .iter()
            .filter_map(Yaml::as_i64)
            .collect();
        assert_eq!(shards, [1, 2, 3]);
        let run = jobs["shard"]["steps"][1]["run"].as_str().unwrap();
        assert!(
            run.contains(
                "reins eval evals/suite.toml -m fast --repeat 2 --shard \"${{ matrix.shard }}/3\""
            ),
            "{run}"
        );
        assert_eq!(jobs["merge"]["needs"].as_str(), Some("shard"));
        assert!(jobs["merge"]["steps"][1]["run"]
            .as_str()
            .unwrap()
            .starts_with("reins eval merge reports/shard-*.json"));
    }

    #[test]
    fn the_k8s_plan_is_an_indexed_job_and_a_merge_job() {
        let text = emit(Engine::K8s, &plan("evals/suite.toml"));
        let docs = YamlLoader::load_from_str(&text).unwrap();
        assert_eq!(docs.len(), 2);
        let job = &docs[0];
        assert_eq!(job["apiVersion"].as_str(), Some("batch/v1"));
        assert_eq!(job["kind"].as_str(), Some("Job"));
        assert_eq!(job["spec"]["completionMode"].as_str(), Some("Indexed"));
        assert_eq!(job["spec"]["completions"].as_i64(), Some(3));
        let c = &job["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["image"].as_str(), Some("ghcr.io/acme/reins:1"));
        let cmd = c["command"][2].as_str().unwrap();
        assert!(
            cmd.starts_with("i=$$((JOB_COMPLETION_INDEX + 1)); reins eval"),
            "{cmd}"
        );
        assert!(
            cmd.contains("--shard \"$$i/3\" --json \"/reports/shard-$$i.json\""),
            "{cmd}"
        );
        assert_eq!(
            docs[1]["metadata"]["name"].as_str(),
            Some("reins-eval-merge")
        );
    }

    #[test]
    fn hostile_suite_paths_stay_one_word() {
        let text = emit(Engine::K8s, &plan("x\"; rm -rf / #'.toml"));
        let docs = YamlLoader::load_from_str(&text).unwrap();
        let cmd = docs[0]["spec"]["template"]["spec"]["containers"][0]["command"][2]
            .as_str()
            .unwrap()
            .to_string();
        assert!(cmd.contains("'x\"; rm -rf / #'\\''.toml'"), "{cmd}");
    }
}
