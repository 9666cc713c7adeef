//! Shared helpers for the integration tests. Every test file pulls this in with `mod support;` and
//! no file uses all of it, hence the blanket `dead_code` allowance.
#![allow(dead_code)]

pub mod mcp;
pub mod mock_server;
pub mod otlp;
pub mod plans;
pub mod procs;
pub mod pty;
pub mod reins;

#[allow(unused_imports)]
pub use mock_server::{MockServer, Recorded, Reply, ToolCall, Turn, Usage};

/// A reqwest client for talking plain HTTP to the mock server from a test.
///
/// The crate builds reqwest with `rustls-no-provider`, so building any client panics unless a rustls
/// crypto provider is installed first; this installs ring (a no-op when one is already installed).
/// Proxies are disabled so that an `http_proxy` in the environment cannot capture 127.0.0.1.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("build a reqwest client for the mock server")
}

/// A directory for files that must lie outside every writable root of the sandbox: the target
/// dir's temp folder, unless the checkout lives under a temp dir (the sandbox lets children write
/// /tmp), then a folder under `$HOME`.
pub fn outside_temp_dirs() -> std::path::PathBuf {
    let temp_roots = [
        std::env::temp_dir(),
        "/tmp".into(),
        "/var/tmp".into(),
        "/dev/shm".into(),
    ];
    let under_temp = |p: &std::path::Path| {
        let p = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        temp_roots
            .iter()
            .any(|t| t.canonicalize().is_ok_and(|t| p.starts_with(t)))
    };
    let target = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    if !under_temp(&target) {
        return target;
    }
    let home = std::path::PathBuf::from(std::env::var_os("HOME").expect("HOME for test files"));
    let dir = home.join(".cache").join("reins-tests");
    std::fs::create_dir_all(&dir).expect("create the test folder under $HOME");
    dir
}
