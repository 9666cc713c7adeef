//! One configured server and its life: started with the session, reported when it fails,
//! restarted by the next call after a crash, its tool list re-read when it announces a change.

use super::call_error::CallError;
use super::config::{Endpoint, McpServerConfig};
use super::connect::{self, Connection, Handler, Start};
use super::errors;
use super::launch::{self, Launch, Pin, StartError};
use crate::agent::Event;
use crate::cancel::Cancel;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResult, CancelledNotification,
    CancelledNotificationParam, ClientRequest, JsonObject, ServerResult,
};
use rmcp::service::PeerRequestOptions;
use rmcp::{Peer, RoleClient, ServiceError};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Why the server could not be (re)started: its launch was refused, or the connection did not
/// open.
#[derive(Debug, thiserror::Error)]
enum ConnectError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Open(#[from] connect::OpenFailure),
}

/// Status events waiting to be reported by whoever drives the session.
pub(super) type EventLog = Arc<Mutex<Vec<Event>>>;

/// Where a server is in its life, as `mcp.status` events name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Starting,
    Ready,
    Failed,
    Restarting,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Ready => "ready",
            State::Failed => "failed",
            State::Restarting => "restarting",
        }
    }
}

/// One tool as the server describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolInfo {
    /// The server's own name for it.
    pub name: String,
    pub description: String,
    pub input_schema: serde_json::Value,
    /// The server's `readOnlyHint`: such a tool does not count as changing the workspace.
    pub read_only: bool,
}

impl From<&rmcp::model::Tool> for ToolInfo {
    fn from(t: &rmcp::model::Tool) -> Self {
        let description = t
            .description
            .as_deref()
            .or(t.title.as_deref())
            .unwrap_or_default()
            .to_string();
        ToolInfo {
            name: t.name.to_string(),
            description,
            input_schema: serde_json::Value::Object((*t.input_schema).clone()),
            read_only: t
                .annotations
                .as_ref()
                .and_then(|a| a.read_only_hint)
                .unwrap_or(false),
        }
    }
}

/// A server's state for listings.
#[derive(Debug, Clone, Serialize)]
pub struct ServerView {
    pub name: String,
    pub endpoint: String,
    pub state: State,
    pub error: Option<String>,
    pub tools: Vec<ToolInfo>,
}

pub struct McpServer {
    name: String,
    config: McpServerConfig,
    launch: Arc<Launch>,
    /// The live connection and its generation; locked while connecting, so concurrent calls
    /// wait for one restart instead of starting several.
    conn: tokio::sync::Mutex<Option<(u64, Connection)>>,
    generation: AtomicU64,
    /// Set by the connection when the server announces a new tool list.
    changed: Arc<AtomicBool>,
    /// The files of the first start the sandbox could change; every restart re-checks them.
    pins: Mutex<Option<Vec<Pin>>>,
    view: Mutex<ServerView>,
    events: EventLog,
}

