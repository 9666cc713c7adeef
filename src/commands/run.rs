//! `reins run NAME` (a workflow, headless, through exec's own path) and `reins workflows`.

use super::exec;
use crate::cli::{ExecArgs, GlobalArgs, RunArgs};
use crate::frontend::{setup, ExitError};
use crate::workflow::{self, Found, Origin, Workflow, WorkflowError, WorkflowGuard};

impl From<WorkflowError> for ExitError {
    fn from(e: WorkflowError) -> Self {
        ExitError::usage(e.to_string())
    }
}

/// Runs a workflow and returns exec's exit code for the session.
pub async fn run(args: RunArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    let global = setup::in_worktree(global, args.exec.worktree.as_deref())?;
    let mut ws = setup::workspace(&global)?;
    let found = workflow::find(&args.workflow, &ws.root, ws.home.as_deref())?;
    let name = found.name.clone();
    let wf = trusted_parts(&ws, &found)?.instantiate(&name, &workflow::parse_vars(&args.vars)?)?;
    let task = task(&wf, args.exec.prompt.as_deref())?;
    let flags = exec_flags(&wf, args.exec);
    let cfg = &mut ws.loaded.config;
    cfg.checks.add(&wf.checks);
    cfg.permissions
        .protected
        .extend(workflow::protected_dirs(&wf.deny_paths));
    let root = ws.root.canonicalize().unwrap_or_else(|_| ws.root.clone());
    let guard = WorkflowGuard::new(&name, &root, wf.tools.clone(), &wf.deny_paths)?;
    exec::run_task(&task, ws, &flags, vec![Box::new(guard)]).await
}

/// The workflow as it may apply: a workspace workflow in an untrusted workspace loses its
/// checks, model, route, limits and tool list (said on stderr), like an untrusted project config.
fn trusted_parts(ws: &setup::Workspace, found: &Found) -> Result<Workflow, ExitError> {
    if let Some(w) = found.shadow_warning() {
        eprintln!("warning: {w}");
    }
    let wf = found.load(&setup::policy(ws, setup::SandboxFlags::default()))?;
    let ignored = wf.sensitive_parts();
    if found.origin != Origin::Workspace || ws.trusted || ignored.is_empty() {
        return Ok(wf);
    }
    eprintln!(
        "warning: ignored from {} (this workspace is not trusted): {}; review it and run `reins trust` to apply them",
        found.path.display(),
        ignored.join(", ")
    );
    Ok(wf.without_sensitive_parts())
}

/// The workflow's prompt, with extra instructions from the command line and the tool
/// allow-list spelled out so the model does not learn it one refusal at a time.
fn task(wf: &Workflow, extra: Option<&str>) -> Result<String, ExitError> {
    let mut task = wf.prompt.trim_end().to_string();
    if let Some(extra) = extra {
        task.push_str("\n\n");
        task.push_str(exec::read_task(Some(extra))?.trim_end());
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
    Ok(task)
}

/// Command-line flags win over the workflow's settings; a `--model` or `--route` on the command
/// line replaces the workflow's choice of either.
fn exec_flags(wf: &Workflow, mut flags: ExecArgs) -> ExecArgs {
    if flags.model.is_none() && flags.route.is_none() {
        flags.model = wf.model.clone();
        flags.route = wf.route.clone();
    }
    flags.max_steps = flags.max_steps.or(wf.max_steps);
    flags.max_cost = flags.max_cost.or(wf.max_cost);
    flags
}

/// `reins workflows`: each workflow's name and description (or why it cannot be read).
pub fn list(global: GlobalArgs) -> Result<i32, ExitError> {
    let ws = setup::workspace(&global)?;
    let policy = setup::policy(&ws, setup::SandboxFlags::default());
    let found = workflow::list(&ws.root, ws.home.as_deref(), &policy);
    if found.is_empty() {
        let dirs: Vec<String> = workflow::dirs(&ws.root, ws.home.as_deref())
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        eprintln!("no workflows in {}", dirs.join(" or "));
        return Ok(0);
    }
    let width = found.iter().map(|l| l.found.name.len()).max().unwrap_or(0);
    for l in found {
        let text = match &l.description {
            Ok(d) if d.is_empty() => "(no description)".to_string(),
            Ok(d) => d.clone(),
            Err(e) => format!("unreadable: {e}"),
        };
        println!("{:width$}  {text}", l.found.name);
        if let Some(w) = l.found.shadow_warning() {
            eprintln!("warning: {w}");
        }
    }
    Ok(0)
}
