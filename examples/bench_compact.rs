//! Compaction of a 150,000-token history through the release binary: `reins exec --resume` on a
//! transcript whose history is about 150k tokens, with the model's context window configured so
//! that the first step must compact. The instant mock model answers the summary request and then
//! the turn. Beside it, the same resume with a window large enough that nothing is compacted.
//!
//! Figures (median of 5): process start -> the summary request (resume and the summary request's
//! assembly), summary reply -> the next request (the replacement history recorded and the request
//! rebuilt), the whole run; and the same run without compaction.
//!
//! Run: `cargo build --release && cargo run --release --example bench_compact`

#[path = "../tests/support/mock_server.rs"]
#[allow(dead_code)]
mod mock_server;
#[path = "support/timing.rs"]
mod timing;

use mock_server::{MockServer, Reply};
use reins::conversation::{Item, ToolCall};
use reins::store::transcript::{Record, TranscriptWriter};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use timing::{load_average, median, ms, reins_binary};

const RUNS: usize = 5;
/// The history to compact, in reins' own estimate (bytes / 4).
const HISTORY_TOKENS: usize = 150_000;
/// Each step's assistant text, in bytes.
const OUTPUT_BYTES: usize = 2_000;

fn main() {
    let bin = reins_binary();
    println!("load average at start: {}", load_average());
    let ws = tempfile::tempdir().expect("workspace");
    let mut with = Vec::new();
    let mut without = Vec::new();
    for _ in 0..RUNS {
        with.push(run(&bin, ws.path(), true));
        without.push(run(&bin, ws.path(), false));
    }
    let pick = |runs: &[Timing], f: fn(&Timing) -> Duration| {
        let mut v: Vec<Duration> = runs.iter().map(f).collect();
        median(&mut v)
    };
    println!("resume of a {HISTORY_TOKENS}-token history, median of {RUNS}:");
    println!(
        "  compacting:     start -> summary request {:>7.1} ms, summary -> next request {:>7.1} ms, whole run {:>7.1} ms",
        ms(pick(&with, |t| t.first_request)),
        ms(pick(&with, |t| t.after_summary)),
        ms(pick(&with, |t| t.wall))
    );
    println!(
        "  not compacting: start -> first request   {:>7.1} ms, whole run {:>7.1} ms",
        ms(pick(&without, |t| t.first_request)),
        ms(pick(&without, |t| t.wall))
    );
    println!("load average at end: {}", load_average());
}

struct Timing {
    first_request: Duration,
    after_summary: Duration,
    wall: Duration,
}

fn run(bin: &Path, ws: &Path, compact: bool) -> Timing {
    let home = tempfile::tempdir().expect("home");
    write_transcript(home.path(), ws);
    let mut script = Vec::new();
    if compact {
        script.push(Reply::text(
            "Summary: the user asked to fix the parser; 300 files were read.",
        ));
    }
    script.push(Reply::text("ok"));
    let server = MockServer::start_with_gap(script, Duration::ZERO);
    // The history fills 150k of a 160k window: past the 0.85 threshold, so the step compacts.
    let window = if compact { 160_000 } else { 1_000_000 };
    std::fs::write(
        home.path().join("config.toml"),
        format!("model = \"m\"\n[providers.p]\nkind = \"openai\"\nbase_url = \"{}\"\napi_key_env = \"\"\n[models.m]\nprovider = \"p\"\nname = \"m\"\ncontext_window = {window}\n", server.openai_base()),
    )
    .expect("config");
    let start = Instant::now();
    let out = Command::new(bin)
        .env("REINS_HOME", home.path())
        .env("NO_PROXY", "*")
        .args(["exec", "--json", "--resume", "bench-compact", "-C"])
        .arg(ws)
        .arg("next")
        .stderr(Stdio::null())
        .output()
        .expect("run reins");
    let wall = start.elapsed();
    assert!(out.status.success(), "reins failed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.contains("\"type\":\"compacted\""),
        compact,
        "compaction did not happen as configured"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), if compact { 2 } else { 1 });
    Timing {
        first_request: requests[0].received_at - start,
        after_summary: requests
            .get(1)
            .map_or(Duration::ZERO, |r| r.received_at - requests[0].received_at),
        wall,
    }
}

/// A transcript whose history is HISTORY_TOKENS tokens: read steps whose reasoning text is 2 KB,
/// as a long session writes them.
fn write_transcript(home: &Path, ws: &Path) {
    let mut w = TranscriptWriter::open(home, "bench-compact").expect("open");
    w.append(&Record::Meta {
        session_id: "bench-compact".into(),
        workspace: ws.canonicalize().expect("ws").display().to_string(),
        started_at: 0,
        started_at_ns: None,
        prompt: "fix the parser".into(),
        route: None,
        top_rung: None,
        workflow: None,
        subagent: None,
    })
    .expect("meta");
    w.append(&Record::HistoryItem {
        item: Item::user("fix the parser"),
    })
    .expect("user");
    // The bulk is the model's own text, which compaction must summarise (old tool outputs
    // alone would only be elided, with no summary request).
    let text = "The parser reads the header, then each record; the bug is in the loop. "
        .repeat(OUTPUT_BYTES / 72);
    let output = "     1\tfn parse() {}\n".to_string();
    let steps = HISTORY_TOKENS * 4 / (text.len() + output.len() + 60);
    for i in 0..steps {
        let id = format!("c{i}");
        let arguments = format!("{{\"path\":\"src/m{i}.rs\"}}");
        w.append(&Record::HistoryItem {
            item: Item::Assistant {
                text: text.clone(),
                tool_calls: vec![ToolCall {
                    id: id.clone(),
                    name: "read_file".into(),
                    arguments,
                }],
                reasoning: Vec::new(),
            },
        })
        .expect("call");
        w.append(&Record::HistoryItem {
            item: Item::ToolResult {
                call_id: id,
                name: "read_file".into(),
                output: output.clone(),
                is_error: false,
                images: Vec::new(),
            },
        })
        .expect("result");
    }
    w.sync().expect("sync");
}
