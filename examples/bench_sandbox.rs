//! Sandbox overhead per command: spawning `true` confined (Landlock, mount namespace for the
//! protected paths, seccomp) against unconfined, in the same run.
//!
//! Run: `cargo run --release --example bench_sandbox`

use reins::sandbox::{SandboxMode, SandboxPolicy};
use std::time::{Duration, Instant};

const SPAWNS: usize = 200;
const ROUNDS: usize = 5;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join(".git")).expect(".git");
    let ws = dir.path().canonicalize().expect("canonical");
    let cases = [
        ("unconfined (full)", SandboxMode::Full),
        ("read-only", SandboxMode::ReadOnly),
        ("workspace-write, git repo", SandboxMode::WorkspaceWrite),
    ];
    println!("spawning `true` {SPAWNS} times, best of {ROUNDS} rounds, per spawn:");
    let mut base = None;
    for (name, mode) in cases {
        let policy = SandboxPolicy::new(mode, false, &ws, Vec::new());
        let best = (0..ROUNDS)
            .map(|_| round(&policy))
            .min()
            .unwrap_or_default();
        let per = best / SPAWNS as u32;
        let extra = base
            .map(|b: Duration| {
                format!(
                    "  (+{:.3} ms)",
                    (per.as_secs_f64() - b.as_secs_f64()) * 1000.0
                )
            })
            .unwrap_or_default();
        println!("  {name:<28} {:>7.3} ms{extra}", per.as_secs_f64() * 1000.0);
        base.get_or_insert(per);
    }
}

fn round(policy: &SandboxPolicy) -> Duration {
    let t = Instant::now();
    for _ in 0..SPAWNS {
        let mut cmd = std::process::Command::new("true");
        policy.confine_std(&mut cmd).expect("confine");
        let status = cmd.status().expect("spawn");
        assert!(status.success());
    }
    t.elapsed()
}
