//! The end-of-turn look for planted repositories (`reins::workspace::planted`), the same call a
//! session makes after a turn that ran commands, on a large tree, side by side with
//! `find DIR -name .git -prune` (the obvious baseline: the same walk, ignored folders included,
//! links not followed) in the same run. Commands alternate so drift affects both; medians.
//!
//! Run: `cargo run --release --example bench_planted [DIR]` (default: the crate sources under
//! ~/.cargo/registry/src). Nothing in DIR changed in the last second, so nothing is moved.

#[path = "support/timing.rs"]
#[allow(dead_code)] // reins_binary: this bench calls the library, not the binary
mod timing;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime};
use timing::{median, ms};

const RUNS: usize = 5;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(default_dir)
        .canonicalize()
        .expect("directory");
    let (mut ours, mut find) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let t = Instant::now();
        let moved = reins::workspace::planted::set_aside_planted(&dir, SystemTime::now(), &[]);
        ours.push(t.elapsed());
        assert!(moved.is_empty(), "{moved:?}");
        let t = Instant::now();
        Command::new("find")
            .arg(&dir)
            .args(["-name", ".git", "-prune"])
            .stdout(Stdio::null())
            .status()
            .expect("find");
        find.push(t.elapsed());
    }
    let (a, b) = (median(&mut ours), median(&mut find));
    println!("tree: {}", dir.display());
    println!("planted-repository scan  median {:>8.1} ms", ms(a));
    println!("find -name .git -prune   median {:>8.1} ms", ms(b));
    println!("ratio {:.2}x", a.as_secs_f64() / b.as_secs_f64());
}

fn default_dir() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cargo/registry/src")
}
