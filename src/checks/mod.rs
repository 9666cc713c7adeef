//! Checks: the commands that define "done" (`--check`, `[checks]`, a workflow's `checks`). They
//! run in the sandbox like the shell tool when the model ends its turn ([`ChecksExtension`]), on
//! request as the `run_checks` tool ([`RunChecks`]), and after each eval run to judge it. Their
//! output is read by parsers for the common test runners ([`summary`]) so the model and the user
//! get counts and failing test names rather than a screen of log.

mod extension;
mod run;
pub mod summary;
mod tool;

pub use crate::config::checks::ChecksConfig;
pub use extension::ChecksExtension;
pub use run::{run_all, CheckOutcome};
pub use tool::RunChecks;

use crate::tools::Tool;

/// The `run_checks` tool when checks are configured; nothing otherwise.
pub fn tools(config: &ChecksConfig) -> Option<Box<dyn Tool>> {
    (!config.commands.is_empty()).then(|| {
        Box::new(RunChecks::new(config.commands.clone(), config.timeout())) as Box<dyn Tool>
    })
}
