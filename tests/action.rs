//! The GitHub Action's scripts (.github/action/) run as a runner would run them: a fake event
//! payload, the step's files (outputs, summary), the real reins binary against the mock model,
//! and a local HTTP server standing in for the GitHub API. No network.

mod support;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use support::reins::{home_for, Wire};
use support::{MockServer, Reply};

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".github/action")
        .join(name)
}

fn python3() -> Command {
    let probe = Command::new("python3").arg("--version").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "these tests need python3 (GitHub's runners have it); it is not on PATH"
    );
    Command::new("python3")
}

/// One request the fake GitHub API received.
#[derive(Debug, Clone)]
struct ApiRequest {
    method: String,
    path: String,
    authorization: String,
    body: Value,
}

/// A GitHub API stand-in on 127.0.0.1: records each request and answers 200 `{"id": 1}`.
fn fake_github() -> (String, Arc<Mutex<Vec<ApiRequest>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut first = String::new();
            reader.read_line(&mut first).expect("request line");
            let mut parts = first.split_whitespace();
            let method = parts.next().unwrap_or("").to_string();
            let path = parts.next().unwrap_or("").to_string();
            let (mut length, mut authorization) = (0usize, String::new());
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).expect("header");
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap_or((line, ""));
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "authorization" => authorization = value.trim().to_string(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            record.lock().expect("lock").push(ApiRequest {
                method,
                path,
                authorization,
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            });
            let reply = r#"{"id": 1}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    (url, seen)
}

fn git(dir: &Path, args: &[&str]) {
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
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A pull request's checkout: `origin/main` and a feature commit with an off-by-one.
fn pr_checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("repo");
    let p = dir.path();
    git(p, &["init", "-q", "-b", "main"]);
    std::fs::write(
        p.join("sum.py"),
        "def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n",
    )
    .expect("w");
    git(p, &["add", "."]);
    git(p, &["commit", "-q", "-m", "sum"]);
    git(p, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    git(p, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(
        p.join("sum.py"),
        "def total(xs):\n    s = 0\n    for x in xs[1:]:\n        s += x\n    return s\n",
    )
    .expect("w");
    git(p, &["commit", "-q", "-am", "skip"]);
    dir
}

/// The step's files and variables, as a runner sets them.
struct Step {
    dir: tempfile::TempDir,
}

impl Step {
    fn new(event: &Value) -> Step {
        let dir = tempfile::tempdir().expect("runner temp");
        std::fs::write(dir.path().join("event.json"), event.to_string()).expect("event");
        Step { dir }
    }

    fn command(&self, home: &Path, cwd: &Path, inputs: &[(&str, &str)]) -> Command {
        let mut cmd = python3();
        cmd.arg(script("run.py"))
            .current_dir(cwd)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::var_os("HOME").unwrap_or_default())
            .env("REINS_HOME", home)
            .env("MOCK_API_KEY", "sk-mock-secret-1234")
            .env("NO_PROXY", "*")
            .env("REINS_BIN", env!("CARGO_BIN_EXE_reins"))
            .env("RUNNER_TEMP", self.dir.path())
            .env("GITHUB_EVENT_PATH", self.dir.path().join("event.json"))
            .env("GITHUB_OUTPUT", self.dir.path().join("output"))
            .env("GITHUB_STEP_SUMMARY", self.dir.path().join("summary.md"))
            .env("GITHUB_REPOSITORY", "octo/widgets");
        for (k, v) in inputs {
            cmd.env(format!("INPUT_{}", k.to_uppercase().replace('-', "_")), v);
        }
        cmd
    }

    /// The step outputs written to $GITHUB_OUTPUT (`name<<DELIM … DELIM`).
    fn outputs(&self) -> std::collections::BTreeMap<String, String> {
        let text = std::fs::read_to_string(self.dir.path().join("output")).unwrap_or_default();
        let mut out = std::collections::BTreeMap::new();
        let mut lines = text.lines();
        while let Some(head) = lines.next() {
            let Some((name, delim)) = head.split_once("<<") else {
                continue;
            };
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.insert(name.to_string(), value.join("\n"));
        }
        out
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("summary.md")).unwrap_or_default()
    }
}

