//! The arguments of the commands that run many sessions and shard them across machines:
//! `reins eval` (suites, plans, reports) and `reins batch` (exec/run tasks).

use clap::{Args, Subcommand};
use std::path::PathBuf;

/// The engines `reins eval plan` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EmitKind {
    Github,
    K8s,
}

/// Where and how wide a sharded plan runs: shared by `eval plan` and `batch plan`.
#[derive(Debug, Args, Clone)]
pub struct PlanTargetArgs {
    /// Into how many shards (at least 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: u32,
    /// github or k8s.
    #[arg(long, value_enum)]
    pub emit: EmitKind,
    /// The container image holding reins and the project (k8s).
    #[arg(long, value_name = "IMAGE", default_value = "reins:latest")]
    pub image: String,
}

/// `reins batch`: a batch run, or its plan or merge.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BatchArgs {
    #[command(subcommand)]
    pub command: Option<BatchCommand>,
    #[command(flatten)]
    pub run: BatchRunArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub struct BatchRunArgs {
    /// The batch file: `[[task]]` tables with a `prompt` (reins exec) or a `workflow` (reins run).
    #[arg(value_name = "BATCH.toml", required = true)]
    pub file: Option<PathBuf>,
    /// Run only the I-th of N parts of the tasks (1-based): every N-th task from the I-th.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Tasks at once.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub jobs: usize,
    /// Write the report as JSON to OUT (`-` for stdout).
    #[arg(long, value_name = "OUT")]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Write the sharded run of a batch for another engine: a GitHub Actions workflow (matrix
    /// over the shards, then a merge job) or a Kubernetes Indexed Job and its merge Job.
    Plan {
        /// The batch file, as the runners will see it (relative to the checkout or the image).
        #[arg(value_name = "BATCH.toml")]
        file: String,
        #[command(flatten)]
        target: PlanTargetArgs,
    },
    /// Combine shard reports (`--shard`) into the report of the whole batch.
    Merge {
        /// The shard reports to combine.
        #[arg(required = true, value_name = "REPORT.json")]
        reports: Vec<PathBuf>,
        /// Write the merged report to OUT; without it the merged JSON goes to stdout.
        #[arg(long, value_name = "OUT")]
        json: Option<PathBuf>,
    },
}

/// `reins eval`: a suite run, or a subcommand over reports.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct EvalArgs {
    #[command(subcommand)]
    pub command: Option<EvalCommand>,
    #[command(flatten)]
    pub run: EvalRunArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub struct EvalRunArgs {
    /// The suite file: tasks with fixtures, prompts and hidden checks (see docs/evals.md).
    #[arg(value_name = "SUITE.toml", required = true)]
    pub suite: Option<PathBuf>,
    /// A model to evaluate (repeatable): a [models.*] key, PROVIDER/MODEL-ID or replay:PATH;
    /// `{task}` in it becomes the task's name.
    #[arg(short, long = "model", value_name = "NAME")]
    pub models: Vec<String>,
    /// A router to evaluate (repeatable): a [routers.*] name.
    #[arg(long = "route", value_name = "NAME")]
    pub routes: Vec<String>,
    /// Runs of each task per model or route (default: the suite's `repeat`, else 1).
    #[arg(long, value_name = "K")]
    pub repeat: Option<u32>,
    /// Runs at once.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub jobs: usize,
    /// Run only the I-th of N equal parts of the work (1-based), for spreading it over machines.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Write the report as JSON to OUT (`-` for stdout).
    #[arg(long, value_name = "OUT")]
    pub json: Option<PathBuf>,
    /// Also write the report as a self-contained HTML page (chart and task grid) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Only the tasks whose name contains NAME (repeatable).
    #[arg(long = "task", value_name = "NAME")]
    pub tasks: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// What changed from report A to report B: regressions first, then improvements.
    Compare {
        /// The earlier report (the baseline).
        a: PathBuf,
        /// The later report, compared against A.
        b: PathBuf,
    },
    /// Turn this repository's history into a suite: commits that change code and tests
    /// together become tasks (the parent with the commit's test changes; the commit message as
    /// the prompt; the changed tests as checks), kept only when the tests fail before and pass
    /// with the commit's code.
    Mine {
        /// Walk back to this revision (not included); default: the whole history.
        #[arg(long, value_name = "REV")]
        since: Option<String>,
        /// Stop once N tasks are kept.
        #[arg(long, value_name = "N")]
        max: Option<usize>,
        /// Look at no more than N commits.
        #[arg(long, value_name = "N")]
        commits: Option<usize>,
        /// Only commits changing a path that matches GLOB (repeatable).
        #[arg(long = "paths", value_name = "GLOB")]
        paths: Vec<String>,
        /// The test command instead of the detected one; `{tests}` becomes the changed test files.
        #[arg(long, value_name = "CMD")]
        test_cmd: Option<String>,
        /// Time limit of each test run, in seconds.
        #[arg(long, value_name = "S", default_value_t = 300)]
        timeout: u64,
        /// Only list the candidates and why the other commits were dropped; run no tests and
        /// write no tasks.
        #[arg(long)]
        dry_run: bool,
        /// Where the suite (suite.toml) and the test patches go.
        #[arg(long, value_name = "DIR", required = true)]
        out: PathBuf,
    },
    /// Write the sharded run of a suite for another engine: a GitHub Actions workflow (matrix
    /// over the shards, then a merge job) or a Kubernetes Indexed Job and its merge Job.
    Plan {
        /// The suite, as the runners will see it (relative to the checkout or the image).
        #[arg(value_name = "SUITE.toml")]
        suite: String,
        #[command(flatten)]
        target: PlanTargetArgs,
        /// A model for every shard to evaluate (repeatable).
        #[arg(short, long = "model", value_name = "NAME")]
        models: Vec<String>,
        /// A router for every shard to evaluate (repeatable).
        #[arg(long = "route", value_name = "NAME")]
        routes: Vec<String>,
        /// Runs of each task per configuration.
        #[arg(long, value_name = "K")]
        repeat: Option<u32>,
    },
    /// Combine shard reports (`--shard`) into one report.
    Merge {
        /// The shard reports to combine.
        #[arg(required = true, value_name = "REPORT.json")]
        reports: Vec<PathBuf>,
        /// Write the merged report to OUT; without it the merged JSON goes to stdout.
        #[arg(long, value_name = "OUT")]
        json: Option<PathBuf>,
        /// Also write the merged report as a self-contained HTML page to FILE.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
}
