//! Harness overhead of `reins exec`: reins' own CPU time per step of a 30-step scripted session
//! against the local mock server (instant replies, cheap tools), time from process start to the
//! first model request, and peak RSS; then the resident memory of one 500-step session (read,
//! patch and shell steps in turn), sampled every 50 steps, to show it stays flat.
//!
//! Run: `cargo build --release && cargo run --release --example bench_exec`

#[path = "../tests/support/mock_server.rs"]
#[allow(dead_code)]
mod mock_server;
#[path = "support/timing.rs"]
mod timing;

use mock_server::{MockServer, Reply, Turn};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use timing::{median, ms, reins_binary};

const STEPS: usize = 30;
const RUNS: usize = 7;
const LONG_STEPS: usize = 500;
const RSS_EVERY: usize = 50;

fn main() {
    let bin = reins_binary();
    let ws = tempfile::tempdir().expect("workspace");
    std::fs::write(ws.path().join("a.txt"), "hello\n".repeat(50)).expect("file");
    let mut cpu_per_step = Vec::new();
    let mut wall_per_step = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..RUNS {
        let mut script: Vec<Reply> = (0..STEPS - 1)
            .map(|_| Reply::Turn(Turn::tool("read_file", json!({"path": "a.txt"}))))
            .collect();
        script.push(Reply::text("done"));
        let server = MockServer::start_with_gap(script, Duration::ZERO);
        let run = run_session(&bin, &server, ws.path());
        assert_eq!(
            server.requests().len(),
            STEPS,
            "the session did not run all steps"
        );
        cpu_per_step.push(run.cpu / STEPS as u32);
        wall_per_step.push(run.wall / STEPS as u32);
        rss.push(run.max_rss_kb);
    }
    let mut first_request = Vec::new();
    for _ in 0..15 {
        let server = MockServer::start_with_gap(vec![Reply::text("done")], Duration::ZERO);
        let run = run_session(&bin, &server, ws.path());
        first_request.push(server.requests()[0].received_at - run.started);
    }
    println!("reins exec, {STEPS}-step scripted session, {RUNS} runs (median):");
    println!(
        "  reins CPU time per step:   {:>8.3} ms  (user+sys of the reins process / steps)",
        ms(median(&mut cpu_per_step))
    );
    println!(
        "  wall time per step:        {:>8.3} ms  (includes the mock server and loopback HTTP)",
        ms(median(&mut wall_per_step))
    );
    println!(
        "  peak RSS:                  {:>8.1} MB",
        *rss.iter().max().unwrap_or(&0) as f64 / 1024.0
    );
    println!(
        "  process start -> 1st request: {:>5.2} ms (median of 15)",
        ms(median(&mut first_request))
    );
    rss_over_a_long_session(&bin);
}

/// RSS of the reins process every RSS_EVERY steps of a LONG_STEPS-step session. The mock answers
/// instantly, so a sample is taken within a step or two of its mark.
fn rss_over_a_long_session(bin: &PathBuf) {
    let ws = tempfile::tempdir().expect("workspace");
    std::fs::write(ws.path().join("a.txt"), "hello\n".repeat(50)).expect("file");
    let patch = |from: &str, to: &str| {
        format!(
            "*** Begin Patch\n*** Update File: a.txt\n@@\n-{from}\n+{to}\n hello\n*** End Patch\n"
        )
    };
    let mut script: Vec<Reply> = (0..LONG_STEPS - 1)
        .map(|i| match i % 3 {
            0 => Reply::tool("read_file", json!({"path": "a.txt"})),
            1 if (i / 3) % 2 == 0 => {
                Reply::tool("apply_patch", json!({"patch": patch("hello", "bye")}))
            }
            1 => Reply::tool("apply_patch", json!({"patch": patch("bye", "hello")})),
            _ => Reply::tool("shell", json!({"command": "echo step"})),
        })
        .collect();
    script.push(Reply::text("done"));
    let server = MockServer::start_with_gap(script, Duration::ZERO);
    let home = config_home(&server);
    let mut child = Command::new(bin)
        .env("REINS_HOME", home.path())
        .env("NO_PROXY", "*")
        .args(["exec", "--json", "--max-steps", "1000", "-C"])
        .arg(ws.path())
        .arg("bench")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn reins");
    let status_path = format!("/proc/{}/status", child.id());
    let mut samples = Vec::new();
    let mut next = RSS_EVERY;
    while child.try_wait().expect("wait").is_none() {
        let done = server.requests().len();
        if done >= next {
            if let Some(kb) = std::fs::read_to_string(&status_path).ok().and_then(|s| {
                let line = s.lines().find(|l| l.starts_with("VmRSS:"))?.to_string();
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            }) {
                samples.push((done, kb));
            }
            next += RSS_EVERY;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    assert_eq!(
        server.requests().len(),
        LONG_STEPS,
        "the long session stopped early"
    );
    println!("RSS over a {LONG_STEPS}-step session (read, apply_patch, shell in turn):");
    for (step, kb) in &samples {
        println!("  step {step:>4}: {:>7.1} MB", *kb as f64 / 1024.0);
    }
    if let (Some(first), Some(last)) = (samples.first(), samples.last()) {
        println!(
            "  change from step {} to step {}: {:+.1}%",
            first.0,
            last.0,
            (last.1 as f64 / first.1 as f64 - 1.0) * 100.0
        );
    }
}

fn config_home(server: &MockServer) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("home");
    let config = format!(
        "model = \"mock\"\n[providers.mock]\nkind = \"openai\"\nbase_url = \"{}\"\napi_key_env = \"\"\n[models.mock]\nprovider = \"mock\"\nname = \"m\"\ninput_price = 1.0\noutput_price = 2.0\n",
        server.openai_base()
    );
    std::fs::write(home.path().join("config.toml"), config).expect("config");
    home
}

struct Run {
    started: Instant,
    wall: Duration,
    cpu: Duration,
    max_rss_kb: i64,
}

// The child is reaped by wait4 (for its rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn run_session(bin: &PathBuf, server: &MockServer, ws: &std::path::Path) -> Run {
    let home = config_home(server);
    let started = Instant::now();
    let child = Command::new(bin)
        .env("REINS_HOME", home.path())
        .env("NO_PROXY", "*")
        .args(["exec", "--json", "-C"])
        .arg(ws)
        .arg("bench")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn reins");
    let (code, usage) = wait_with_rusage(child.id() as i32);
    let wall = started.elapsed();
    assert_eq!(code, 0, "reins exited with {code}");
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Run {
        started,
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kb: usage.ru_maxrss,
    }
}

fn wait_with_rusage(pid: i32) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: rusage is plain data, fully written by wait4 for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    (libc::WEXITSTATUS(status), usage)
}
