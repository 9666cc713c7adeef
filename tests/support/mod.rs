//! Shared helpers for the integration tests. Every test file pulls this in with `mod support;` and
//! no file uses all of it, hence the blanket `dead_code` allowance.
#![allow(dead_code)]

pub mod mock_server;
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
