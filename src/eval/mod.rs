//! Evals: which model, which route, for which job. A suite (TOML) lists tasks, each a fixture
//! directory, a prompt or workflow, and hidden checks. Every (task × model-or-route × repeat) unit
//! runs the real `reins exec` in a fresh copy of its fixture; the harness then runs the checks to
//! judge it. Reports are deterministic apart from wall times, so shard reports merge into exactly
//! the report of one unsharded run, and two reports can be compared.

mod compare;
mod fixture;
pub mod gitsource;
mod html;
mod mine;
mod plan;
mod report;
mod runner;
mod significance;
mod stats;
mod suite;
mod summary;
mod table;

pub use compare::compare;
pub use html::render as render_html;
pub use mine::{mine, render_summary as render_mine_summary, MineOptions};
pub use plan::{configs, select, units, EvalConfig, Shard, Unit};
pub use report::{merge, Plan, Report, RunResult};
pub use runner::{run_unit, RunnerSetup};
pub use suite::Suite;
pub use table::render as render_table;
pub use table::wall as wall_time;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid suite {path}: {message}")]
    Suite { path: PathBuf, message: String },
    #[error("bad --shard `{0}`: expected I/N with 1 <= I <= N, e.g. --shard 2/4")]
    Shard(String),
    #[error("invalid report {path}: {message}")]
    Report { path: PathBuf, message: String },
    #[error("cannot merge: {0}")]
    Merge(String),
}
