//! Workflows: recurring jobs as files (`.reins/workflows/NAME.toml`, `$REINS_HOME/workflows/`),
//! run headless by `reins run NAME --var k=v`. A workflow fixes the prompt, the checks that define
//! done, the model or route, the limits, and what the model may touch ([`WorkflowGuard`]).

mod definition;
mod guard;
mod store;
mod template;

pub use definition::{parse_vars, Workflow};
pub use guard::{protected_dirs, WorkflowGuard};
pub use store::{dirs, find, list, Found, Listed, Origin};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error(
        "no workflow `{name}`: looked in {searched}; `reins workflows` lists the ones there are"
    )]
    NotFound { name: String, searched: String },
    #[error("cannot read workflow {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid workflow {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("workflow {path} is not used: {message}")]
    Unsafe { path: PathBuf, message: String },
    #[error("workflow `{workflow}` needs {}: pass each with --var NAME=VALUE", missing.join(", "))]
    MissingVars {
        workflow: String,
        missing: Vec<String>,
    },
    #[error("workflow `{workflow}` has no variable `{var}` (it uses: {uses})")]
    UnknownVar {
        workflow: String,
        var: String,
        uses: String,
    },
    #[error("bad --var `{0}`: expected NAME=VALUE")]
    BadVar(String),
    #[error("bad deny_paths glob `{pattern}`: {message}")]
    BadGlob { pattern: String, message: String },
}