#[test]
fn a_pull_request_review_posts_one_review_with_inline_comments() {
    let repo = pr_checkout();
    let title = "Loop skips the first element";
    let text = std::fs::read_to_string(repo.path().join("sum.py")).expect("read");
    let line3: Vec<&str> = text.lines().skip(2).take(1).collect();
    let id = reins::review::finding::stable_id("sum.py", &line3, title);
    let server = MockServer::start(vec![
        Reply::text(
            json!({"findings": [{"path": "sum.py", "line_start": 3, "line_end": 3, "priority": "P1",
                    "confidence": 0.95, "title": title,
                    "explanation": "xs[1:] drops the first element, so total() is wrong."}],
                   "verdict": "incorrect", "summary": "Sums a list; the loop skips one."})
            .to_string(),
        ),
        Reply::text(json!({"verdicts": [{"id": id, "confirmed": true, "reason": "it does"}]}).to_string()),
    ]);
    // A reasoning model on the Responses wire, so the `effort` input shows in the request.
    let home = home_for(&server, Wire::Responses);
    let config = home.path().join("config.toml");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(
        &config,
        text.replace(
            "name = \"mock-model\"\n",
            "name = \"mock-model\"\nreasoning = true\n",
        ),
    )
    .expect("config");
    let (api, seen) = fake_github();
    let step = Step::new(&json!({
        "pull_request": {"number": 42, "base": {"ref": "main"}, "head": {"sha": "0123abcd"}},
        "repository": {"full_name": "octo/widgets"},
    }));
    let out = step
        .command(
            home.path(),
            repo.path(),
            &[
                ("mode", "review"),
                ("effort", "high"),
                ("fail-on", "P1"),
                ("sarif", "true"),
                ("github-token", "ghs_fake_token"),
            ],
        )
        .env("GITHUB_API_URL", &api)
        .output()
        .expect("run the action script");
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let requests = seen.lock().expect("lock").clone();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/repos/octo/widgets/pulls/42/reviews");
    assert_eq!(r.authorization, "Bearer ghs_fake_token");
    assert_eq!(r.body["commit_id"], "0123abcd");
    assert_eq!(r.body["event"], "COMMENT");
    let comments = r.body["comments"].as_array().expect("comments");
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["path"], "sum.py");
    assert_eq!(comments[0]["line"], 3);
    assert_eq!(comments[0]["side"], "RIGHT");
    assert!(comments[0]["body"].as_str().unwrap_or("").contains(&id));
    let outputs = step.outputs();
    assert_eq!(outputs.get("findings").map(String::as_str), Some("1"));
    assert_eq!(outputs.get("status").map(String::as_str), Some("incorrect"));
    assert_eq!(outputs.get("exit-code").map(String::as_str), Some("7"));
    let sarif = outputs.get("sarif").expect("a sarif output");
    assert!(Path::new(sarif).exists(), "{sarif}");
    assert!(step.summary().contains(title), "{}", step.summary());
    // `effort` reached every model request as --effort.
    let model_requests = server.requests();
    assert_eq!(model_requests.len(), 2);
    for r in &model_requests {
        assert_eq!(r.body["reasoning"]["effort"], "high", "{}", r.body);
    }
}

