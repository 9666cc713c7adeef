//! MCP servers as tools: teams connect their own systems (issue trackers, databases, internal
//! APIs) through the Model Context Protocol, with the official Rust SDK (`rmcp`).
//!
//! - Configuration: `[mcp_servers.NAME]` with `command`/`args`/`env` (stdio) or `url`
//!   (streamable HTTP), `timeout_ms` per call (reset by each progress report, up to
//!   `max_timeout_ms`) and `startup_timeout_ms` ([`McpServerConfig`]).
//! - Environment: a stdio server gets the shell's environment (credentials removed) plus
//!   `PYTHONSAFEPATH=1` and its own `env`, where `$VAR` copies a variable of reins' by explicit
//!   choice.
//! - Confinement ([`launch`]): a stdio server runs in the session's sandbox like a command, with
//!   an empty private working directory outside the workspace, started from an absolute program
//!   path resolved on `PATH` that the sandbox cannot have written. The model can write files and
//!   crash servers; without this, a restart would run what it wrote outside the sandbox. A server
//!   that needs more gets it by name: `sandbox`, `network`, `writable`, `cwd` (only trusted
//!   config can set `[mcp_servers]` at all).
//! - Life: every server starts in the background at session start; the front end waits for them
//!   just before the first request, since the tool list is part of the request prefix. A server
//!   that fails to start or dies is reported (`mcp.status` events), its tools answer the model
//!   with the reason, and the next call restarts it. An HTTP server that forgot the session (it
//!   restarted) fails the call at once and the next call opens a new session ([`http`]). The
//!   front end closes every server when the session ends ([`McpHub::shutdown`]): HTTP sessions
//!   are deleted, stdio servers see their stdin close.
//! - Tools: `SERVER__TOOL` with the server's description and JSON schema ([`McpTool`]); results
//!   are converted to text, each piece of data once ([`convert`]). A
//!   `notifications/tools/list_changed` marks the server; its list is read again when the
//!   session refreshes its tools ([`crate::agent::ToolSource`]), at the next user turn, so the
//!   prompt prefix changes only then.
//! - Permissions: the gate treats every `__` tool as a command (asked under `on-request` unless
//!   allowed); rules name them `mcp(SERVER__TOOL)` with globs, e.g. `mcp(github__*)`.

mod call_error;
mod config;
mod connect;
pub mod convert;
mod errors;
mod http;
mod hub;
mod launch;
mod names;
mod report;
mod server;
mod stdio;
mod tool;

pub use call_error::CallError;
pub use config::{
    EndpointError, McpServerConfig, UnsetVariable, DEFAULT_CALL_TIMEOUT_MS,
    DEFAULT_MAX_CALL_TIMEOUT_MS, DEFAULT_STARTUP_TIMEOUT_MS,
};
pub use hub::{McpConfigError, McpHub};
pub use launch::Launch;
pub use names::tool_name;
pub use report::reporter;
pub use server::{McpServer, ServerView, State, ToolInfo};
pub use tool::{parse_object, McpTool};
