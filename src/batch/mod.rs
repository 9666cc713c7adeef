//! `reins batch FILE`: many `exec`/`run` tasks from one file, each a `reins exec` or `reins run`
//! process in its own workspace, with a JSON report of how each ended. `--shard I/N` runs every
//! N-th task (the same interleaving as `reins eval --shard`), `reins batch merge` joins shard
//! reports, and `reins batch plan` writes the sharded run for GitHub Actions or Kubernetes
//! (crate::fanout), so a batch spreads over the engine a team already runs.

mod file;
pub mod report;
mod run;

pub use file::BatchFile;
pub use report::{merge, BatchReport, TaskResult};
pub use run::run_task;

/// Why a batch could not be read, run or merged.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("cannot merge: {0}")]
    Merge(String),
}
