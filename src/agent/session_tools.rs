//! Tools that join a session after it was built: MCP servers' tools, whose lists are known only
//! once the servers have started and may change while the session runs.
//!
//! The tool specs are part of every request's prefix, so they change only when a source's tools
//! really changed, and only where the front end refreshes: before the first request (after the
//! servers started) and at the start of each user turn. A change announced mid-turn is therefore
//! seen by the model from its next user turn on; until then the old proxies keep working.

use super::session::Session;
use crate::tools::Tool;
use crate::types::BoxFuture;

/// A provider of tools that come and go.
pub trait ToolSource: Send + Sync {
    /// Whether the registered tool called `name` belongs to this source.
    fn owns(&self, name: &str) -> bool;

    /// The source's complete current tool set, re-read where it announced a change.
    fn current_tools(&self) -> BoxFuture<'_, Vec<Box<dyn Tool>>>;
}

impl Session {
    /// Replaces the source's registered tools with its current ones if they differ (names,
    /// descriptions or schemas), and rebuilds the specs sent to the model. Returns whether
    /// anything changed; when nothing did, the request prefix stays byte-identical.
    pub async fn refresh_tools(&mut self, source: &dyn ToolSource) -> bool {
        let tools = source.current_tools().await;
        let fresh: Vec<_> = tools.iter().map(|t| signature(t.as_ref())).collect();
        let registered: Vec<_> = self
            .specs
            .iter()
            .filter(|s| source.owns(&s.name))
            .map(|s| (s.name.clone(), s.description.clone(), s.parameters.clone()))
            .collect();
        if fresh == registered {
            return false;
        }
        self.setup.tools.registry.retain(|t| !source.owns(t.name()));
        for tool in tools {
            self.setup.tools.registry.add(tool);
        }
        self.specs = self.setup.tools.registry.specs();
        true
    }
}

/// What the model sees of a tool, as the registry renders it into a spec.
fn signature(tool: &dyn Tool) -> (String, String, serde_json::Value) {
    (
        tool.name().to_string(),
        tool.description().trim().to_string(),
        tool.parameters(),
    )
}

impl Session {
    /// Keeps only the tools `keep` accepts and rebuilds the specs: a review session gets the
    /// read-only ones. Call it before the first request, so the request prefix never changes.
    pub fn retain_tools(&mut self, keep: impl FnMut(&dyn Tool) -> bool) {
        self.setup.tools.registry.retain(keep);
        self.specs = self.setup.tools.registry.specs();
    }
}
