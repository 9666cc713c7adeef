//! Running the fan-out plans `reins eval plan` / `reins batch plan` emit the way their engines
//! would, on this machine: the GitHub workflow's jobs (the matrix read from the workflow, each
//! job in a checkout of its own, artifacts uploaded and downloaded between jobs) and the
//! Kubernetes Jobs (each pod's command and args with the kubelet's `$(VAR)` expansion, one pod
//! per completion index with `JOB_COMPLETION_INDEX` set, the volume claim as a directory shared
//! by every pod that mounts it). The engines' own semantics are followed as far as the plans use
//! them; anything else in a plan (an expression, a field this runner does not know) fails the
//! test rather than being skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use yaml_rust::Yaml;

/// `PATH` with the `reins` under test first, as both plans assume it is installed.
pub fn path_with_reins(bin: &Path) -> String {
    let link = bin.join("reins");
    if !link.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_reins"), &link).unwrap();
    }
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// What every job or pod process gets: `PATH` with `reins`, and an empty `REINS_HOME` of its
/// own (a runner or a container starts with none).
fn command(program: &str, path: &str) -> (std::process::Command, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(program);
    cmd.env("PATH", path)
        .env("REINS_HOME", home.path())
        .env("NO_PROXY", "*")
        .stdout(std::process::Stdio::null());
    (cmd, home)
}

fn wait_all(children: Vec<(std::process::Child, String)>) {
    for (mut c, what) in children {
        let status = c.wait().unwrap();
        assert!(status.success(), "{what} failed: {status}");
    }
}

/// `${{ matrix.KEY }}` replaced by the job's values; any other expression is a plan this
/// runner cannot run.
fn github_expand(text: &str, matrix: &HashMap<String, String>) -> String {
    let mut out = text.to_string();
    for (k, v) in matrix {
        out = out.replace(&format!("${{{{ matrix.{k} }}}}"), v);
    }
    assert!(
        !out.contains("${{"),
        "an expression this runner does not know: {out}"
    );
    out
}

/// The GitHub workflow in `yaml` run as Actions runs it: the jobs in `needs` order, a matrix
/// job once per value (in parallel), each job in a fresh checkout from `checkout`, `run`
/// steps with bash as Actions' default shell, `upload-artifact` / `download-artifact` through
/// a store shared by the jobs. Returns the directory of the last job, where its outputs are.
pub fn run_github(
    yaml: &str,
    checkout: &dyn Fn() -> tempfile::TempDir,
    path: &str,
) -> tempfile::TempDir {
    let doc = &yaml_rust::YamlLoader::load_from_str(yaml).unwrap()[0];
    let artifacts = tempfile::tempdir().unwrap();
    let jobs = doc["jobs"].as_hash().expect("jobs");
    let mut done: Vec<String> = Vec::new();
    let mut last = None;
    while done.len() < jobs.len() {
        let (name, job) = jobs
            .iter()
            .map(|(k, v)| (k.as_str().unwrap().to_string(), v))
            .find(|(k, job)| {
                !done.contains(k)
                    && match &job["needs"] {
                        Yaml::BadValue => true,
                        Yaml::String(n) => done.contains(n),
                        Yaml::Array(ns) => ns
                            .iter()
                            .all(|n| done.iter().any(|d| Some(d.as_str()) == n.as_str())),
                        other => panic!("needs: {other:?}"),
                    }
            })
            .expect("a job whose needs are met");
        let matrices: Vec<HashMap<String, String>> = match job["strategy"]["matrix"].as_hash() {
            None => vec![HashMap::new()],
            Some(m) => {
                assert_eq!(m.len(), 1, "one matrix key is what the plans use");
                let (k, values) = m.iter().next().unwrap();
                values
                    .as_vec()
                    .expect("a matrix list")
                    .iter()
                    .map(|v| {
                        let v = match v {
                            Yaml::Integer(i) => i.to_string(),
                            Yaml::String(s) => s.clone(),
                            other => panic!("matrix value {other:?}"),
                        };
                        HashMap::from([(k.as_str().unwrap().to_string(), v)])
                    })
                    .collect()
            }
        };
        let runs: Vec<_> = matrices
            .into_iter()
            .map(|matrix| {
                let ws = checkout();
                let (dir, artifacts, path) = (
                    ws.path().to_path_buf(),
                    artifacts.path().to_path_buf(),
                    path.to_string(),
                );
                let steps = job["steps"].as_vec().expect("steps").clone();
                let what = format!("job {name} {matrix:?}");
                let handle = std::thread::spawn(move || {
                    for step in &steps {
                        github_step(step, &dir, &artifacts, &matrix, &path);
                    }
                });
                (handle, ws, what)
            })
            .collect();
        for (handle, ws, what) in runs {
            assert!(handle.join().is_ok(), "{what} failed");
            last = Some(ws);
        }
        done.push(name);
    }
    last.expect("a job ran")
}

