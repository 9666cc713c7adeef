//! `reins sessions` over 1,000 sessions of 200 events each, through the release binary: with
//! the index up to date (as sessions leave it when they end), and cold (index deleted before each
//! run, so every transcript is read and the index rebuilt). Also the cost a session pays at its
//! end to update its index row.
//!
//! Run: `cargo build --release && cargo run --release --example bench_sessions`

#[path = "support/timing.rs"]
mod timing;

use reins::agent::Event;
use reins::conversation::Item;
use reins::store::transcript::{Record, TranscriptWriter};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use timing::{median, ms, reins_binary};

const SESSIONS: usize = 1_000;
const EVENTS: usize = 200;
const WORKSPACES: usize = 10;
const RUNS: usize = 5;

fn main() {
    let bin = reins_binary();
    let home = tempfile::tempdir().expect("home");
    let workspaces: Vec<tempfile::TempDir> = (0..WORKSPACES)
        .map(|_| tempfile::tempdir().expect("workspace"))
        .collect();
    let mut end_costs = Vec::new();
    let mut bytes = 0;
    for s in 0..SESSIONS {
        let ws = workspaces[s % WORKSPACES].path();
        let (cost, size) = write_session(home.path(), ws, s);
        end_costs.push(cost);
        bytes += size;
    }
    let ws = workspaces[0].path();
    let warm_all = time(
        &bin,
        home.path(),
        ws,
        &["sessions", "--all"],
        None,
        SESSIONS,
    );
    let warm_one = time(
        &bin,
        home.path(),
        ws,
        &["sessions"],
        None,
        SESSIONS / WORKSPACES,
    );
    let index = home.path().join("sessions/index.sqlite");
    let cold_all = time(
        &bin,
        home.path(),
        ws,
        &["sessions", "--all"],
        Some(&index),
        SESSIONS,
    );
    println!(
        "reins sessions: {SESSIONS} sessions x {EVENTS} events ({:.0} MB of transcripts), median of {RUNS}:",
        bytes as f64 / 1e6
    );
    println!("  --all, index up to date:     {:>8.1} ms", ms(warm_all));
    println!("  one workspace, up to date:   {:>8.1} ms", ms(warm_one));
    println!(
        "  --all, index deleted first:  {:>8.1} ms  (every transcript read, index rebuilt)",
        ms(cold_all)
    );
    println!(
        "  index update at session end: {:>8.2} ms  (median over the {SESSIONS} sessions written)",
        ms(median(&mut end_costs))
    );
}

/// Writes one session's transcript as a session does (header, history items and events, the
/// finish) and returns what closing it cost (its index update) and its size.
fn write_session(home: &Path, ws: &Path, n: usize) -> (Duration, u64) {
    let id = format!("20260101T{:06}-{:04x}", n, n % 0x10000);
    let mut w = TranscriptWriter::open(home, &id).expect("open");
    let now = 1_767_225_600 + n as u64;
    w.append(&Record::Meta {
        session_id: id.clone(),
        workspace: ws.display().to_string(),
        started_at: now,
        started_at_ns: Some(now * 1_000_000_000),
        prompt: format!("task number {n}: make the tests pass"),
        route: None,
        top_rung: None,
        workflow: None,
        subagent: None,
    })
    .expect("meta");
    let output = "line of tool output\n".repeat(40);
    for step in 0..(EVENTS - 2) / 4 {
        let e = Event::Route {
            step: step as u32,
            model: "m".into(),
            reason: "default".into(),
            kind: None,
        };
        w.append_event(&e).expect("route");
        w.append(&Record::HistoryItem {
            item: Item::user(format!("step {step}")),
        })
        .expect("item");
        let e = Event::ToolResult {
            call_id: format!("c{step}"),
            name: "shell".into(),
            ok: true,
            output: output.clone(),
            exit_code: Some(0),
            changed_paths: Vec::new(),
            denied: false,
        };
        w.append_event(&e).expect("result");
        let usage = serde_json::json!({"type": "usage", "model": "m", "input_tokens": 1000,
            "cached_input_tokens": 0, "output_tokens": 50, "cost_usd": 0.001});
        w.append(&Record::Event(usage)).expect("usage");
    }
    let finished = serde_json::json!({"type": "session.finished", "status": "done", "steps": 49,
        "input_tokens": 49000, "output_tokens": 2450, "cost_usd": 0.049, "duration_ms": 1,
        "models": {}});
    w.append(&Record::Event(finished)).expect("finish");
    w.sync().expect("sync");
    let size = std::fs::metadata(w.path()).map_or(0, |m| m.len());
    let t = Instant::now();
    drop(w);
    (t.elapsed(), size)
}

/// The median wall time of `reins ARGS` in `ws`; `fresh` is deleted before each run.
fn time(
    bin: &Path,
    home: &Path,
    ws: &Path,
    args: &[&str],
    fresh: Option<&Path>,
    expect_rows: usize,
) -> Duration {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        if let Some(f) = fresh {
            let _ = std::fs::remove_file(f);
        }
        let t = Instant::now();
        let out = Command::new(bin)
            .env("REINS_HOME", home)
            .args(args)
            .arg("-C")
            .arg(ws)
            .stderr(Stdio::inherit())
            .output()
            .expect("run reins");
        times.push(t.elapsed());
        assert!(out.status.success(), "reins {args:?} failed");
        let rows = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("make the tests pass"))
            .count();
        assert_eq!(rows, expect_rows, "reins {args:?} listed {rows} sessions");
    }
    median(&mut times)
}
