//! A workflow made ready to run in a workspace: the same preparation for `reins run NAME` and
//! the TUI's `/NAME`, so a workflow means one thing wherever it is started. The workflow's
//! checks and protected paths go into the workspace's config, its tool list and denied paths
//! into a guard, its prompt (with extra instructions and the limits spelled out) is the task.

use super::{setup, ExitError};
use crate::workflow::{self, Found, Origin, Workflow, WorkflowError, WorkflowGuard};
use std::collections::BTreeMap;

impl From<WorkflowError> for ExitError {
    fn from(e: WorkflowError) -> Self {
        ExitError::usage(e.to_string())
    }
}

/// Everything a session needs to run the workflow.
pub struct Job {
    /// The workspace with the workflow's checks and protected paths added to its config.
    pub ws: setup::Workspace,
    pub task: String,
    pub guard: WorkflowGuard,
    pub model: Option<String>,
    pub route: Option<String>,
    pub max_steps: Option<u32>,
    pub max_cost: Option<f64>,
    /// What the user should know: a shadowed workspace workflow, parts ignored as untrusted.
    pub warnings: Vec<String>,
}

/// Finds the workflow `name`, fills its variables from `vars`, and prepares it for `ws`; `extra`
/// instructions are appended to its prompt.
pub fn prepare(
    ws: &setup::Workspace,
    name: &str,
    vars: &BTreeMap<String, String>,
    extra: Option<&str>,
) -> Result<Job, ExitError> {
    let mut ws = ws.clone();
    let found = workflow::find(name, &ws.root, ws.home.as_deref())?;
    let name = found.name.clone();
    let mut warnings: Vec<String> = found.shadow_warning().into_iter().collect();
    let wf = trusted_parts(&ws, &found, &mut warnings)?.instantiate(&name, vars)?;
    let task = task(&wf, extra);
    let cfg = &mut ws.loaded.config;
    cfg.checks.add(&wf.checks);
    cfg.permissions
        .protected
        .extend(workflow::protected_dirs(&wf.deny_paths));
    let root = ws.root.canonicalize().unwrap_or_else(|_| ws.root.clone());
    let guard = WorkflowGuard::new(&name, &root, wf.tools.clone(), &wf.deny_paths)?;
    Ok(Job {
        ws,
        task,
        guard,
        model: wf.model,
        route: wf.route,
        max_steps: wf.max_steps,
        max_cost: wf.max_cost,
        warnings,
    })
}

/// The workflow as it may apply: a workspace workflow in an untrusted workspace loses its
/// checks, model, route, limits and tool list (said in a warning), like an untrusted project
/// config.
fn trusted_parts(
    ws: &setup::Workspace,
    found: &Found,
    warnings: &mut Vec<String>,
) -> Result<Workflow, ExitError> {
    let wf = found.load(&setup::policy(ws, setup::SandboxFlags::default()))?;
    let ignored = wf.sensitive_parts();
    if found.origin != Origin::Workspace || ws.trusted || ignored.is_empty() {
        return Ok(wf);
    }
    warnings.push(format!(
        "ignored from {} (this workspace is not trusted): {}; review it and run `reins trust` to apply them",
        found.path.display(),
        ignored.join(", ")
    ));
    Ok(wf.without_sensitive_parts())
}

/// The workflow's prompt, with extra instructions and the tool allow-list spelled out so the
/// model does not learn it one refusal at a time.
fn task(wf: &Workflow, extra: Option<&str>) -> String {
    let mut task = wf.prompt.trim_end().to_string();
    if let Some(extra) = extra.map(str::trim_end).filter(|e| !e.trim().is_empty()) {
        task.push_str("\n\n");
        task.push_str(extra);
    }
    if let Some(tools) = &wf.tools {
        task.push_str(&format!(
            "\n\nThis job may use only these tools: {}.",
            tools.join(", ")
        ));
    }
    if !wf.deny_paths.is_empty() {
        task.push_str(&format!(
            "\nDo not change files matching: {}.",
            wf.deny_paths.join(", ")
        ));
    }
    task
}

/// The words after `/NAME` in the TUI: leading `NAME=VALUE` words are the workflow's variables,
/// the rest are extra instructions (`/fix-issue issue=42 keep the API stable`).
pub fn split_slash_args(args: &str) -> (Vec<String>, String) {
    let mut vars = Vec::new();
    let mut rest = args.trim_start();
    while let Some(word) = rest.split_whitespace().next() {
        let is_var = word.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty()
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !k.starts_with(|c: char| c.is_ascii_digit())
        });
        if !is_var {
            break;
        }
        vars.push(word.to_string());
        rest = rest[word.len()..].trim_start();
    }
    (vars, rest.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_assignments_are_variables_the_rest_instructions() {
        assert_eq!(
            split_slash_args(" issue=42 area=db keep the API stable, x=1 "),
            (
                vec!["issue=42".to_string(), "area=db".to_string()],
                "keep the API stable, x=1".to_string()
            )
        );
        assert_eq!(split_slash_args(""), (vec![], String::new()));
        assert_eq!(
            split_slash_args("1x=2 then"),
            (vec![], "1x=2 then".to_string())
        );
    }
}
