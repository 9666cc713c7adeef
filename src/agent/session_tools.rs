//! Tools that join a session after it was built: MCP servers' tools, whose lists are known only
//! once the servers have started and may change while the session runs.
//!
//! The tool specs are part of every request's prefix, so they change only when a source says its
//! tools changed, and only where the front end refreshes: before the first request (after the
//! servers started) and at the start of each user turn. A change announced mid-turn is therefore
//! seen by the model from its next user turn on; until then the old proxies keep working.

use super::session::Session;
use crate::provider::BoxFuture;
use crate::tools::Tool;

/// A provider of tools that come and go.
pub trait ToolSource: Send + Sync {
    /// Whether the registered tool called `name` belongs to this source.
    fn owns(&self, name: &str) -> bool;

    /// The source's complete current tool set if it differs from the set this method returned
    /// last (the first call always returns it); `None` when nothing changed.
    fn changed_tools(&self) -> BoxFuture<'_, Option<Vec<Box<dyn Tool>>>>;
}

impl Session {
    /// Replaces the source's tools with its current ones if they changed, and rebuilds the
    /// specs sent to the model. Returns whether anything changed.
    pub async fn refresh_tools(&mut self, source: &dyn ToolSource) -> bool {
        let Some(tools) = source.changed_tools().await else {
            return false;
        };
        self.setup.registry.retain(|t| !source.owns(t.name()));
        for tool in tools {
            self.setup.registry.add(tool);
        }
        self.specs = self.setup.registry.specs();
        true
    }
}
