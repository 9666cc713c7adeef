//! TUI figures: frame time while a model streams 2,000 tokens/s into the transcript (empty, and
//! below a transcript of more than 20,000 lines), key press to redrawn frame with that transcript
//! (typing and paging, p50 and p99), and the memory it takes.
//!
//! Frames are drawn into ratatui's `TestBackend` through `Terminal::draw`, so the measurement
//! covers layout, Markdown and syntax colour, wrapping, the widget render and the buffer diff —
//! everything but the terminal's own write. Run with `cargo run --release --example bench_tui`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use reins::agent::Event;
use reins::engine::{EngineHandle, UiMsg};
use reins::tui::app::{App, AppContext};
use reins::tui::fuzzy::FileIndex;
use reins::tui::theme::Theme;
use reins::tui::FRAME;
use serde_json::json;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TOKENS_PER_SEC: u64 = 2_000;
const STREAM_SECS: u64 = 5;
/// Enough messages for more than 20,000 transcript lines at 120 columns.
const MESSAGES: usize = 5_000;
const KEY_PRESSES: usize = 300;

fn main() {
    let (w, h) = (120, 40);
    println!(
        "terminal {w}x{h}, TestBackend, frame tick {} ms",
        FRAME.as_millis()
    );
    // As at TUI startup (there on a background thread): the syntax sets load before the first
    // code block streams.
    let t = Instant::now();
    reins::tui::highlight::preload();
    println!("syntax sets loaded in {}", ms(t.elapsed()));
    streaming(w, h, app(), "an empty transcript");
    let rss_before = rss_kb();
    let mut app = app();
    fill(&mut app, MESSAGES);
    key_presses(&mut app, w, h, rss_before);
    // Counting the lines draws into a buffer of 60,000 rows: peak memory is read before it.
    let peak = status_kb("VmHWM:");
    let mut long = self::app();
    fill(&mut long, MESSAGES);
    let lines = transcript_lines(&mut long, w);
    streaming(w, h, long, &format!("below a {lines}-line transcript"));
    println!(
        "peak RSS before the line count (VmHWM): {:.1} MB",
        peak.unwrap_or(0) as f64 / 1024.0
    );
}

fn app() -> App {
    let (ops, _rx) = tokio::sync::mpsc::unbounded_channel();
    let (canceller, _) = reins::cancel::pair();
    let commands = reins::tui::commands::load(std::path::Path::new("/nonexistent"), None);
    let mut app = App::new(
        AppContext::default(),
        EngineHandle { ops, canceller },
        if std::env::var_os("NO_COLOR").is_some() {
            Theme::plain()
        } else {
            Theme::colored()
        },
        commands,
        FileIndex::fixed(vec![]),
    );
    app.on_engine(UiMsg::History(vec![]));
    app
}

