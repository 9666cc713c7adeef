//! Seeing from `/proc` whether a test's commands run: a test waits for a command to start, or
//! for it to be gone, instead of sleeping and hoping.

use std::time::{Duration, Instant};

/// A `sleep` argument no other process on the machine has (hours long, so the command never
/// ends on its own while a test runs), so `/proc` tells which of a test's processes are alive.
pub fn unique_sleep(tag: u32) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos();
    format!("{}{tag}.{nanos}", 7000 + std::process::id() % 1000)
}

/// Processes whose command line contains `needle` (seen from here, the parent PID namespace,
/// so sandboxed commands count too).
pub fn processes_with(needle: &str) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains(needle))
        .count()
}

/// Polls until `done` holds or `limit` passes; whether it held. The limit only ends a hung run.
pub fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}
