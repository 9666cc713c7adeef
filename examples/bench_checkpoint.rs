//! Checkpoint speed on a 100,000-file workspace: the first checkpoint, then checkpoints after
//! changing 10 files (median of several rounds, the steps of one turn: held in memory after the
//! turn's first), then the turn's end that writes them out, next to `git add -A && git
//! write-tree` on a git repository holding the same tree, measured in the same run.
//!
//! Then through the release binary, in the same workspace: a one-step `reins exec` session whose
//! step patches one file (a checkpoint before the step, a full snapshot when the store is new, and
//! one at the end of the turn) beside one whose step only reads (no checkpoint), with the store
//! new and with the store an earlier session left.
//!
//! Run: `cargo build --release && cargo run --release --example bench_checkpoint`

#[path = "../tests/support/mock_server.rs"]
#[allow(dead_code)]
mod mock_server;
#[path = "support/timing.rs"]
#[allow(dead_code)]
mod timing;

use mock_server::{MockServer, Reply};
use reins::store::CheckpointStore;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DIRS: usize = 1_000;
const FILES_PER_DIR: usize = 100;
const ROUNDS: usize = 9;
const CHANGED: usize = 10;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let home = tempfile::tempdir()?;
    let ws = tempfile::tempdir()?;
    let git_ws = tempfile::tempdir()?;
    generate(ws.path())?;
    generate(git_ws.path())?;
    println!(
        "workspace: {} files in {DIRS} directories",
        DIRS * FILES_PER_DIR
    );

    let t = Instant::now();
    let mut store = CheckpointStore::open(home.path(), ws.path())?;
    let first = store.checkpoint("bench", 1, "first")?;
    let first_time = t.elapsed();
    println!(
        "reins first checkpoint (open + scan + hash all): {} ({} files hashed)",
        ms(first_time),
        store.last_scan().hashed
    );

    let mut times = Vec::new();
    for round in 0..ROUNDS {
        change_files(ws.path(), round)?;
        let t = Instant::now();
        let cp = store.checkpoint("bench", round as u32 + 2, "round")?;
        times.push(t.elapsed());
        assert_eq!(cp.files_changed.len(), CHANGED, "{:?}", cp.files_changed);
    }
    println!(
        "reins checkpoint after changing {CHANGED} files: median {} (min {}, max {}; {} hashed in the last round)",
        ms(median(&mut times)),
        ms(times[0]),
        ms(times[times.len() - 1]),
        store.last_scan().hashed
    );
    let mut idle = Vec::new();
    for round in 0..ROUNDS {
        let t = Instant::now();
        store.checkpoint("bench", 100 + round as u32, "idle")?;
        idle.push(t.elapsed());
    }
    println!(
        "reins checkpoint with nothing changed: median {}",
        ms(median(&mut idle))
    );
    // The rounds above are one turn's steps, staged in memory after the first; its end writes
    // them to disk as one pack, with the end's own checkpoint and the stat cache.
    let t = Instant::now();
    store.checkpoint("bench", 200, reins::store::TURN_END_LABEL)?;
    println!(
        "reins end of that turn ({} staged checkpoints to disk, stat cache saved): {}",
        2 * ROUNDS,
        ms(t.elapsed())
    );
    println!(
        "peak RSS of this process so far: {}",
        peak_rss().unwrap_or_else(|| "unknown".into())
    );
    through_the_binary(ws.path());
    let _ = first;

    if Command::new("git").arg("--version").output().is_err() {
        println!("git not found: baseline skipped");
        return Ok(());
    }
    git(git_ws.path(), &["init", "-q"])?;
    let t = Instant::now();
    git(git_ws.path(), &["add", "-A"])?;
    git(git_ws.path(), &["write-tree"])?;
    println!("git add -A && git write-tree, first: {}", ms(t.elapsed()));
    let mut git_times = Vec::new();
    for round in 0..ROUNDS {
        change_files(git_ws.path(), round)?;
        let t = Instant::now();
        git(git_ws.path(), &["add", "-A"])?;
        git(git_ws.path(), &["write-tree"])?;
        git_times.push(t.elapsed());
    }
    println!(
        "git add -A && git write-tree after changing {CHANGED} files: median {}",
        ms(median(&mut git_times))
    );

    // The same workspace as a git repository: the scan also reads the index (tracked files).
    let mut store = CheckpointStore::open(home.path(), git_ws.path())?;
    let t = Instant::now();
    store.checkpoint("bench-git", 1, "first")?;
    println!(
        "reins first checkpoint inside the git repository: {}",
        ms(t.elapsed())
    );
    let mut in_git = Vec::new();
    for round in 0..ROUNDS {
        change_files(git_ws.path(), ROUNDS + round)?;
        let t = Instant::now();
        store.checkpoint("bench-git", round as u32 + 2, "round")?;
        in_git.push(t.elapsed());
    }
    println!(
        "reins checkpoint inside the git repository after changing {CHANGED} files: median {}",
        ms(median(&mut in_git))
    );
    Ok(())
}

