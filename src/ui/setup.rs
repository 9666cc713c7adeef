//! Building what every front end needs from the command line: workspace, config, model, tools.

use super::ExitError;
use crate::cli::GlobalArgs;
use crate::config::{self, LoadOptions, Loaded};
use crate::tools::ToolContext;
use std::path::PathBuf;

pub struct Workspace {
    pub root: PathBuf,
    pub loaded: Loaded,
}

pub fn workspace(global: &GlobalArgs) -> Result<Workspace, ExitError> {
    let root = crate::workspace::discover(global.cd.as_deref())
        .map_err(|e| ExitError::usage(e.to_string()))?;
    let loaded = config::load(&LoadOptions {
        reins_home: crate::workspace::reins_home(),
        workspace: Some(root.clone()),
        overrides: global.overrides.clone(),
    })?;
    Ok(Workspace { root, loaded })
}

/// The tool context, with a child environment that carries no secrets.
pub fn tool_context(
    ws: &Workspace,
    cancel: crate::cancel::Cancel,
) -> Result<ToolContext, ExitError> {
    let mut ctx = ToolContext::new(&ws.root, cancel)
        .map_err(|e| ExitError::usage(format!("workspace {}: {e}", ws.root.display())))?;
    let cfg = &ws.loaded.config;
    let key_vars: Vec<String> = cfg
        .providers
        .values()
        .filter_map(|p| p.api_key_env.clone())
        .filter(|k| !k.is_empty())
        .collect();
    ctx.child_env = crate::sandbox::scrubbed_env(&key_vars, &cfg.shell.pass_env);
    if let Some(ms) = cfg.shell.timeout_ms {
        ctx.shell_timeout = std::time::Duration::from_millis(ms);
    }
    Ok(ctx)
}
