//! An MCP server's tool as one of the model's tools: `SERVER__TOOL`, the server's description
//! and JSON schema, and a call forwarded to the server.

use super::names;
use super::server::{McpServer, ToolInfo};
use crate::tools::{Tool, ToolContext, ToolError, ToolResult};
use crate::types::{BoxFuture, Effects, Subject, ToolKind};
use rmcp::model::JsonObject;
use std::sync::Arc;

pub struct McpTool {
    server: Arc<McpServer>,
    /// The server's own name for the tool.
    remote: String,
    name: String,
    description: String,
    schema: serde_json::Value,
    read_only: bool,
}

impl McpTool {
    pub fn new(server: Arc<McpServer>, info: &ToolInfo) -> Self {
        let name = names::tool_name(server.name(), &info.name);
        let description = if info.description.trim().is_empty() {
            format!("`{}` of the MCP server `{}`.", info.name, server.name())
        } else {
            info.description.clone()
        };
        McpTool {
            name,
            description,
            remote: info.name.clone(),
            schema: info.input_schema.clone(),
            read_only: info.read_only,
            server,
        }
    }
}

impl Tool for McpTool {
    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn parameters(&self) -> serde_json::Value {
        self.schema.clone()
    }

    /// An MCP tool may change anything the server reaches; only the server's own read-only
    /// hint says otherwise.
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects {
            edits: !self.read_only,
            external: true,
            ..Effects::of(ToolKind::Other)
        }
    }

    /// `SERVER__TOOL` with the server's own tool name, unshortened and unreplaced: what
    /// `mcp(...)` rules match.
    fn subjects(&self, _args: &serde_json::Value) -> Vec<Subject> {
        vec![Subject::Name(format!(
            "{}{}",
            names::prefix(self.server.name()),
            self.remote
        ))]
    }

    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let arguments = parse_object(&self.name, args)?;
            let result = self
                .server
                .call(&self.remote, arguments, &ctx.cancel)
                .await
                .map_err(|e| ToolError(e.to_string()))?;
            let text = super::convert::to_text(&result);
            if result.is_error == Some(true) {
                Err(ToolError(text))
            } else {
                Ok(text.into())
            }
        })
    }
}

/// The arguments as a JSON object; empty text counts as `{}` (models send that for tools
/// without parameters).
pub fn parse_object(tool: &str, args: &str) -> Result<JsonObject, ToolError> {
    if args.trim().is_empty() {
        return Ok(JsonObject::new());
    }
    match serde_json::from_str::<serde_json::Value>(args) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(ToolError(format!(
            "the arguments of `{tool}` must be a JSON object matching its schema"
        ))),
        Err(e) => Err(ToolError(format!(
            "the arguments of `{tool}` are not valid JSON ({e}); send a JSON object matching its schema"
        ))),
    }
}