fn github_step(
    step: &Yaml,
    dir: &Path,
    artifacts: &Path,
    matrix: &HashMap<String, String>,
    path: &str,
) {
    let with = |key: &str| step["with"][key].as_str().map(|s| github_expand(s, matrix));
    if let Some(script) = step["run"].as_str() {
        let script = github_expand(script, matrix);
        let (mut cmd, _home) = command("bash", path);
        let status = cmd
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(status.success(), "`{script}` failed: {status}");
        return;
    }
    let uses = step["uses"]
        .as_str()
        .expect("a step runs or uses an action");
    match uses.split('@').next().unwrap() {
        "actions/checkout" => {}
        "actions/upload-artifact" => {
            let name = with("name").expect("an artifact name");
            let store = artifacts.join(&name);
            std::fs::create_dir_all(&store).unwrap();
            for file in with("path")
                .expect("an artifact path")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
            {
                let src = dir.join(file);
                assert!(src.is_file(), "upload of {name}: no {file}");
                // One file per path, stored by its name, as the action stores a single file.
                std::fs::copy(&src, store.join(src.file_name().unwrap())).unwrap();
            }
        }
        "actions/download-artifact" => {
            let pattern = with("pattern").expect("a pattern");
            let prefix = pattern.strip_suffix('*').expect("a `name-*` pattern");
            assert_eq!(step["with"]["merge-multiple"].as_bool(), Some(true));
            let to = dir.join(with("path").unwrap_or_default());
            std::fs::create_dir_all(&to).unwrap();
            let mut found = 0;
            for artifact in std::fs::read_dir(artifacts).unwrap().flatten() {
                if artifact.file_name().to_string_lossy().starts_with(prefix) {
                    for f in std::fs::read_dir(artifact.path()).unwrap().flatten() {
                        std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
                        found += 1;
                    }
                }
            }
            assert!(found > 0, "no artifact matches {pattern}");
        }
        other => panic!("an action this runner does not know: {other}"),
    }
}

