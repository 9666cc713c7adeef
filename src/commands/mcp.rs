//! `reins mcp list` and `reins mcp call`: the configured MCP servers without a model, to see
//! whether they start, what they offer, and what a call returns.

use crate::cli::{GlobalArgs, McpCommand};
use crate::frontend::mcp::{launch, start};
use crate::frontend::{setup, ExitError};
use crate::mcp::{self, McpHub, ServerView, State};
use std::collections::BTreeMap;

pub async fn run(cmd: McpCommand, global: GlobalArgs) -> Result<i32, ExitError> {
    let ws = setup::workspace(&global)?;
    match cmd {
        McpCommand::List { json } => list(&ws, json).await,
        McpCommand::Call { server, tool, args } => call(&ws, &server, &tool, &args).await,
    }
}

/// Lists every server; exit 1 when one of them failed to start, so a script can tell.
async fn list(ws: &setup::Workspace, json: bool) -> Result<i32, ExitError> {
    let hub = start(ws, setup::SandboxFlags::default())?;
    hub.wait_started().await;
    let views = hub.views();
    hub.shutdown().await;
    report_warnings(&hub);
    if json {
        let text =
            serde_json::to_string_pretty(&views).map_err(|e| ExitError::failure(e.to_string()))?;
        println!("{text}");
    } else if views.is_empty() {
        println!("no MCP servers configured: add [mcp_servers.NAME] to config.toml");
    } else {
        for view in &views {
            print!("{}", describe(view));
        }
    }
    let failed: Vec<&str> = views
        .iter()
        .filter(|v| v.state == State::Failed)
        .map(|v| v.name.as_str())
        .collect();
    if failed.is_empty() {
        return Ok(0);
    }
    eprintln!(
        "error: {} of {} MCP servers failed to start: {}",
        failed.len(),
        views.len(),
        failed.join(", ")
    );
    Ok(1)
}

/// Warnings the servers gave while starting (a server run unconfined), on stderr.
fn report_warnings(hub: &McpHub) {
    for event in hub.take_events() {
        if let crate::agent::Event::Warning { message } = event {
            eprintln!("warning: {message}");
        }
    }
}

/// A server and its tools as the model sees them.
fn describe(view: &ServerView) -> String {
    let mut out = format!(
        "{}  {}  {}\n",
        view.name,
        view.state.as_str(),
        view.endpoint
    );
    if let Some(e) = &view.error {
        out.push_str(&format!("  error: {e}\n"));
    }
    for tool in &view.tools {
        let first = tool.description.lines().next().unwrap_or_default();
        let short: String = first.chars().take(100).collect();
        out.push_str(&format!(
            "  {}  {short}\n",
            mcp::tool_name(&view.name, &tool.name)
        ));
    }
    out
}

async fn call(
    ws: &setup::Workspace,
    server: &str,
    tool: &str,
    args: &str,
) -> Result<i32, ExitError> {
    let configs = &ws.loaded.config.mcp_servers;
    let config = configs.get(server).ok_or_else(|| {
        let known: Vec<&str> = configs.keys().map(String::as_str).collect();
        ExitError::usage(format!(
            "no MCP server `{server}` is configured (configured: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ))
    })?;
    let arguments = mcp::parse_object(tool, args).map_err(|e| ExitError::usage(e.0))?;
    let one = BTreeMap::from([(server.to_string(), config.clone())]);
    let launch = launch(ws, setup::SandboxFlags::default())?;
    let hub = McpHub::start(&one, launch).map_err(|e| ExitError::usage(e.to_string()))?;
    hub.wait_started().await;
    let code = call_started(&hub, server, tool, arguments).await;
    hub.shutdown().await;
    report_warnings(&hub);
    code
}

async fn call_started(
    hub: &McpHub,
    server: &str,
    tool: &str,
    arguments: rmcp::model::JsonObject,
) -> Result<i32, ExitError> {
    let Some(srv) = hub.server(server) else {
        return Err(ExitError::failure(format!(
            "the server `{server}` vanished"
        )));
    };
    if let (State::Failed, Some(e)) = (srv.view().state, srv.view().error) {
        eprintln!("error: the MCP server `{server}` did not start: {e}");
        return Ok(1);
    }
    match srv
        .call(tool, arguments, &crate::cancel::Cancel::never())
        .await
    {
        Ok(result) if result.is_error != Some(true) => {
            println!("{}", mcp::convert::to_text(&result));
            Ok(0)
        }
        Ok(result) => {
            eprintln!("error: {}", mcp::convert::to_text(&result));
            Ok(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(1)
        }
    }
}
