//! Opening a connection to one server: spawning a stdio server or reaching an HTTP one, the MCP
//! handshake, and the first tool listing, all within the server's startup timeout. What a stdio
//! server writes besides messages (stderr, junk on stdout) explains its failures.

use super::errors;
use super::launch::Prepared;
use super::stdio::{self, Junk, OnJunk};
use rmcp::model::{ClientCapabilities, ClientConfig, Implementation, ProtocolVersion};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::{ClientHandler, Peer, RoleClient, ServiceExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// How much of a server's stderr is kept to explain a failure.
const STDERR_TAIL: usize = 2048;
/// How long closing may take: an HTTP server's session DELETE, a stdio server's exit after its
/// stdin closes (it is killed after two seconds).
const CLOSE_LIMIT: Duration = Duration::from_secs(5);

/// Why a connection did not open.
#[derive(Debug, thiserror::Error)]
pub(super) enum OpenError {
    #[error("cannot start `{}`: {source}", program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the MCP handshake failed: {0}")]
    Handshake(String),
    #[error("cannot connect to {url}: no HTTP client ({source})")]
    NoClient {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot connect to {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("cannot list the tools: {0}")]
    List(String),
    #[error("did not start within {ms} ms (startup_timeout_ms)")]
    Timeout { ms: u128 },
}

/// A failed open, with what the server left behind that explains it: non-MCP lines on stdout
/// and the tail of its stderr.
#[derive(Debug, thiserror::Error)]
#[error(
    "{error}{}{}",
    junk.as_deref().map(|n| format!("; {n}")).unwrap_or_default(),
    stderr.as_deref().map(|t| format!("; stderr: {t}")).unwrap_or_default()
)]
pub(super) struct OpenFailure {
    #[source]
    pub error: OpenError,
    pub junk: Option<String>,
    pub stderr: Option<String>,
}

/// Our side of the protocol: it only notes that the server's tool list changed, so the list is
/// fetched again at the next refresh rather than inside the notification.
#[derive(Clone)]
pub(super) struct Handler {
    pub changed: Arc<AtomicBool>,
}

impl ClientHandler for Handler {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.changed.store(true, Ordering::SeqCst);
    }

    /// The newest protocol revision that still has the `initialize` handshake, which every
    /// server in the wild speaks; later revisions are negotiated down from it by the server.
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("reins", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
    }
}

/// A live connection. Dropping it closes the transport (and kills a stdio server).
pub(super) struct Connection {
    service: RunningService<RoleClient, Handler>,
    stderr: StderrTail,
    junk: Arc<Mutex<Junk>>,
}

impl Connection {
    pub fn peer(&self) -> Peer<RoleClient> {
        self.service.peer().clone()
    }

    /// Whether the server went away (a stdio server exited, the HTTP session ended).
    pub fn is_closed(&self) -> bool {
        self.service.peer().is_transport_closed()
    }

    /// Ends the connection: an HTTP session is deleted on the server, a stdio server's stdin is
    /// closed so it can exit on its own before it is killed.
    pub async fn close(mut self) {
        let _ = self.service.close_with_timeout(CLOSE_LIMIT).await;
    }

    /// Why the server went away, from the last lines it wrote to stderr.
    pub async fn exit_note(&self) -> String {
        self.stderr.settle().await;
        let mut note = match self.stderr.tail() {
            t if t.is_empty() => "the server closed the connection".to_string(),
            t => format!("the server closed the connection; its stderr ends with: {t}"),
        };
        if let Some(junk) = junk_note(&self.junk) {
            note = format!("{note}; {junk}");
        }
        note
    }
}

/// How to reach a server: a prepared stdio command or an HTTP endpoint.
pub(super) enum Start {
    Stdio(Box<Prepared>),
    Http(String),
}

