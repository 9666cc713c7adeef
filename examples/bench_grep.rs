//! The walking tools through the release binary, exactly as a user's session runs them (the
//! user's config and read rules, the secret patterns, the workspace handle), side by side with
//! ripgrep on the same tree in the same run: `grep` against `rg -n`, `glob` against
//! `rg --files -g`, `list_dir` against `find -maxdepth`. The commands alternate (A B A B …) so a
//! machine whose speed drifts affects both; medians of wall and CPU (user + sys) time.
//!
//! The `$REINS_HOME` used has two `read(...)` deny rules, so the rule matching a walk does for
//! every path is measured too.
//!
//! Run: `cargo build --release && cargo run --release --example bench_grep [DIR] [PATTERN]`
//! (default: the crate sources under ~/.cargo/registry/src, pattern `unsafe impl\s+Send\s+for`).

#[path = "support/timing.rs"]
mod timing;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use timing::{median, ms, reins_binary};

const RUNS: usize = 5;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map(PathBuf::from).unwrap_or_else(default_dir);
    let pattern = args
        .next()
        .unwrap_or_else(|| r"unsafe impl\s+Send\s+for".to_string());
    let dir = dir.canonicalize().expect("search directory");
    if Command::new("rg").arg("--version").output().is_err() {
        println!("ripgrep (rg) is not installed: no baseline to compare with");
        return;
    }
    let bin = reins_binary();
    let home = tempfile::tempdir().expect("home");
    std::fs::write(
        home.path().join("config.toml"),
        "[permissions]\ndeny = [\"read(**/secrets/**)\", \"read(*.p12)\"]\n",
    )
    .expect("config");
    let files = Command::new("rg")
        .args(["--files", "--hidden", "--no-ignore"])
        .current_dir(&dir)
        .output()
        .map(|o| {
            o.stdout
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count()
        })
        .unwrap_or(0);
    println!("tree: {} ({files} files)", dir.display());
    println!("median of {RUNS}, alternating runs; wall ms (cpu ms)\n");
    let reins = |tool: &str, args: String| -> Vec<String> {
        vec!["tool".into(), "run".into(), tool.into(), args]
    };
    let grep_args = serde_json::json!({"pattern": pattern, "max_results": 100_000}).to_string();
    compare(
        &format!("grep `{pattern}`"),
        &dir,
        home.path(),
        (&bin, reins("grep", grep_args)),
        ("rg", vec!["-n".into(), pattern.clone(), ".".into()]),
    );
    let glob_args = serde_json::json!({"pattern": "**/build.rs"}).to_string();
    compare(
        "glob `**/build.rs`",
        &dir,
        home.path(),
        (&bin, reins("glob", glob_args)),
        (
            "rg",
            vec!["--files".into(), "-g".into(), "build.rs".into(), ".".into()],
        ),
    );
    let list_args = serde_json::json!({"depth": 2}).to_string();
    compare(
        "list_dir depth 2",
        &dir,
        home.path(),
        (&bin, reins("list_dir", list_args)),
        ("find", vec![".".into(), "-maxdepth".into(), "2".into()]),
    );
}

/// Runs A and B in turn `RUNS` times after one warm-up each and prints their medians.
fn compare(what: &str, dir: &Path, home: &Path, a: (&Path, Vec<String>), b: (&str, Vec<String>)) {
    let (mut a_wall, mut a_cpu, mut b_wall, mut b_cpu) = (vec![], vec![], vec![], vec![]);
    let mut lines = (0, 0);
    for run in 0..=RUNS {
        let (wa, ca, la) = run_once(a.0.as_os_str(), &a.1, dir, home);
        let (wb, cb, lb) = run_once(b.0.as_ref(), &b.1, dir, home);
        if run == 0 {
            continue;
        }
        lines = (la, lb);
        a_wall.push(wa);
        a_cpu.push(ca);
        b_wall.push(wb);
        b_cpu.push(cb);
    }
    let (aw, ac, bw, bc) = (
        median(&mut a_wall),
        median(&mut a_cpu),
        median(&mut b_wall),
        median(&mut b_cpu),
    );
    println!("{what}");
    println!(
        "  reins: {:>8.1} ({:>7.1})  {} lines",
        ms(aw),
        ms(ac),
        lines.0
    );
    println!(
        "  {:<5}  {:>8.1} ({:>7.1})  {} lines",
        b.0,
        ms(bw),
        ms(bc),
        lines.1
    );
    println!(
        "  ratio: {:>8.2}x wall, {:.2}x cpu\n",
        aw.as_secs_f64() / bw.as_secs_f64(),
        ac.as_secs_f64() / bc.as_secs_f64()
    );
}

/// Wall time, CPU time (user + sys of the child) and lines printed.
fn run_once(
    program: &std::ffi::OsStr,
    args: &[String],
    dir: &Path,
    home: &Path,
) -> (Duration, Duration, usize) {
    let before = children_cpu();
    let t = Instant::now();
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("REINS_HOME", home)
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    let wall = t.elapsed();
    let cpu = children_cpu().saturating_sub(before);
    // A refused call (say a bound on an argument) returns at once and would read as fast.
    // (rg's exit 1 with nothing on stderr only means "no match".)
    assert!(
        out.status.success() || out.stderr.is_empty(),
        "{program:?} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = out
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    (wall, cpu, lines)
}

/// User + system time of the children reaped so far.
fn children_cpu() -> Duration {
    // SAFETY: an all-zero rusage is valid; getrusage fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid out pointer.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
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