/// The kubelet's expansion of a container's `command` and `args` (Kubernetes'
/// third_party/forked/golang/expansion): `$(NAME)` becomes the value of the container's
/// variable NAME, or stays as written when it has none; `$$` becomes `$`; any other `$` stays.
pub fn kubelet_expand(input: &str, env: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = input;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('(') {
            match tail.find(')') {
                Some(end) => {
                    let name = &tail[..end];
                    match env.get(name) {
                        Some(v) => out.push_str(v),
                        None => out.push_str(&format!("$({name})")),
                    }
                    rest = &tail[end + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = tail;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The Kubernetes Jobs in `yaml` (a multi-document file) run in order, each as the Job
/// controller and the kubelet would: `completions` pods (`parallelism` at a time), an Indexed
/// Job's pods with `JOB_COMPLETION_INDEX` = 0..completions-1, each pod's container started in
/// a fresh copy of the image from `image` with its `command` + `args` after `$(VAR)`
/// expansion, and each persistent volume claim a directory of `volumes`, the same for every
/// pod that mounts it (its mount path mapped onto that directory).
pub fn run_k8s(yaml: &str, image: &dyn Fn() -> tempfile::TempDir, path: &str, volumes: &Path) {
    for job in yaml_rust::YamlLoader::load_from_str(yaml).unwrap() {
        assert_eq!(job["apiVersion"].as_str(), Some("batch/v1"));
        assert_eq!(job["kind"].as_str(), Some("Job"));
        let spec = &job["spec"];
        let indexed = match spec["completionMode"].as_str() {
            None | Some("NonIndexed") => false,
            Some("Indexed") => true,
            other => panic!("completionMode {other:?}"),
        };
        let completions = spec["completions"].as_i64().unwrap_or(1);
        let parallelism = spec["parallelism"].as_i64().unwrap_or(1).max(1) as usize;
        let pod = &spec["template"]["spec"];
        let claims: HashMap<String, PathBuf> = pod["volumes"]
            .as_vec()
            .into_iter()
            .flatten()
            .map(|v| {
                let claim = v["persistentVolumeClaim"]["claimName"]
                    .as_str()
                    .expect("a claim");
                let dir = volumes.join(claim);
                std::fs::create_dir_all(&dir).unwrap();
                (v["name"].as_str().unwrap().to_string(), dir)
            })
            .collect();
        let containers = pod["containers"].as_vec().expect("containers");
        assert_eq!(containers.len(), 1, "one container is what the plans use");
        let c = &containers[0];
        let indices: Vec<i64> = (0..completions).collect();
        for batch in indices.chunks(parallelism) {
            let pods: Vec<_> = batch
                .iter()
                .map(|&index| start_pod(c, indexed.then_some(index), &claims, image, path))
                .collect();
            for (mut child, what, _image, _home) in pods {
                let status = child.wait().unwrap();
                assert!(status.success(), "{what} failed: {status}");
            }
        }
    }
}

fn start_pod(
    c: &Yaml,
    index: Option<i64>,
    claims: &HashMap<String, PathBuf>,
    image: &dyn Fn() -> tempfile::TempDir,
    path: &str,
) -> (
    std::process::Child,
    String,
    tempfile::TempDir,
    tempfile::TempDir,
) {
    let mut env: HashMap<String, String> = c["env"]
        .as_vec()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["value"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    if let Some(i) = index {
        env.insert("JOB_COMPLETION_INDEX".into(), i.to_string());
    }
    let mounts: Vec<(String, &PathBuf)> = c["volumeMounts"]
        .as_vec()
        .into_iter()
        .flatten()
        .map(|m| {
            let name = m["name"].as_str().unwrap();
            (
                m["mountPath"].as_str().unwrap().to_string(),
                claims.get(name).expect("a mounted volume"),
            )
        })
        .collect();
    let argv: Vec<String> = c["command"]
        .as_vec()
        .into_iter()
        .flatten()
        .chain(c["args"].as_vec().into_iter().flatten())
        .map(|a| {
            let mut a = kubelet_expand(a.as_str().expect("a string argument"), &env);
            for (at, dir) in &mounts {
                a = a.replace(at.as_str(), &dir.display().to_string());
            }
            a
        })
        .collect();
    assert!(
        !argv.is_empty(),
        "a container with no command relies on the image's entrypoint"
    );
    let image_dir = image();
    let (mut cmd, home) = command(&argv[0], path);
    cmd.args(&argv[1..]).envs(&env);
    let cwd = match c["workingDir"].as_str() {
        Some(w) => image_dir.path().join(w.trim_start_matches('/')),
        None => image_dir.path().to_path_buf(),
    };
    let child = cmd.current_dir(cwd).spawn().unwrap();
    (child, format!("pod {index:?}: {argv:?}"), image_dir, home)
}
