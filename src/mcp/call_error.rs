//! Why a call to an MCP tool produced no result. Each message goes to the model, so it names the
//! server and the tool and says what happens next (the server restarts, the call may be retried
//! smaller, the user can raise a limit).

/// A failed MCP tool call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("the MCP server `{server}` is not available: {reason}")]
    Unavailable { server: String, reason: String },
    #[error("interrupted by the user; the MCP call was cancelled")]
    Cancelled,
    #[error(
        "the MCP server `{server}` answered `{tool}` with something that is not a tool result: \
         {answer}"
    )]
    NotAToolResult {
        server: String,
        tool: String,
        answer: String,
    },
    #[error(
        "the MCP server `{server}` was still working on `{tool}` after {ms} ms, the most a call \
         may take, so it was cancelled; the server is still running. Try a smaller request, or \
         ask the user to raise [mcp_servers.{server}].max_timeout_ms"
    )]
    TooLong {
        server: String,
        tool: String,
        ms: u128,
    },
    #[error(
        "the MCP server `{server}` did not answer `{tool}` within {ms} ms and reported no \
         progress, so the call was cancelled; the server is still running. Try a smaller \
         request, or ask the user to raise [mcp_servers.{server}].timeout_ms"
    )]
    NoAnswer {
        server: String,
        tool: String,
        ms: u128,
    },
    #[error(
        "the MCP server `{server}` lost its session (it answered: {detail}), probably because \
         it restarted; the call to `{tool}` did not run. The next call starts a new session"
    )]
    LostSession {
        server: String,
        tool: String,
        detail: String,
    },
    #[error(
        "the MCP server `{server}` stopped during the call to `{tool}` ({note}); it will be \
         restarted on the next call"
    )]
    Stopped {
        server: String,
        tool: String,
        note: String,
    },
    #[error("the MCP server `{server}` refused the call to `{tool}`: {message}")]
    Refused {
        server: String,
        tool: String,
        message: String,
    },
    #[error("the call to `{tool}` on `{server}` failed: {reason}")]
    Failed {
        server: String,
        tool: String,
        reason: String,
    },
}
