//! Transcript figures: the latency of appending one event (buffered write + flush, as the session
//! does per event), and the time from process start to the first model request when resuming a
//! 10,000-event transcript.
//!
//! Run: `cargo build --release && cargo run --release --example bench_transcript`

#[path = "../tests/support/mock_server.rs"]
#[allow(dead_code)]
mod mock_server;

use mock_server::{MockServer, Reply};
use reins::agent::Event;
use reins::conversation::{Item, ToolCall};
use reins::store::transcript::{Record, TranscriptWriter};
use std::time::{Duration, Instant};

const APPENDS: usize = 10_000;
const RESUME_EVENTS: usize = 10_000;

fn main() {
    append_latency();
    resume_latency();
}

fn append_latency() {
    let home = tempfile::tempdir().expect("home");
    let mut w = TranscriptWriter::open(home.path(), "bench").expect("open");
    let output = "x".repeat(1024);
    let mut times = Vec::with_capacity(APPENDS);
    for i in 0..APPENDS {
        let e = Event::ToolResult {
            call_id: format!("call_{i}"),
            name: "shell".into(),
            ok: true,
            output: output.clone(),
            exit_code: Some(0),
            changed_paths: Vec::new(),
            denied: false,
        };
        let t = Instant::now();
        w.append_event(&e).expect("append");
        times.push(t.elapsed());
    }
    times.sort();
    println!("append one event (1 KiB tool result), {APPENDS} appends:");
    println!(
        "  median {:>6.1} µs   p99 {:>6.1} µs",
        us(times[APPENDS / 2]),
        us(times[APPENDS * 99 / 100])
    );
}

fn resume_latency() {
    let bin = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent()?.parent().map(|p| p.join("reins")))
        .expect("target dir");
    assert!(
        bin.exists(),
        "build the binary first: cargo build --release"
    );
    let home = tempfile::tempdir().expect("home");
    let ws = tempfile::tempdir().expect("ws");
    write_transcript(home.path(), ws.path());
    let mut times = Vec::new();
    for _ in 0..9 {
        let server = MockServer::start_with_gap(vec![Reply::text("ok")], Duration::ZERO);
        std::fs::write(
            home.path().join("config.toml"),
            format!("model = \"m\"\n[providers.p]\nkind = \"openai\"\nbase_url = \"{}\"\napi_key_env = \"\"\n[models.m]\nprovider = \"p\"\nname = \"m\"\n", server.openai_base()),
        )
        .expect("config");
        let start = Instant::now();
        let status = std::process::Command::new(&bin)
            .env("REINS_HOME", home.path())
            .env("NO_PROXY", "*")
            .args(["exec", "--json", "--resume", "bench-resume", "-C"])
            .arg(ws.path())
            .arg("next")
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run");
        assert!(status.success());
        times.push(server.requests()[0].received_at - start);
    }
    times.sort();
    println!("resume a {RESUME_EVENTS}-event transcript: process start -> first request, median of 9: {:.1} ms", times[4].as_secs_f64() * 1000.0);
}

/// A transcript of 10,000 lines: history items with their events, as a long session writes them.
fn write_transcript(home: &std::path::Path, ws: &std::path::Path) {
    let mut w = TranscriptWriter::open(home, "bench-resume").expect("open");
    let meta = Record::Meta {
        session_id: "bench-resume".into(),
        workspace: ws.canonicalize().expect("ws").display().to_string(),
        started_at: 0,
        started_at_ns: None,
        prompt: "bench".into(),
        route: None,
        top_rung: None,
        workflow: None,
        subagent: None,
    };
    w.append(&meta).expect("meta");
    w.append(&Record::HistoryItem {
        item: Item::user("start"),
    })
    .expect("user");
    let mut n = 2;
    let mut i = 0;
    while n < RESUME_EVENTS {
        let call = ToolCall {
            id: format!("c{i}"),
            name: "read_file".into(),
            arguments: "{\"path\":\"a.txt\"}".into(),
        };
        w.append(&Record::HistoryItem {
            item: Item::Assistant {
                text: String::new(),
                tool_calls: vec![call],
                reasoning: Vec::new(),
            },
        })
        .expect("a");
        w.append_event(&Event::ToolCall {
            call_id: format!("c{i}"),
            name: "read_file".into(),
            arguments: serde_json::json!({"path": "a.txt"}),
            kind: None,
            paths: Vec::new(),
        })
        .expect("e");
        let output = "     1\tsome line of the file\n".repeat(20);
        w.append_event(&Event::ToolResult {
            call_id: format!("c{i}"),
            name: "read_file".into(),
            ok: true,
            output: output.clone(),
            exit_code: None,
            changed_paths: Vec::new(),
            denied: false,
        })
        .expect("e");
        w.append(&Record::HistoryItem {
            item: Item::ToolResult {
                call_id: format!("c{i}"),
                name: "read_file".into(),
                output,
                is_error: false,
                images: Vec::new(),
            },
        })
        .expect("r");
        n += 4;
        i += 1;
    }
    w.sync().expect("sync");
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
