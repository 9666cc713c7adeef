//! Every configured server of a session: started together in the background, waited for before
//! the first request, and offered to the session as one source of tools.

use super::config::McpServerConfig;
use super::launch::Launch;
use super::names;
use super::server::{EventLog, McpServer, ServerView};
use super::tool::McpTool;
use crate::agent::{Event, Session, ToolSource};
use crate::tools::Tool;
use crate::types::BoxFuture;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A configuration error: the entry and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("[mcp_servers.{server}]: {reason}")]
pub struct McpConfigError {
    pub server: String,
    pub reason: String,
}

pub struct McpHub {
    servers: Vec<Arc<McpServer>>,
    events: EventLog,
    /// The start tasks not yet waited for.
    pending: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl McpHub {
    /// Checks every entry, then starts every server in the background. Must run inside the tokio
    /// runtime.
    pub fn start(
        configs: &BTreeMap<String, McpServerConfig>,
        launch: Launch,
    ) -> Result<Arc<McpHub>, McpConfigError> {
        let hub = Arc::new(McpHub::new(configs, launch)?);
        let tasks = hub
            .servers
            .iter()
            .map(|s| {
                let s = s.clone();
                tokio::spawn(async move { s.start().await })
            })
            .collect();
        if let Ok(mut pending) = hub.pending.lock() {
            *pending = tasks;
        }
        Ok(hub)
    }

    /// A hub for a session with no servers configured.
    pub fn without_servers() -> Arc<McpHub> {
        Arc::new(McpHub {
            servers: Vec::new(),
            events: EventLog::default(),
            pending: Mutex::new(Vec::new()),
        })
    }

    fn new(
        configs: &BTreeMap<String, McpServerConfig>,
        launch: Launch,
    ) -> Result<McpHub, McpConfigError> {
        let launch = Arc::new(launch);
        let events = EventLog::default();
        let mut servers = Vec::new();
        for (name, config) in configs {
            let bad = |reason: String| McpConfigError {
                server: name.clone(),
                reason,
            };
            names::valid_server_name(name).map_err(|e| bad(e.to_string()))?;
            config.endpoint().map_err(|e| bad(e.to_string()))?;
            servers.push(Arc::new(McpServer::new(
                name,
                config.clone(),
                launch.clone(),
                events.clone(),
            )));
        }
        Ok(McpHub {
            servers,
            events,
            pending: Mutex::new(Vec::new()),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    pub fn server(&self, name: &str) -> Option<&Arc<McpServer>> {
        self.servers.iter().find(|s| s.name() == name)
    }

    pub fn views(&self) -> Vec<ServerView> {
        self.servers.iter().map(|s| s.view()).collect()
    }

    /// Waits until every server has started or failed (each within its startup timeout).
    pub async fn wait_started(&self) {
        let tasks = self
            .pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default();
        futures_util::future::join_all(tasks).await;
    }

    /// Ends every server's connection; call it when the session ends. HTTP sessions are deleted
    /// on their servers (a server keeps an abandoned one until it expires, if ever), stdio
    /// servers see their stdin close and may exit on their own before they are killed. A server
    /// still starting is stopped where it is.
    pub async fn shutdown(&self) {
        let starting = self
            .pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default();
        for task in &starting {
            task.abort();
        }
        futures_util::future::join_all(starting).await;
        futures_util::future::join_all(self.servers.iter().map(|s| s.shutdown())).await;
    }

    /// The status events since the last call, oldest first.
    pub fn take_events(&self) -> Vec<Event> {
        self.events
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default()
    }

    /// Proxies for every known tool, in server order then the server's order. A name that two
    /// tools share after cleaning keeps the first.
    pub fn tools(&self) -> Vec<Box<dyn Tool>> {
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<Box<dyn Tool>> = Vec::new();
        for server in &self.servers {
            for info in server.tools() {
                let tool = McpTool::new(server.clone(), &info);
                if seen.insert(tool.name().to_string()) {
                    out.push(Box::new(tool));
                }
            }
        }
        out
    }

    /// Brings a session up to date; call it before every user turn. The first time it waits for
    /// the servers to start, so their tools are registered before the first request; every time
    /// it reports status changes and picks up changed tool lists.
    pub async fn attach(&self, session: &mut Session, out: &mut (dyn FnMut(Event) + Send)) {
        if self.is_empty() {
            return;
        }
        self.wait_started().await;
        session.tools_mut().refresh(self).await;
        for event in self.take_events() {
            session.announce(event, out);
        }
    }
}

impl ToolSource for McpHub {
    fn owns(&self, name: &str) -> bool {
        self.servers
            .iter()
            .any(|s| name.starts_with(&names::prefix(s.name())))
    }

    fn current_tools(&self) -> BoxFuture<'_, Vec<Box<dyn Tool>>> {
        Box::pin(async move {
            for server in &self.servers {
                server.refresh_tools().await;
            }
            self.tools()
        })
    }
}
