//! `reins run NAME` (a workflow, headless, through exec's own path) and `reins workflows`.

use super::exec;
use crate::cli::{ExecArgs, GlobalArgs, RunArgs};
use crate::frontend::workflow_job::{self, Job};
use crate::frontend::{setup, ExitError};
use crate::workflow;

/// Runs a workflow and returns exec's exit code for the session.
pub async fn run(args: RunArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    let global = setup::in_worktree(global, args.exec.place.worktree.as_deref())?;
    let ws = setup::workspace(&global)?;
    let extra = match args.exec.prompt.as_deref() {
        Some(p) => Some(exec::read_task(Some(p))?),
        None => None,
    };
    let vars = workflow::parse_vars(&args.vars)?;
    let job = workflow_job::prepare(&ws, &args.workflow, &vars, extra.as_deref())?;
    for w in &job.warnings {
        eprintln!("warning: {w}");
    }
    let flags = exec_flags(&job, args.exec);
    exec::run_task(&job.task, job.ws, &flags, vec![Box::new(job.guard)]).await
}

/// Command-line flags win over the workflow's settings; a `--model` or `--route` on the command
/// line replaces the workflow's choice of either.
fn exec_flags(job: &Job, mut flags: ExecArgs) -> ExecArgs {
    if flags.model.model.is_none() && flags.model.route.is_none() {
        flags.model.model = job.model.clone();
        flags.model.route = job.route.clone();
    }
    flags.budget.max_steps = flags.budget.max_steps.or(job.max_steps);
    flags.budget.max_cost = flags.budget.max_cost.or(job.max_cost);
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