impl McpServer {
    pub(super) fn new(
        name: &str,
        config: McpServerConfig,
        launch: Arc<Launch>,
        events: EventLog,
    ) -> Self {
        let view = ServerView {
            name: name.to_string(),
            endpoint: config.describe(),
            state: State::Starting,
            error: None,
            tools: Vec::new(),
        };
        McpServer {
            name: name.to_string(),
            config,
            launch,
            conn: tokio::sync::Mutex::new(None),
            generation: AtomicU64::new(0),
            changed: Arc::new(AtomicBool::new(false)),
            pins: Mutex::new(None),
            view: Mutex::new(view),
            events,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn view(&self) -> ServerView {
        self.view
            .lock()
            .map(|v| v.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn tools(&self) -> Vec<ToolInfo> {
        self.view().tools
    }

    /// The first start, at session start.
    pub(super) async fn start(&self) {
        let mut slot = self.conn.lock().await;
        // A failed start is already recorded in the server's state and reported as an event.
        let _ = self.connect(&mut slot, State::Starting).await;
    }

    /// Calls `tool` with `arguments`; `Err` is a message for the model. A server that is down is
    /// restarted first; one that dies during the call is reported and restarted by the next.
    /// Each progress report the server sends restarts the call's timeout, up to its maximum.
    pub async fn call(
        &self,
        tool: &str,
        arguments: JsonObject,
        cancel: &Cancel,
    ) -> Result<CallToolResult, CallError> {
        let (generation, peer) = self.peer().await.map_err(|e| CallError::Unavailable {
            server: self.name.clone(),
            reason: e.to_string(),
        })?;
        let params = CallToolRequestParams::new(tool.to_string()).with_arguments(arguments);
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
        let (idle, max) = (self.config.call_timeout(), self.config.max_call_timeout());
        let options = PeerRequestOptions::with_timeout(idle)
            .reset_timeout_on_progress()
            .with_max_total_timeout(max);
        let handle = match peer.send_request_with_option(request, options).await {
            Ok(handle) => handle,
            Err(e) => return Err(self.failed_call(generation, tool, e).await),
        };
        let id = handle.id.clone();
        let outcome = tokio::select! {
            outcome = handle.await_response() => outcome,
            _ = cancel.cancelled() => {
                let note = CancelledNotificationParam::new(
                    Some(id),
                    Some("interrupted by the user".into()),
                );
                // Best effort: a server that is gone has nothing left to cancel.
                let _ = peer.send_notification(CancelledNotification::new(note).into()).await;
                return Err(CallError::Cancelled);
            }
        };
        let (server, tool) = (self.name.clone(), tool.to_string());
        match outcome {
            Ok(ServerResult::CallToolResult(result)) => Ok(result),
            // A server may answer a call that produced nothing with an empty result.
            Ok(ServerResult::EmptyResult(_)) => Ok(CallToolResult::success(Vec::new())),
            Ok(other) => Err(CallError::NotAToolResult {
                server,
                tool,
                answer: serde_json::to_string(&other).unwrap_or_default(),
            }),
            Err(ServiceError::Timeout { timeout }) if timeout >= max && max > idle => {
                Err(CallError::TooLong {
                    server,
                    tool,
                    ms: max.as_millis(),
                })
            }
            Err(ServiceError::Timeout { .. }) => Err(CallError::NoAnswer {
                server,
                tool,
                ms: idle.as_millis(),
            }),
            Err(e) => Err(self.failed_call(generation, &tool, e).await),
        }
    }

    /// Ends the connection, if there is one: deletes an HTTP session, lets a stdio server exit.
    pub(super) async fn shutdown(&self) {
        let taken = self.conn.lock().await.take();
        if let Some((_, conn)) = taken {
            conn.close().await;
        }
    }

    /// Re-reads the tool list if the server announced a change; a server that is down is left
    /// alone (its next call restarts it and lists its tools anew).
    pub(super) async fn refresh_tools(&self) {
        if !self.changed.swap(false, Ordering::SeqCst) {
            return;
        }
        let peer = match self.conn.lock().await.as_ref() {
            Some((_, c)) if !c.is_closed() => c.peer(),
            _ => return,
        };
        let listing = tokio::time::timeout(self.config.call_timeout(), peer.list_all_tools()).await;
        match listing {
            Ok(Ok(tools)) => self.update(|v| v.tools = tools.iter().map(ToolInfo::from).collect()),
            Ok(Err(e)) => self.warn(format!("cannot list the changed tools: {e}")),
            Err(_) => self.warn("listing the changed tools timed out".to_string()),
        }
    }

    /// The live connection's peer, restarting the server if it is down.
    async fn peer(&self) -> Result<(u64, Peer<RoleClient>), ConnectError> {
        let mut slot = self.conn.lock().await;
        if let Some((generation, c)) = slot.as_ref() {
            if !c.is_closed() {
                return Ok((*generation, c.peer()));
            }
            let note = c.exit_note().await;
            *slot = None;
            self.set_state(State::Failed, Some(note));
        }
        self.connect(&mut slot, State::Restarting).await
    }

    async fn connect(
        &self,
        slot: &mut Option<(u64, Connection)>,
        state: State,
    ) -> Result<(u64, Peer<RoleClient>), ConnectError> {
        self.set_state(state, None);
        let handler = Handler {
            changed: self.changed.clone(),
        };
        let limit = self.config.startup_timeout();
        let opened = match self.prepare() {
            Ok(start) => connect::open(start, limit, handler, self.junk_reporter())
                .await
                .map_err(ConnectError::from),
            Err(e) => Err(ConnectError::from(e)),
        };
        match opened {
            Ok((conn, tools)) => {
                let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
                let peer = conn.peer();
                *slot = Some((generation, conn));
                self.update(|v| v.tools = tools.iter().map(ToolInfo::from).collect());
                self.set_state(State::Ready, None);
                Ok((generation, peer))
            }
            Err(e) => {
                self.set_state(State::Failed, Some(e.to_string()));
                Err(e)
            }
        }
    }

    /// How to start the server now. A stdio server's program is resolved and checked anew, and
    /// the files of its first start that the sandbox could change must be as they were.
    fn prepare(&self) -> Result<Start, StartError> {
        let (command, args) = match self.config.endpoint()? {
            Endpoint::Http { url } => return Ok(Start::Http(url.to_string())),
            Endpoint::Stdio { command, args } => (command, args),
        };
        let first = self.pins.lock().map(|p| p.clone()).unwrap_or_default();
        for pin in first.iter().flatten() {
            pin.recheck()?;
        }
        let env = self.config.resolve_env(|v| std::env::var(v).ok())?;
        let prepared = launch::prepare(&self.config, command, args, env, &self.launch)?;
        if first.is_none() {
            if let Ok(mut pins) = self.pins.lock() {
                *pins = Some(prepared.pins.clone());
            }
        }
        if let Some(why) = &prepared.unsandboxed {
            self.warn(format!("runs without the sandbox: {why}"));
        }
        Ok(Start::Stdio(Box::new(prepared)))
    }

    /// Turns a failed call into its error. A closed transport means the server died, and a
    /// lost HTTP session that it restarted: either is reported now and repaired by the next call.
    async fn failed_call(&self, generation: u64, tool: &str, error: ServiceError) -> CallError {
        let (server, tool) = (self.name.clone(), tool.to_string());
        if let Some(detail) = errors::lost_session(&error) {
            self.drop_connection(generation, Some(format!("it lost the session: {detail}")))
                .await;
            return CallError::LostSession {
                server,
                tool,
                detail,
            };
        }
        match error {
            ServiceError::TransportClosed | ServiceError::TransportSend(_) => {
                let why = match &error {
                    ServiceError::TransportSend(_) => Some(errors::service(&error)),
                    _ => None,
                };
                let note = self.drop_connection(generation, why).await;
                CallError::Stopped { server, tool, note }
            }
            ServiceError::McpError(e) => CallError::Refused {
                server,
                tool,
                message: e.message.to_string(),
            },
            other => CallError::Failed {
                server,
                tool,
                reason: errors::service(&other),
            },
        }
    }

    /// Forgets the connection of `generation` (not a newer one another call made meanwhile),
    /// noting `why`, or what the server's stderr says.
    async fn drop_connection(&self, generation: u64, why: Option<String>) -> String {
        let mut slot = self.conn.lock().await;
        let note = match (slot.as_ref(), why) {
            (Some((g, _)), Some(why)) if *g == generation => why,
            (Some((g, c)), None) if *g == generation => c.exit_note().await,
            _ => return "it was restarted meanwhile".to_string(),
        };
        *slot = None;
        self.set_state(State::Failed, Some(note.clone()));
        note
    }

    /// Warns, with the line, the first time a connection's server writes to stdout what is
    /// not a message: it is the likely cause of a start-up that never ends.
    fn junk_reporter(&self) -> super::stdio::OnJunk {
        let (events, name) = (self.events.clone(), self.name.clone());
        let warned = AtomicBool::new(false);
        Box::new(move |line: &str| {
            if warned.swap(true, Ordering::SeqCst) {
                return;
            }
            if let Ok(mut events) = events.lock() {
                events.push(Event::Warning {
                    message: format!(
                        "MCP server `{name}` wrote to stdout what is not an MCP message: `{line}` (a stdio server must write only JSON-RPC messages there; its logs belong on stderr)"
                    ),
                });
            }
        })
    }

    fn update(&self, f: impl FnOnce(&mut ServerView)) {
        if let Ok(mut v) = self.view.lock() {
            f(&mut v);
        }
    }

    fn set_state(&self, state: State, error: Option<String>) {
        self.update(|v| {
            v.state = state;
            v.error = error.clone();
        });
        self.report(Event::McpStatus {
            server: self.name.clone(),
            state: state.as_str().to_string(),
            error,
        });
    }

    fn warn(&self, message: String) {
        self.report(Event::Warning {
            message: format!("MCP server `{}`: {message}", self.name),
        });
    }

    fn report(&self, event: Event) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }
}