/// One model "token" of a realistic answer: prose, lists and code blocks.
fn token(i: usize) -> String {
    const PROSE: [&str; 8] = [
        "The ",
        "function ",
        "`parse` ",
        "returns ",
        "**early** ",
        "when ",
        "the input ",
        "ends. ",
    ];
    match i % 400 {
        0 => format!("\n\n## Step {}\n\n", i / 400),
        150 => "\n\n- first item with `code`\n- second item\n  - nested item\n\n".into(),
        250 => {
            "\n\n```rust\nfn main() {\n    let x = vec![1, 2, 3];\n    println!(\"{:?}\", x);\n}\n"
                .into()
        }
        // A code line is about eight tokens, as a tokenizer cuts it.
        251..=370 => match i % 8 {
            0 => "    let ".into(),
            1 => format!("v{i}"),
            2 => " = ".into(),
            3 => "compute".into(),
            4 => format!("({i})"),
            5 => " * 2;".into(),
            6 => " // step".into(),
            _ => "\n".into(),
        },
        371 => "```\n\n".into(),
        _ => PROSE[i % PROSE.len()].into(),
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A producer thread sends tokens at 2,000/s; the UI loop drains them and draws on every frame
/// tick, as the real event loop does while a turn streams.
fn streaming(w: u16, h: u16, mut app: App, above: &str) {
    app.submit("explain the parser".into());
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    let total = (TOKENS_PER_SEC * STREAM_SECS) as usize;
    let (tx, rx) = mpsc::channel::<String>();
    let producer = std::thread::spawn(move || {
        let start = Instant::now();
        for i in 0..total {
            let due = start + Duration::from_micros(i as u64 * 1_000_000 / TOKENS_PER_SEC);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            if tx.send(token(i)).is_err() {
                return;
            }
        }
    });
    let mut frames = Vec::new();
    let mut received = 0;
    let start = Instant::now();
    let mut next = start;
    loop {
        next += FRAME;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let t = Instant::now();
        let mut done = false;
        loop {
            match rx.try_recv() {
                Ok(text) => {
                    received += 1;
                    app.on_engine(UiMsg::Event(Event::TextDelta { text }));
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    done = true;
                    break;
                }
            }
        }
        term.draw(|f| app.draw(f, Instant::now())).expect("draw");
        frames.push(t.elapsed());
        if done {
            break;
        }
    }
    let _ = producer.join();
    let wall = start.elapsed();
    if std::env::var_os("BENCH_DEBUG").is_some() {
        let mut idx: Vec<(usize, Duration)> = frames.iter().copied().enumerate().collect();
        idx.sort_by_key(|f| std::cmp::Reverse(f.1));
        println!("slowest frames: {:?}", &idx[..5]);
    }
    let n = frames.len();
    let max = *frames.iter().max().unwrap_or(&Duration::ZERO);
    let p50 = percentile(&mut frames, 0.50);
    let p99 = percentile(&mut frames, 0.99);
    println!("\nstreaming {TOKENS_PER_SEC} tokens/s for {STREAM_SECS} s into {above} ({received} tokens, {n} frames, wall {:.2} s)", wall.as_secs_f64());
    println!(
        "  frame time (drain deltas + layout + draw): p50 {}  p99 {}  max {}",
        ms(p50),
        ms(p99),
        ms(max)
    );
    println!(
        "  kept up: {}",
        if wall < Duration::from_secs(STREAM_SECS) + FRAME * 3 {
            "yes (finished within 3 frames of the stream)"
        } else {
            "NO"
        }
    );
}

/// A transcript of `n` messages: prompts, Markdown answers and tool calls.
fn fill(app: &mut App, n: usize) {
    for i in 0..n {
        match i % 4 {
            0 => app.screen.transcript.push_user(&format!("message {i}: please look at module {i} and fix the failing test")),
            1 => app.screen.transcript.edit(|c| c.assistant_message(&format!(
                "## Result {i}\n\nI read `src/mod{i}.rs` and found the **bug**: an off-by-one.\n\n- changed the loop bound\n- added a test\n\n```rust\nfor i in 0..n {{\n    total += items[i];\n}}\n```\n"
            ))),
            2 => {
                let id = format!("c{i}");
                app.screen.transcript.edit(|c| c.tool_call(&id, "shell", json!({"command": format!("cargo test -p mod{i}")})));
                app.screen.transcript.edit(|c| c.update_tool(&id, |t| t.result = Some((true, "exit code: 0\ntest result: ok. 12 passed".into()))));
            }
            _ => {
                let id = format!("e{i}");
                let diff = reins::diff::unified("src/a.rs", Some("a\nb\nc\n"), Some("a\nB\nc\nd\n"));
                app.screen.transcript.edit(|c| c.tool_call(&id, "edit_file", json!({"path": format!("src/mod{i}.rs")})));
                app.screen.transcript.edit(|c| c.update_tool(&id, |t| t.result = Some((true, format!("edited\n{diff}")))));
            }
        }
    }
}

fn key_presses(app: &mut App, w: u16, h: u16, rss_before: Option<u64>) {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    let cold = Instant::now();
    term.draw(|f| app.draw(f, Instant::now())).expect("draw");
    let cold = cold.elapsed();
    let rss_built = rss_kb();
    let mut typing = Vec::new();
    for i in 0..KEY_PRESSES {
        let c = (b'a' + (i % 26) as u8) as char;
        let t = Instant::now();
        app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        term.draw(|f| app.draw(f, Instant::now())).expect("draw");
        typing.push(t.elapsed());
    }
    let mut paging = Vec::new();
    for i in 0..100 {
        let code = if i % 2 == 0 {
            KeyCode::PageUp
        } else {
            KeyCode::PageDown
        };
        let t = Instant::now();
        app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
        term.draw(|f| app.draw(f, Instant::now())).expect("draw");
        paging.push(t.elapsed());
    }
    // Worst case for memory: scroll through everything, so every cell is laid out and cached.
    let t = Instant::now();
    for _ in 0..(MESSAGES * 12 / usize::from(h)) {
        app.on_key(KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE));
        term.draw(|f| app.draw(f, Instant::now())).expect("draw");
    }
    let full_scroll = t.elapsed();
    let rss_all = rss_kb();
    println!(
        "\n{MESSAGES}-message transcript ({} cells; its lines are counted at the end)",
        app.screen.transcript.cells().len()
    );
    println!(
        "  first frame (lays out only the visible cells): {}",
        ms(cold)
    );
    let max = *typing.iter().max().unwrap_or(&Duration::ZERO);
    println!(
        "  key press to frame, typing: p50 {}  p99 {}  max {}",
        ms(percentile(&mut typing, 0.5)),
        ms(percentile(&mut typing, 0.99)),
        ms(max)
    );
    println!(
        "  key press to frame, PageUp/PageDown: p50 {}  p99 {}",
        ms(percentile(&mut paging, 0.5)),
        ms(percentile(&mut paging, 0.99))
    );
    println!(
        "  scrolling to the top page by page: {} in total",
        ms(full_scroll)
    );
    let mb = |kb: Option<u64>| {
        kb.map_or("n/a".to_string(), |k| {
            format!("{:.1} MB", k as f64 / 1024.0)
        })
    };
    println!("  process RSS: before the transcript {}, with it drawn {}, after every cell was laid out {}", mb(rss_before), mb(rss_built), mb(rss_all));
    println!(
        "  peak RSS (VmHWM, includes the streaming run): {}",
        mb(status_kb("VmHWM:"))
    );
}

/// How many rows the whole transcript takes at `width`: drawn once into a buffer taller than
/// it (content shorter than the view sits at the top), counted to the last non-empty row.
fn transcript_lines(app: &mut App, width: u16) -> usize {
    let rows = app.screen.transcript.plain_rows(width, 60_000);
    let lines = rows
        .iter()
        .rposition(|r| !r.is_empty())
        .map_or(0, |i| i + 1);
    app.screen.transcript.view.scroll_to_bottom();
    lines
}

fn rss_kb() -> Option<u64> {
    status_kb("VmRSS:")
}

fn status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