/// Connects and lists the tools within `limit` (the startup timeout), or says why not.
/// A stdio server's lines on stdout that are not messages go to `on_junk` as they come.
pub(super) async fn open(
    start: Start,
    limit: Duration,
    handler: Handler,
    on_junk: OnJunk,
) -> Result<(Connection, Vec<rmcp::model::Tool>), OpenFailure> {
    let stderr = StderrTail::default();
    let junk = Arc::new(Mutex::new(Junk::default()));
    let attempt = async {
        let service = match start {
            Start::Stdio(prepared) => {
                let spawned =
                    stdio::spawn(prepared.cmd, junk.clone(), on_junk).map_err(|source| {
                        OpenError::Spawn {
                            program: prepared.program.clone(),
                            source,
                        }
                    })?;
                stdio(spawned, handler, &stderr).await?
            }
            Start::Http(url) => http(&url, handler).await?,
        };
        let tools = service
            .peer()
            .list_all_tools()
            .await
            .map_err(|e| OpenError::List(errors::service(&e)))?;
        Ok((service, tools))
    };
    let outcome = match tokio::time::timeout(limit, attempt).await {
        Ok(outcome) => outcome,
        Err(_) => Err(OpenError::Timeout {
            ms: limit.as_millis(),
        }),
    };
    match outcome {
        Ok((service, tools)) => Ok((
            Connection {
                service,
                stderr,
                junk,
            },
            tools,
        )),
        Err(error) => {
            stderr.settle().await;
            let tail = stderr.tail();
            Err(OpenFailure {
                error,
                junk: junk_note(&junk),
                stderr: (!tail.is_empty()).then_some(tail),
            })
        }
    }
}

async fn stdio(
    (process, err): (stdio::StdioTransport, tokio::process::ChildStderr),
    handler: Handler,
    stderr: &StderrTail,
) -> Result<RunningService<RoleClient, Handler>, OpenError> {
    stderr.drain(err);
    handler
        .serve(process)
        .await
        .map_err(|e| OpenError::Handshake(errors::initialize(&e)))
}

/// What the server wrote to stdout that is not MCP, and what that means.
fn junk_note(junk: &Mutex<Junk>) -> Option<String> {
    let junk = junk.lock().ok()?;
    let first = junk.first.as_deref()?;
    let more = match junk.lines {
        0 | 1 => String::new(),
        n => format!(" (and {} more lines)", n - 1),
    };
    Some(format!(
        "it wrote to stdout what is not an MCP message: `{first}`{more}; a stdio server must write only JSON-RPC messages to stdout (its logs belong on stderr), so check its command and arguments"
    ))
}

async fn http(
    url: &str,
    handler: Handler,
) -> Result<RunningService<RoleClient, Handler>, OpenError> {
    let transport = super::http::transport(url).map_err(|source| OpenError::NoClient {
        url: url.to_string(),
        source,
    })?;
    handler
        .serve(transport)
        .await
        .map_err(|e| OpenError::Unreachable {
            url: url.to_string(),
            reason: errors::initialize(&e),
        })
}

/// The last bytes a stdio server wrote to stderr. Servers log there freely; it is drained
/// continuously (a full pipe would block the server) and kept only to explain failures.
#[derive(Clone)]
struct StderrTail {
    buf: Arc<Mutex<Vec<u8>>>,
    /// Becomes true when the pipe reaches its end (or was never drained).
    done: tokio::sync::watch::Receiver<bool>,
    done_tx: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Default for StderrTail {
    fn default() -> Self {
        let (tx, rx) = tokio::sync::watch::channel(true);
        StderrTail {
            buf: Arc::default(),
            done: rx,
            done_tx: Arc::new(tx),
        }
    }
}

impl StderrTail {
    fn drain(&self, mut pipe: tokio::process::ChildStderr) {
        let (buf, done) = (self.buf.clone(), self.done_tx.clone());
        done.send_replace(false);
        tokio::spawn(async move {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                if let Ok(mut b) = buf.lock() {
                    b.extend_from_slice(&chunk[..n]);
                    let excess = b.len().saturating_sub(STDERR_TAIL);
                    b.drain(..excess);
                }
            }
            done.send_replace(true);
        });
    }

    /// Waits briefly for the pipe to reach its end, so an exiting server's last words are in.
    async fn settle(&self) {
        let mut done = self.done.clone();
        let _ = tokio::time::timeout(Duration::from_millis(300), done.wait_for(|d| *d)).await;
    }

    fn tail(&self) -> String {
        let bytes = self.buf.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .trim()
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" | ")
    }
}