#[test]
fn exec_mode_sets_the_outputs_and_the_job_summary() {
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({"command": "echo hi"})),
        Reply::text("Said hi.\nTwice, even."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = tempfile::tempdir().expect("ws");
    let step = Step::new(&json!({}));
    let out = step
        .command(
            home.path(),
            ws.path(),
            &[("mode", "exec"), ("prompt", "say hi"), ("checks", "true")],
        )
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outputs = step.outputs();
    assert_eq!(outputs.get("status").map(String::as_str), Some("done"));
    assert_eq!(
        outputs.get("final-message").map(String::as_str),
        Some("Said hi.\nTwice, even.")
    );
    assert!(
        outputs
            .get("cost")
            .is_some_and(|c| c.parse::<f64>().is_ok()),
        "{outputs:?}"
    );
    let jsonl = outputs.get("jsonl").expect("jsonl");
    let last = std::fs::read_to_string(jsonl)
        .expect("events")
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    assert!(last.contains("session.finished"), "{last}");
    let summary = step.summary();
    assert!(
        summary.contains("### reins exec: done") && summary.contains("| `true` | passed |"),
        "{summary}"
    );
}

/// The token that posts reviews stays with the script: reins (and every command the model runs)
/// never sees it.
#[test]
fn the_github_token_never_reaches_reins() {
    let step = Step::new(&json!({}));
    let fake = step.dir.path().join("fake-reins");
    let dump = step.dir.path().join("env.txt");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nenv > '{}'\necho '{{\"type\":\"session.finished\",\"status\":\"done\"}}'\n",
            dump.display()
        ),
    )
    .expect("write");
    Command::new("chmod")
        .arg("+x")
        .arg(&fake)
        .status()
        .expect("chmod");
    let home = tempfile::tempdir().expect("home");
    let out = step
        .command(
            home.path(),
            step.dir.path(),
            &[
                ("mode", "exec"),
                ("prompt", "x"),
                ("github-token", "ghs_secret_value"),
            ],
        )
        .env("REINS_BIN", &fake)
        .env("GITHUB_TOKEN", "ghs_secret_value")
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = std::fs::read_to_string(&dump).expect("the fake reins ran");
    assert!(!env.contains("ghs_secret_value"), "{env}");
    assert!(env.contains("INPUT_MODE=exec"));
}

/// Fake `curl` (no release binaries), `cargo` (writes a reins that prints its version) and `git`
/// (`ls-remote` finds only the tags in `tags`) on PATH, and a runner for install.sh.
struct Install {
    dir: tempfile::TempDir,
}

impl Install {
    fn new(tags: &[&str]) -> Install {
        let dir = tempfile::tempdir().expect("dir");
        let fakes = dir.path().join("fakes");
        std::fs::create_dir_all(&fakes).expect("mkdir");
        let log = dir.path().join("calls.log");
        let write = |name: &str, body: &str| {
            let p = fakes.join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write");
            Command::new("chmod")
                .arg("+x")
                .arg(&p)
                .status()
                .expect("chmod");
        };
        write(
            "curl",
            &format!("echo \"curl $*\" >> '{}'; exit 22", log.display()),
        );
        write(
            "cargo",
            &format!(
                "echo \"cargo $*\" >> '{}'\nroot=''; while [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=$2; shift; done\nmkdir -p \"$root/bin\"; printf '#!/bin/sh\\necho reins 9.9.9\\n' > \"$root/bin/reins\"; chmod +x \"$root/bin/reins\"",
                log.display()
            ),
        );
        let known: Vec<String> = tags.iter().map(|t| format!("refs/tags/{t}")).collect();
        write(
            "git",
            &format!(
                "echo \"git $*\" >> '{}'\nfor t in {}; do [ \"$t\" = \"$5\" ] && exit 0; done\nexit 2",
                log.display(),
                known.join(" ")
            ),
        );
        // The action's own checkout: a reins source tree.
        let source = dir.path().join("action");
        std::fs::create_dir_all(source.join("src")).expect("mkdir");
        std::fs::write(source.join("Cargo.toml"), "[package]\nname = \"reins\"\n").expect("w");
        std::fs::write(source.join("src/main.rs"), "fn main() {}\n").expect("w");
        Install { dir }
    }

