//! `reins eval`: run a suite (each unit as its own `reins exec` in a fresh fixture copy, several
//! at once with `--jobs`, a deterministic part with `--shard`), compare two reports, merge
//! shard reports. Progress goes to stderr, the table to stdout, the report to `--json`.

use super::report_out::{self, write};
use crate::cli::{EvalArgs, EvalCommand, EvalRunArgs, GlobalArgs};
use crate::eval::{self, EvalConfig, EvalError, Plan, Report, RunResult, RunnerSetup, Suite, Unit};
use crate::frontend::{setup, ExitError};
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

impl From<EvalError> for ExitError {
    fn from(e: EvalError) -> Self {
        ExitError::usage(e.to_string())
    }
}

pub async fn run(args: EvalArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    match args.command {
        Some(EvalCommand::Compare { a, b }) => compare(&a, &b),
        Some(EvalCommand::Merge {
            reports,
            json,
            html,
        }) => merge(&reports, json.as_deref(), html.as_deref()),
        Some(EvalCommand::Mine {
            since,
            max,
            commits,
            paths,
            test_cmd,
            timeout,
            dry_run,
            out,
        }) => {
            let ws = setup::workspace(&global)?;
            let runner = runner_setup(&ws, &global)?;
            let opts = eval::MineOptions {
                repo: ws.root.clone(),
                since,
                max_tasks: max,
                max_commits: commits,
                paths,
                test_cmd,
                out,
                dry_run,
                timeout: std::time::Duration::from_secs(timeout.max(1)),
                check_env: runner.check_env,
                allow_unsandboxed: runner.allow_unsandboxed,
            };
            let summary = eval::mine(&opts, &mut |line| eprintln!("{line}"))
                .await
                .map_err(|e| ExitError::usage(e.to_string()))?;
            print!("{}", eval::render_mine_summary(&summary));
            Ok(0)
        }
        Some(EvalCommand::Plan {
            suite,
            target,
            models,
            routes,
            repeat,
        }) => plan(suite, target, models, routes, repeat),
        None => run_suite(args.run, global).await,
    }
}

async fn run_suite(args: EvalRunArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    let path = args
        .suite
        .clone()
        .ok_or_else(|| ExitError::usage("no suite given: reins eval SUITE.toml"))?;
    let mut suite = Suite::load(&path)?;
    suite.filter(&args.tasks);
    if suite.tasks.is_empty() {
        return Err(ExitError::usage(format!(
            "no task in {} matches --task",
            path.display()
        )));
    }
    let ws = setup::workspace(&global)?;
    let configs = configs(&args, &suite, &ws);
    let repeat = args.repeat.or(suite.repeat).unwrap_or(1).max(1);
    let all = eval::units(suite.tasks.len(), configs.len(), repeat);
    let shard = args.shard.as_deref().map(str::parse).transpose()?;
    let mine = eval::select(&all, shard);
    let runner = runner_setup(&ws, &global)?;
    let runs = run_units(&runner, &suite, &configs, &mine, args.jobs).await;
    let plan = Plan {
        tasks: suite.tasks.iter().map(|t| t.name.clone()).collect(),
        configs: configs.iter().map(|c| c.label.clone()).collect(),
        repeat,
        units: all.len(),
    };
    let report = Report::build(&suite.name, plan, shard, runs);
    output(&report, args.json.as_deref())?;
    if let Some(p) = &args.html {
        write(p, &eval::render_html(&report))?;
    }
    Ok(0)
}

/// The command line's models and routes, else the suite's, else the configured default.
fn configs(args: &EvalRunArgs, suite: &Suite, ws: &setup::Workspace) -> Vec<EvalConfig> {
    let cfg = &ws.loaded.config;
    let default = if cfg.model.is_empty() {
        "default"
    } else {
        cfg.model.as_str()
    };
    if args.models.is_empty() && args.routes.is_empty() {
        eval::configs(&suite.models, &suite.routes, default)
    } else {
        eval::configs(&args.models, &args.routes, default)
    }
}

