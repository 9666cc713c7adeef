//! The cost of confinement per command, through the binary: the same scripted `reins exec`
//! session of shell steps (each running `true`, each call checked to have run) under `--sandbox full` and under
//! `--sandbox workspace-write` (Landlock, seccomp, mount and PID namespaces, private temp dirs,
//! the process cap), interleaved, median of the runs; the difference divided by the steps is what
//! containment adds to each command. Then a session whose command detaches 50 `setsid` children:
//! how long after `reins exec` returns the last of them is gone.
//!
//! `REINS_BENCH_BASE=PATH` also times the confined session with a second build, each of its runs
//! right after the first build's (a before/after pair in the same machine state).
//!
//! Run: `cargo build --release && cargo run --release --example bench_contain`

#[path = "../tests/support/mock_server.rs"]
#[allow(dead_code)]
mod mock_server;
#[path = "support/timing.rs"]
mod timing;

use mock_server::{MockServer, Reply, Turn};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use timing::{median, ms, reins_binary};

const STEPS: usize = 30;
const RUNS: usize = 9;

fn main() {
    let bin = reins_binary();
    // Outside the shared temp dirs, as a user's checkout is (so commands get private ones).
    let scratch = scratch_dir(&bin);
    let ws = tempfile::tempdir_in(&scratch).expect("workspace");
    let mut full = Vec::new();
    let mut confined = Vec::new();
    // Each command differs (a comment): the same call three times in a row is refused, not run.
    let owned: Vec<String> = (0..STEPS).map(|i| format!("true #{i}")).collect();
    let trues: Vec<&str> = owned.iter().map(String::as_str).collect();
    let base = std::env::var_os("REINS_BENCH_BASE").map(PathBuf::from);
    let mut base_confined = Vec::new();
    for _ in 0..RUNS {
        full.push(session(&bin, ws.path(), "full", &trues));
        confined.push(session(&bin, ws.path(), "workspace-write", &trues));
        if let Some(base) = &base {
            base_confined.push(session(base, ws.path(), "workspace-write", &trues));
        }
    }
    if let Some(base) = &base {
        let (this, before) = (median(&mut confined.clone()), median(&mut base_confined));
        println!(
            "confined session of {STEPS} commands, median of {RUNS}: this build {:.1} ms, {} {:.1} ms ({:+.2} ms per command)",
            ms(this),
            base.display(),
            ms(before),
            (ms(this) - ms(before)) / STEPS as f64
        );
    }
    let (full, confined) = (median(&mut full), median(&mut confined));
    println!("reins exec, {STEPS} shell steps running `true`, median of {RUNS} runs each:");
    println!(
        "  --sandbox full:            {:>8.2} ms per step",
        ms(full) / STEPS as f64
    );
    println!(
        "  --sandbox workspace-write: {:>8.2} ms per step",
        ms(confined) / STEPS as f64
    );
    println!(
        "  added per confined command: {:>+7.2} ms",
        (ms(confined) - ms(full)) / STEPS as f64
    );

    let marker = format!("reins-bench-detach-{}", std::process::id());
    let detach = format!(
        "for i in $(seq 50); do setsid bash -c 'exec -a {marker} sleep 60' </dev/null >/dev/null 2>&1 & done"
    );
    let mut gone = Vec::new();
    for _ in 0..5 {
        session(&bin, ws.path(), "workspace-write", &[detach.as_str()]);
        let ended = Instant::now();
        while survivors(&marker) > 0 && ended.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(
            survivors(&marker),
            0,
            "detached children outlived the session"
        );
        gone.push(ended.elapsed());
    }
    println!(
        "  50 setsid children, last one gone after the session ended: {:.1} ms (median of 5)",
        ms(median(&mut gone))
    );
}

/// Runs one scripted session whose steps run `commands`; its wall time.
fn session(bin: &Path, ws: &Path, sandbox: &str, commands: &[&str]) -> Duration {
    let mut script: Vec<Reply> = commands
        .iter()
        .map(|c| Reply::Turn(Turn::tool("shell", json!({ "command": c }))))
        .collect();
    script.push(Reply::text("done"));
    let server = MockServer::start_with_gap(script, Duration::ZERO);
    let home = tempfile::tempdir_in(scratch_dir(bin)).expect("home");
    let config = format!(
        "model = \"mock\"\n[providers.mock]\nkind = \"openai\"\nbase_url = \"{}\"\napi_key_env = \"\"\n[models.mock]\nprovider = \"mock\"\nname = \"m\"\n",
        server.openai_base()
    );
    std::fs::write(home.path().join("config.toml"), config).expect("config");
    let started = Instant::now();
    let status = Command::new(bin)
        .env("REINS_HOME", home.path())
        .env("NO_PROXY", "*")
        .args(["exec", "--json", "--sandbox", sandbox, "-C"])
        .arg(ws)
        .arg("bench")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run reins");
    let wall = started.elapsed();
    assert!(status.success(), "reins exited with {status}");
    let requests = server.requests();
    assert_eq!(requests.len(), commands.len() + 1, "not every step ran");
    let last = &requests[commands.len()].body;
    let results: Vec<&str> = last["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == "tool")
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(results.len(), commands.len());
    for result in results {
        assert!(
            result.starts_with("exit code: 0"),
            "a command did not run: {result}"
        );
    }
    wall
}

/// Processes whose command line carries `marker`.
fn survivors(marker: &str) -> usize {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains(marker))
        .count()
}

/// `target/bench-scratch`, beside the binary's profile directory.
fn scratch_dir(bin: &Path) -> PathBuf {
    let dir = bin
        .parent()
        .and_then(Path::parent)
        .map(|t| t.join("bench-scratch"))
        .expect("target dir");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}