    fn source(&self) -> PathBuf {
        self.dir.path().join("action")
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("tool")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("calls.log")
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.log()).unwrap_or_default()
    }

    fn run(&self, version: &str, action_ref: &str, resolve: bool) -> std::process::Output {
        let mut cmd = Command::new("bash");
        cmd.arg(script("install.sh"));
        if resolve {
            cmd.arg("resolve");
        }
        cmd.env(
            "PATH",
            format!(
                "{}:{}",
                self.dir.path().join("fakes").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("REINS_VERSION", version)
        .env("REINS_ACTION_REF", action_ref)
        .env("REINS_SOURCE", self.source())
        .env("REINS_REPOSITORY", "octo/reins")
        .env("REINS_ROOT", self.root())
        .env("GITHUB_SERVER_URL", "http://127.0.0.1:9")
        .env("GITHUB_PATH", self.dir.path().join("path"))
        .env_remove("GITHUB_OUTPUT")
        .output()
        .expect("run install.sh")
    }
}

fn ok(out: &std::process::Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A pinned `version` without a release binary is built from its tag with cargo (--locked) once
/// `git ls-remote` shows the tag exists; a cached install is reused; a version that is not a tag
/// name is refused before anything runs.
#[test]
fn install_builds_the_pinned_tag_when_no_release_binary_exists() {
    let install = Install::new(&["v1.2.3"]);
    let out = install.run("v1.2.3", "main", false);
    ok(&out);
    let calls = install.calls();
    assert!(
        calls.contains("curl") && calls.contains("releases/download/v1.2.3/"),
        "{calls}"
    );
    assert!(
        calls.contains(&format!(
            "cargo install --locked --git http://127.0.0.1:9/octo/reins --tag v1.2.3 --root {} reins",
            install.root().display()
        )),
        "{calls}"
    );
    assert!(std::fs::read_to_string(install.dir.path().join("path"))
        .expect("GITHUB_PATH")
        .contains("tool/bin"));
    // A second run finds the cached binary and builds nothing.
    std::fs::remove_file(install.log()).expect("rm");
    ok(&install.run("v1.2.3", "main", false));
    assert!(!install.log().exists(), "the cached install was rebuilt");
    let bad = install.run("--help", "main", false);
    assert_eq!(bad.status.code(), Some(2));
    assert!(!install.log().exists());
}

/// With no `version` (the default), the action installs its own ref: `@main` (no tag, no
/// release) is built from the action's checkout, keyed in the cache by a hash of that source;
/// `@v2.0.0` tries the release binary first and then builds the same checkout, without asking
/// for a tag that may not exist.
#[test]
fn install_without_a_version_builds_the_actions_own_source() {
    let install = Install::new(&[]);
    let key = install.run("", "main", true);
    ok(&key);
    let key = String::from_utf8_lossy(&key.stdout).trim().to_string();
    assert!(key.starts_with("key=src-") && key.len() > 12, "{key}");
    ok(&install.run("", "main", false));
    let calls = install.calls();
    assert!(
        !calls.contains("curl"),
        "no tag, no release to look for: {calls}"
    );
    assert!(
        calls.contains(&format!(
            "cargo install --locked --path {} --root {}",
            install.source().display(),
            install.root().display()
        )),
        "{calls}"
    );
    assert!(!calls.contains("git "), "{calls}");

    let tagged = Install::new(&[]);
    let key = tagged.run("", "v2.0.0", true);
    assert_eq!(String::from_utf8_lossy(&key.stdout).trim(), "key=v2.0.0");
    ok(&tagged.run("", "v2.0.0", false));
    let calls = tagged.calls();
    assert!(calls.contains("releases/download/v2.0.0/"), "{calls}");
    assert!(calls.contains("cargo install --locked --path"), "{calls}");
}

/// A pinned `version` that is no tag of the repository fails at once with a message that says
/// so and what to do, instead of a cargo error (or a build of something else).
#[test]
fn install_of_a_tag_that_does_not_exist_fails_clearly() {
    let install = Install::new(&["v1.0.0"]);
    let out = install.run("v0.1.0", "main", false);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("octo/reins has no tag v0.1.0") && err.contains("leave it empty"),
        "{err}"
    );
    assert!(!install.calls().contains("cargo"), "{}", install.calls());
}
