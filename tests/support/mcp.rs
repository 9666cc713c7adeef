//! MCP test helpers: the rmcp test server of `examples/mcp_test_server.rs` (over stdio, or over
//! streamable HTTP on 127.0.0.1 as a process the test can kill and start again), the published
//! reference servers `.ci/run` installs from npm, and reading what the scripted model was sent.

use super::reins::{home_for, Wire};
use super::MockServer;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The test server binary; `cargo test` builds the examples before running the tests.
pub fn test_server() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let debug = exe.parent().and_then(Path::parent).expect("target/debug");
    let bin = debug.join("examples").join("mcp_test_server");
    assert!(
        bin.exists(),
        "{} is missing: run plain `cargo test` (or `cargo build --examples`) first",
        bin.display()
    );
    bin
}

/// `[mcp_servers.test]` running the test server over stdio, with `extra` lines in its table.
pub fn test_server_config(extra: &str) -> String {
    format!(
        "[mcp_servers.test]\ncommand = \"{}\"\n{extra}\n",
        test_server().display()
    )
}

/// A `$REINS_HOME` whose model is `model` and whose config also has `extra`.
pub fn home_with(model: &MockServer, extra: &str) -> tempfile::TempDir {
    let home = home_for(model, Wire::OpenAi);
    let path = home.path().join("config.toml");
    let mut config = std::fs::read_to_string(&path).expect("read config");
    config.push('\n');
    config.push_str(extra);
    std::fs::write(&path, config).expect("write config");
    home
}

/// The tool results the model got, in order, from the last request it was sent.
pub fn tool_results(model: &MockServer) -> Vec<String> {
    let requests = model.requests();
    let last = requests.last().expect("a request");
    last.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The test server serving streamable HTTP on a fixed 127.0.0.1 port, logging every request it
/// gets (`METHOD session-id`) to a file; killed when dropped.
pub struct HttpServer {
    pub port: u16,
    pub log: PathBuf,
    child: std::process::Child,
    extra: Vec<String>,
}

impl HttpServer {
    /// Starts it on a free port with `extra` arguments (`--unknown-session-400`).
    pub fn start(log_dir: &Path, extra: &[&str]) -> HttpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let log = log_dir.join("requests.log");
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let child = spawn_http(port, &log, &extra);
        HttpServer {
            port,
            log,
            child,
            extra,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    /// Kills it and starts a fresh process on the same port: every session it knew is gone.
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn_http(self.port, &self.log, &self.extra);
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The requests it logged, as `METHOD session` lines.
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn spawn_http(port: u16, log: &Path, extra: &[String]) -> std::process::Child {
    let child = std::process::Command::new(test_server())
        .arg("--http")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--log")
        .arg(log)
        .args(extra)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start the HTTP test server");
    wait_listening(port);
    child
}

/// Waits until something accepts connections on the port.
pub fn wait_listening(port: u16) {
    let up = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            up.elapsed() < Duration::from_secs(20),
            "nothing listened on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `node` runs; says so when it does not.
fn node_ok() -> bool {
    let ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: node is not installed");
    }
    ok
}

/// The folder of a published `@modelcontextprotocol/PACKAGE` server that `.ci/run` installed
/// under `target/test-deps/FOLDER` (and announced in `VAR`); `None`, saying why, when node or the
/// package is missing. Set by `.ci/run`, a missing package is a failure.
pub fn published(var: &str, folder: &str, package: &str) -> Option<PathBuf> {
    let relative = format!("node_modules/@modelcontextprotocol/{package}");
    if let Some(dir) = std::env::var_os(var).map(PathBuf::from) {
        let dir = dir.join(&relative);
        assert!(
            dir.join("dist/index.js").exists(),
            "{var} is set but {} holds no dist/index.js",
            dir.display()
        );
        return Some(dir);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-deps")
        .join(folder)
        .join(&relative);
    if node_ok() && dir.join("dist/index.js").exists() {
        return Some(dir);
    }
    eprintln!(
        "SKIPPED: @modelcontextprotocol/{package} is not installed (node missing, or run .ci/run; looked in {})",
        dir.display()
    );
    None
}

/// The installed package's folder: `$REINS_TEST_MCP_EVERYTHING` (set by `.ci/run`), else where
/// `.ci/run` puts it; `None` (with a visible note) when node or the package is missing.
pub fn everything() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("REINS_TEST_MCP_EVERYTHING").map(PathBuf::from) {
        // Set by .ci/run after a successful install: a missing server is a failure there.
        assert!(
            dir.join("dist/index.js").exists(),
            "REINS_TEST_MCP_EVERYTHING={} holds no dist/index.js",
            dir.display()
        );
        return Some(dir);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "target/test-deps/mcp-everything/node_modules/@modelcontextprotocol/server-everything",
    );
    let node_ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if node_ok && dir.join("dist/index.js").exists() {
        return Some(dir);
    }
    eprintln!(
        "SKIPPED: @modelcontextprotocol/server-everything is not installed (node missing, or run .ci/run; looked in {})",
        dir.display()
    );
    None
}
