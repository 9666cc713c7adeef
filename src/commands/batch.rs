//! `reins batch`: run a batch file's `exec`/`run` tasks (all, or one shard), merge shard
//! reports, or write the sharded run for GitHub Actions or Kubernetes. Each task's trace goes to
//! stderr as it runs, the summary to stdout, the report to `--json`; the exit code is 0 only
//! when every task of the report succeeded.

use super::report_out::{self, write};
use crate::batch::{self, BatchError, BatchFile, BatchReport};
use crate::cli::{BatchArgs, BatchCommand, BatchRunArgs, GlobalArgs};
use crate::frontend::ExitError;
use futures_util::StreamExt;
use std::path::{Path, PathBuf};

impl From<BatchError> for ExitError {
    fn from(e: BatchError) -> Self {
        ExitError::usage(e.to_string())
    }
}

pub async fn run(args: BatchArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    match args.command {
        Some(BatchCommand::Plan { file, target }) => {
            super::plan_out::print("batch", file, Vec::new(), Vec::new(), target)
        }
        Some(BatchCommand::Merge { reports, json }) => merge(&reports, json.as_deref()),
        None => run_batch(args.run, global).await,
    }
}

async fn run_batch(args: BatchRunArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    let path = args
        .file
        .clone()
        .ok_or_else(|| ExitError::usage("no batch given: reins batch FILE.toml"))?;
    let file = BatchFile::load(&path)?;
    let shard: Option<crate::eval::Shard> = args.shard.as_deref().map(str::parse).transpose()?;
    let base = base_dir(&path)?;
    let exe = std::env::current_exe()
        .map_err(|e| ExitError::failure(format!("cannot find the reins binary to run: {e}")))?;
    let pass: Vec<String> = global
        .overrides
        .iter()
        .flat_map(|o| ["-c".to_string(), o.clone()])
        .collect();
    // Every N-th task from the I-th, as `reins eval --shard` takes its units.
    let mine: Vec<usize> = (0..file.tasks.len())
        .filter(|i| shard.is_none_or(|s| *i as u32 % s.count == s.index - 1))
        .collect();
    let total = mine.len();
    let mut results: Vec<batch::TaskResult> = futures_util::stream::iter(mine.iter().map(|&i| {
        let (exe, pass, base, task) = (&exe, &pass, &base, &file.tasks[i]);
        async move {
            eprintln!("reins batch: {} ({})", task.name, task.command());
            batch::run_task(exe, pass, base, i, task).await
        }
    }))
    .buffer_unordered(args.jobs.max(1))
    .collect()
    .await;
    results.sort_by_key(|r| r.index);
    eprintln!("reins batch: {total} tasks run");
    let report = BatchReport {
        schema_version: batch::report::BATCH_SCHEMA_VERSION,
        batch: file.name().to_string(),
        tasks: file.tasks.len(),
        shard,
        results,
    };
    output(&report, args.json.as_deref())?;
    Ok(report.exit_code())
}

/// The folder task workspaces are relative to: the batch file's, made absolute so the child
/// processes do not depend on our working directory.
fn base_dir(path: &Path) -> Result<PathBuf, ExitError> {
    let parent = path.parent().unwrap_or(Path::new(""));
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    parent
        .canonicalize()
        .map_err(|e| ExitError::usage(format!("cannot open {}: {e}", parent.display())))
}

fn output(report: &BatchReport, json: Option<&Path>) -> Result<(), ExitError> {
    report_out::emit(&report.render(), &report.to_json(), json)
}

fn merge(paths: &[PathBuf], json: Option<&Path>) -> Result<i32, ExitError> {
    let reports = paths
        .iter()
        .map(|p| BatchReport::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = batch::merge(reports)?;
    if merged.missing() > 0 {
        eprintln!(
            "reins: {} of {} tasks are missing from these reports (a shard not merged?)",
            merged.missing(),
            merged.tasks
        );
    }
    match json {
        Some(p) => {
            write(p, &merged.to_json())?;
            print!("{}", merged.render());
        }
        None => print!("{}", merged.to_json()),
    }
    Ok(merged.exit_code())
}
