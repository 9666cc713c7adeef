//! Attaching the configured MCP servers to a session: every front end (exec, review, the TUI,
//! ACP, `reins tool` and `reins mcp`) starts them the same way, confined by the session's sandbox.

use super::{setup, ExitError};
use crate::mcp::{Launch, McpHub};
use std::sync::Arc;

/// What stdio servers start with: the session's sandbox and the shell's environment.
pub fn launch(ws: &setup::Workspace, flags: setup::SandboxFlags) -> Result<Launch, ExitError> {
    let ctx = setup::tool_context(ws, crate::cancel::Cancel::never(), flags)?;
    Launch::new(
        ctx.policy,
        ctx.child_env,
        ctx.allow_unsandboxed,
        ws.home.as_deref(),
    )
    .map_err(|e| ExitError::failure(format!("cannot prepare the MCP servers' directory: {e}")))
}

/// Starts every configured server in the background, for a session (exec, the TUI).
pub fn start(ws: &setup::Workspace, flags: setup::SandboxFlags) -> Result<Arc<McpHub>, ExitError> {
    if ws.loaded.config.mcp_servers.is_empty() {
        // Nothing to launch: no sandbox policy built, no private directory made and removed
        // again, on the way to the first request of every session without servers.
        return Ok(McpHub::without_servers());
    }
    McpHub::start(&ws.loaded.config.mcp_servers, launch(ws, flags)?)
        .map_err(|e| ExitError::usage(e.to_string()))
}
