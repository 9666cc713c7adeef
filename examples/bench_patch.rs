//! apply_patch speed: a 50-hunk patch on a 20,000-line file, applied (parse, match, diff, atomic
//! write) and compared with `git apply` of the equivalent unified diff in the same run.
//!
//! Run: `cargo run --release --example bench_patch`

use std::path::Path;
use std::time::{Duration, Instant};

const LINES: usize = 20_000;
const HUNKS: usize = 50;
const RUNS: usize = 21;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical");
    let original: String = (0..LINES)
        .map(|i| format!("    let value_{i} = compute({i}, \"line {i}\");\n"))
        .collect();
    let patch = make_patch();
    let file = root.join("big.rs");
    let handle = reins::sandbox::beneath::Beneath::open(&root).expect("workspace handle");
    let mut ours = Vec::new();
    for _ in 0..RUNS {
        std::fs::write(&file, &original).expect("write");
        let t = Instant::now();
        let resolve = |p: &str| {
            let abs = reins::sandbox::paths::resolve(&root, p).map_err(|e| e.to_string())?;
            Ok(abs.strip_prefix(&root).expect("inside").to_path_buf())
        };
        let changes = reins::patch::apply(&patch, &resolve, &handle).expect("patch applies");
        ours.push(t.elapsed());
        assert_eq!(changes.len(), 1);
    }
    let git = git_apply_baseline(&root, &original);
    println!("apply_patch, {HUNKS} hunks on a {LINES}-line file, median of {RUNS}:");
    println!("  reins apply_patch: {:>7.2} ms", ms(median(&mut ours)));
    if let Some(mut g) = git {
        println!(
            "  git apply:         {:>7.2} ms  (process start included)",
            ms(median(&mut g))
        );
    }
}

fn make_patch() -> String {
    let mut p = String::from("*** Begin Patch\n*** Update File: big.rs\n");
    for h in 0..HUNKS {
        let i = h * (LINES / HUNKS) + 10;
        p.push_str(&format!(
            "@@\n     let value_{} = compute({}, \"line {}\");\n",
            i - 1,
            i - 1,
            i - 1
        ));
        p.push_str(&format!(
            "-    let value_{i} = compute({i}, \"line {i}\");\n"
        ));
        p.push_str(&format!(
            "+    let value_{i} = compute_fast({i}, \"line {i}\");\n"
        ));
        p.push_str(&format!(
            "     let value_{} = compute({}, \"line {}\");\n",
            i + 1,
            i + 1,
            i + 1
        ));
    }
    p.push_str("*** End Patch\n");
    p
}

/// The same change as a unified diff through `git apply`, for scale.
fn git_apply_baseline(root: &Path, original: &str) -> Option<Vec<Duration>> {
    let file = root.join("big.rs");
    std::fs::write(&file, original).ok()?;
    let changed: String = original
        .lines()
        .enumerate()
        .map(|(n, l)| {
            if n >= 10 && (n - 10) % (LINES / HUNKS) == 0 {
                l.replace("compute(", "compute_fast(") + "\n"
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let diff = reins::diff::unified("big.rs", Some(original), Some(&changed));
    std::fs::write(root.join("change.diff"), diff).ok()?;
    let mut times = Vec::new();
    for _ in 0..RUNS {
        std::fs::write(&file, original).ok()?;
        let t = Instant::now();
        let ok = std::process::Command::new("git")
            .args(["apply", "change.diff"])
            .current_dir(root)
            .status()
            .ok()?
            .success();
        times.push(t.elapsed());
        if !ok {
            return None;
        }
    }
    Some(times)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
