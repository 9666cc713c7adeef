//! `reins usage` over 1,000 sessions of 200 events each, through the release binary: with the
//! ledger up to date (as sessions leave it when they end: each query only stats the
//! transcripts), and cold (the index deleted before each run, so every transcript is read).
//! Half the sessions are routed, so the top-rung pricing is in the query.
//!
//! Run: `cargo build --release && cargo run --release --example bench_usage`

#[path = "support/timing.rs"]
mod timing;

use reins::agent::Event;
use reins::conversation::Item;
use reins::store::transcript::{Record, TopRung, TranscriptWriter};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use timing::{median, ms, reins_binary};

const SESSIONS: usize = 1_000;
const EVENTS: usize = 200;
const RUNS: usize = 5;

fn main() {
    let bin = reins_binary();
    let home = tempfile::tempdir().expect("home");
    let ws = tempfile::tempdir().expect("workspace");
    let mut end_costs = Vec::new();
    for s in 0..SESSIONS {
        end_costs.push(write_session(home.path(), ws.path(), s));
    }
    let index = home.path().join("sessions/index.sqlite");
    println!("reins usage: {SESSIONS} sessions x {EVENTS} events, median of {RUNS}:");
    for by in ["day", "model", "route"] {
        let warm = time(&bin, home.path(), &["usage", "--by", by], None);
        println!("  --by {by:<6} ledger up to date:   {:>8.1} ms", ms(warm));
    }
    let cold = time(&bin, home.path(), &["usage"], Some(&index));
    println!(
        "  index deleted first:            {:>8.1} ms  (every transcript read)",
        ms(cold)
    );
    println!(
        "  update at session end:          {:>8.2} ms  (median over the sessions written)",
        ms(median(&mut end_costs))
    );
}

/// Writes one session's transcript as a session does and returns what closing it cost (the
/// index and ledger updates).
fn write_session(home: &Path, ws: &Path, n: usize) -> Duration {
    let id = format!("20260101T{:06}-{:04x}", n, n % 0x10000);
    let mut w = TranscriptWriter::open(home, &id).expect("open");
    let now = 1_767_225_600 + (n as u64) * 600;
    let routed = n.is_multiple_of(2);
    w.append(&Record::Meta {
        session_id: id.clone(),
        workspace: ws.display().to_string(),
        started_at: now,
        started_at_ns: Some(now * 1_000_000_000),
        prompt: format!("task number {n}"),
        route: routed.then(|| "cheap".to_string()),
        top_rung: routed.then(|| TopRung {
            model: "big".into(),
            input_price: Some(10.0),
            cached_input_price: Some(1.0),
            output_price: Some(40.0),
        }),
        workflow: None,
        subagent: None,
    })
    .expect("meta");
    let output = "line of tool output\n".repeat(40);
    for step in 0..(EVENTS - 2) / 4 {
        let model = if step % 5 == 4 { "big" } else { "fast" };
        let e = Event::Route {
            step: step as u32,
            model: model.into(),
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
        let usage = serde_json::json!({"type": "usage", "model": model, "input_tokens": 1000,
            "cached_input_tokens": 200, "output_tokens": 50, "cost_usd": 0.001});
        w.append(&Record::Event(usage)).expect("usage");
    }
    let finished = serde_json::json!({"type": "session.finished", "status": "done", "steps": 49,
        "input_tokens": 49000, "output_tokens": 2450, "cost_usd": 0.049, "duration_ms": 1,
        "models": {}});
    w.append(&Record::Event(finished)).expect("finish");
    w.sync().expect("sync");
    let t = Instant::now();
    drop(w);
    t.elapsed()
}

/// The median wall time of `reins ARGS`; `fresh` is deleted before each run.
fn time(bin: &Path, home: &Path, args: &[&str], fresh: Option<&Path>) -> Duration {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        if let Some(f) = fresh {
            let _ = std::fs::remove_file(f);
        }
        let t = Instant::now();
        let out = Command::new(bin)
            .env("REINS_HOME", home)
            .args(args)
            .arg("--json")
            .stderr(Stdio::inherit())
            .output()
            .expect("run reins");
        times.push(t.elapsed());
        assert!(out.status.success(), "reins {args:?} failed");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(v["total"]["sessions"], SESSIONS, "reins {args:?}");
    }
    median(&mut times)
}
