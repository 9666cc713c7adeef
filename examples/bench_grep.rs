//! The `grep` tool against ripgrep on the same tree and pattern, in the same run.
//!
//! Run: `cargo run --release --example bench_grep [DIR] [PATTERN]`
//! (default: the crate sources under ~/.cargo/registry/src, pattern `fn [a-z_]+_with\(`).

use reins::tools::grep::{search, GrepArgs};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 7;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map(PathBuf::from).unwrap_or_else(default_dir);
    let pattern = args
        .next()
        .unwrap_or_else(|| r"fn [a-z_]+_with\(".to_string());
    let dir = dir.canonicalize().expect("search directory");
    let grep_args = GrepArgs {
        pattern: pattern.clone(),
        path: None,
        glob: None,
        ignore_case: false,
        context: None,
        max_results: Some(usize::MAX),
    };
    let ctx = reins::tools::ToolContext::new(&dir, reins::cancel::Cancel::never())
        .expect("workspace handle");
    let reader = ctx.reader();
    let mut ours = Vec::new();
    let mut lines = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let out = search(&dir, &dir, &grep_args, &reader).expect("grep tool");
        ours.push(t.elapsed());
        lines = out.text.lines().count();
    }
    let mut rg = Vec::new();
    let mut rg_lines = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let out = Command::new("rg")
            .args(["-n", "--no-heading", "--hidden", "-g", "!.git", &pattern])
            .arg(&dir)
            .stderr(Stdio::null())
            .output();
        rg.push(t.elapsed());
        match out {
            Ok(o) => {
                rg_lines = o
                    .stdout
                    .split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .count()
            }
            Err(_) => {
                println!("ripgrep (rg) is not installed: no baseline");
                break;
            }
        }
    }
    let o = median(&mut ours);
    println!("tree: {}  pattern: {pattern}", dir.display());
    println!("  reins grep tool: {:>8.1} ms  ({lines} lines)", ms(o));
    if rg.len() == RUNS {
        let r = median(&mut rg);
        println!("  rg:              {:>8.1} ms  ({rg_lines} lines)", ms(r));
        println!(
            "  ratio:           {:>8.2}x",
            o.as_secs_f64() / r.as_secs_f64()
        );
    }
}

fn default_dir() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let src = home.join(".cargo/registry/src");
    std::fs::read_dir(&src)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(|e| e.ok())
        .map(|e| e.path())
        .unwrap_or(src)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