/// 1,000 directories (100 top-level, 10 below each) of 100 source-like files of 0.5–3 KiB.
fn generate(root: &Path) -> std::io::Result<()> {
    for d in 0..DIRS {
        let dir = root.join(format!("pkg{}/mod{}", d / 10, d % 10));
        std::fs::create_dir_all(&dir)?;
        for f in 0..FILES_PER_DIR {
            let lines = 10 + (d * 31 + f * 17) % 60;
            let body: String = (0..lines)
                .map(|l| format!("fn item_{d}_{f}_{l}() -> u32 {{ {} }}\n", l * 7 + f))
                .collect();
            std::fs::write(dir.join(format!("file{f}.rs")), body)?;
        }
    }
    std::fs::write(root.join(".gitignore"), "target/\n")
}

/// Appends a line to 10 files spread over different directories, distinct in each round.
fn change_files(root: &Path, round: usize) -> std::io::Result<()> {
    for i in 0..CHANGED {
        let d = (i * 10 + round) % DIRS;
        let f = round % FILES_PER_DIR;
        let path = root.join(format!("pkg{}/mod{}/file{f}.rs", d / 10, d % 10));
        let mut text = std::fs::read_to_string(&path)?;
        text.push_str(&format!("// round {round}\n"));
        std::fs::write(&path, text)?;
    }
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    let out = Command::new("git").args(args).current_dir(dir).output()?;
    if !out.status.success() {
        return Err(format!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(())
}

/// One-step sessions of the release binary in `ws`: a patch step (checkpointed) beside a read
/// step (not), each timed from its request to the next (the step) and from the last request to
/// the process's exit (the end-of-turn checkpoint, the transcript and index closing).
fn through_the_binary(ws: &Path) {
    let bin = timing::reins_binary();
    println!("through the release binary (median of {ROUNDS}):");
    let marker = ws.join("marker.txt");
    let patch = || {
        let now = std::fs::read_to_string(&marker).expect("marker");
        let (from, to) = if now.trim() == "0" {
            ("0", "1")
        } else {
            ("1", "0")
        };
        json!({"patch": format!("*** Begin Patch\n*** Update File: marker.txt\n@@\n-{from}\n+{to}\n*** End Patch\n")})
    };
    std::fs::write(&marker, "0\n").expect("marker");
    let kept = tempfile::tempdir().expect("home");
    for (label, step, fresh_home) in [
        ("read step, no checkpoint", None, true),
        ("patch step, new store (first snapshot)", Some(()), true),
        ("patch step, store of an earlier session", Some(()), false),
    ] {
        let mut steps = Vec::new();
        let mut ends = Vec::new();
        let mut walls = Vec::new();
        for _ in 0..ROUNDS {
            let reply = match step {
                None => Reply::tool("read_file", json!({"path": "marker.txt"})),
                Some(()) => Reply::tool("apply_patch", patch()),
            };
            let server =
                MockServer::start_with_gap(vec![reply, Reply::text("done")], Duration::ZERO);
            let fresh = tempfile::tempdir().expect("home");
            let home = if fresh_home {
                fresh.path()
            } else {
                kept.path()
            };
            std::fs::write(
                home.join("config.toml"),
                format!("model = \"m\"\n[providers.p]\nkind = \"openai\"\nbase_url = \"{}\"\napi_key_env = \"\"\n[models.m]\nprovider = \"p\"\nname = \"m\"\n", server.openai_base()),
            )
            .expect("config");
            let start = Instant::now();
            let ok = Command::new(&bin)
                .env("REINS_HOME", home)
                .env("NO_PROXY", "*")
                .args(["exec", "--json", "-C"])
                .arg(ws)
                .arg("bench")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("run reins")
                .success();
            let wall = start.elapsed();
            assert!(ok, "reins failed");
            let r = server.requests();
            assert_eq!(r.len(), 2, "the session did not run its step");
            steps.push(r[1].received_at - r[0].received_at);
            ends.push(start + wall - r[1].received_at);
            walls.push(wall);
        }
        println!(
            "  {label:<42} step {:>9}, last request -> exit {:>9}, whole run {:>9}",
            ms(median(&mut steps)),
            ms(median(&mut ends)),
            ms(median(&mut walls))
        );
    }
}

/// The process's peak resident memory (VmHWM), which includes the store's scan and hashing.
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(format!("{:.1} MB", kb / 1024.0))
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