fn runner_setup(ws: &setup::Workspace, global: &GlobalArgs) -> Result<RunnerSetup, ExitError> {
    let cfg = &ws.loaded.config;
    let exe = std::env::current_exe()
        .map_err(|e| ExitError::failure(format!("cannot find the reins binary to run: {e}")))?;
    Ok(RunnerSetup {
        exe,
        overrides: global.overrides.clone(),
        check_env: crate::sandbox::scrubbed_env(&ws.key_vars(), &cfg.shell.pass_env)
            .into_iter()
            .filter(|(k, _)| k != "CARGO_TARGET_DIR")
            .collect(),
        allow_unsandboxed: cfg.allow_unsandboxed.unwrap_or(false),
    })
}

/// Runs the units, `jobs` at a time, reporting each as it ends.
async fn run_units(
    runner: &RunnerSetup,
    suite: &Suite,
    configs: &[EvalConfig],
    units: &[Unit],
    jobs: usize,
) -> Vec<RunResult> {
    let done = AtomicUsize::new(0);
    let total = units.len();
    let (done, width) = (&done, total.to_string().len());
    futures_util::stream::iter(units.iter().map(|u| async move {
        let (task, config) = (&suite.tasks[u.task], &configs[u.config]);
        let r = eval::run_unit(runner, task, config, u.repeat).await;
        let n = done.fetch_add(1, Ordering::SeqCst) + 1;
        eprintln!("[{n:>width$}/{total}] {}", progress(&r, u.config + 1));
        r
    }))
    .buffer_unordered(jobs.max(1))
    .collect()
    .await
}

fn progress(r: &RunResult, config_no: usize) -> String {
    format!(
        "{} · #{config_no} · repeat {}: {} ({}, {}, {}, {}){}",
        r.task,
        r.repeat + 1,
        if r.passed { "solved" } else { "not solved" },
        r.status,
        super::progress::count(r.steps as usize, "step"),
        r.cost_usd
            .map_or("cost unknown".into(), crate::types::usd::show),
        crate::eval::wall_time(r.wall_ms),
        r.error
            .as_deref()
            .map(|e| format!(" — {}", e.lines().last().unwrap_or(e)))
            .unwrap_or_default()
    )
}

/// The table on stdout and the JSON as `--json` asks.
fn output(report: &Report, json: Option<&Path>) -> Result<(), ExitError> {
    report_out::emit(&eval::render_table(report), &report.to_json(), json)
}

/// `reins eval plan`: the sharded run as YAML on stdout.
fn plan(
    suite: String,
    target: crate::cli::PlanTargetArgs,
    models: Vec<String>,
    routes: Vec<String>,
    repeat: Option<u32>,
) -> Result<i32, ExitError> {
    let mut flags = Vec::new();
    for m in models {
        flags.extend(["-m".to_string(), m]);
    }
    for r in routes {
        flags.extend(["--route".to_string(), r]);
    }
    if let Some(k) = repeat {
        flags.extend(["--repeat".to_string(), k.to_string()]);
    }
    super::plan_out::print(
        "eval",
        suite,
        flags,
        vec![("--html", "report.html")],
        target,
    )
}

fn compare(a: &Path, b: &Path) -> Result<i32, ExitError> {
    let (ra, rb) = (Report::read(a)?, Report::read(b)?);
    println!("A: {}\nB: {}\n", a.display(), b.display());
    print!("{}", eval::compare(&ra, &rb).render());
    Ok(0)
}

fn merge(paths: &[PathBuf], json: Option<&Path>, html: Option<&Path>) -> Result<i32, ExitError> {
    let reports = paths
        .iter()
        .map(|p| Report::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = eval::merge(reports)?;
    if merged.missing() > 0 {
        eprintln!(
            "reins: {} of {} runs are missing from these reports (a shard not merged?)",
            merged.missing(),
            merged.plan.units
        );
    }
    match json {
        Some(p) => {
            write(p, &merged.to_json())?;
            print!("{}", eval::render_table(&merged));
        }
        None => print!("{}", merged.to_json()),
    }
    if let Some(p) = html {
        write(p, &eval::render_html(&merged))?;
    }
    Ok(0)
}
