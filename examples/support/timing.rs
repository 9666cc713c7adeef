//! Helpers shared by the benchmarks that drive the release binary: where it is, and medians.

use std::path::PathBuf;
use std::time::Duration;

/// The `reins` binary beside the running example (`target/release/reins`).
pub fn reins_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let bin = exe
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("reins"))
        .expect("target dir");
    assert!(
        bin.exists(),
        "build the binary first: cargo build --release"
    );
    bin
}

/// The median of `v` (sorted in place).
pub fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// `d` in milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
