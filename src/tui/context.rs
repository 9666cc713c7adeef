//! What the app knows about its surroundings: the workspace, the user's home, the configured
//! models and router, and the services the UI started (MCP servers, the review launcher, the read
//! policy). Plain data the widgets and the slash commands read; set once at launch.

use std::path::PathBuf;
use std::sync::Arc;

/// What the app knows about its surroundings.
#[derive(Clone, Default)]
pub struct AppContext {
    pub root: PathBuf,
    pub home: Option<PathBuf>,
    /// The configured `[models.*]` keys, for `/model`.
    pub models: Vec<String>,
    pub memory_cap: usize,
    /// How models are picked per step, for `/status`: `--route NAME`, the configured router, or
    /// empty for one model throughout.
    pub router: String,
    /// The MCP servers the UI started, for `/status`.
    pub mcp: Option<Arc<crate::mcp::McpHub>>,
    /// What `@path` may attach: the session's read policy.
    pub policy: Option<crate::sandbox::SandboxPolicy>,
    /// Runs `/review` in sessions of its own (without it the command says it is not available).
    pub review: Option<crate::frontend::review::Launcher>,
}

impl AppContext {
    /// The policy to read attachments under; without the session's, the secret patterns alone.
    pub fn policy(&self) -> crate::sandbox::SandboxPolicy {
        self.policy
            .clone()
            .unwrap_or_else(|| crate::workspace_file::secrets_only(&self.root))
    }

    /// The sessions of this workspace, newest first, for `/resume` and `/sessions`.
    pub fn sessions(&self) -> Vec<crate::store::sessions::SessionInfo> {
        match &self.home {
            Some(home) => crate::store::sessions::list(home, Some(&self.root)),
            None => Vec::new(),
        }
    }
}
