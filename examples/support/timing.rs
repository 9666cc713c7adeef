//! Helpers shared by the benchmarks that drive the release binary: where it is, and medians.

use std::path::PathBuf;
use std::time::Duration;

/// The `reins` binary beside the running example (`target/release/reins`), or the one
/// `REINS_BENCH_BIN` names (to time an older build beside the current one).
pub fn reins_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("REINS_BENCH_BIN") {
        return PathBuf::from(bin);
    }
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

/// The 1, 5 and 15-minute load averages, to print beside figures taken on a shared machine.
#[allow(dead_code)]
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
