//! `[review]` in the configuration: the defaults of `reins review` (and `/review` in the TUI),
//! each overridden by its flag.

use crate::types::Priority;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewConfig {
    /// The reviewing model (`--model`); default: the session's model.
    pub model: Option<String>,
    /// The router of the review (`--route`), a `[routers.NAME]` name.
    pub route: Option<String>,
    /// Whether a second pass confirms each finding (default true; `--no-verify`, `--verify`).
    pub verify: Option<bool>,
    /// The verify pass's model (`--verify-model`), e.g. a stronger one; default: the reviewer's.
    pub verify_model: Option<String>,
    /// The verify pass's router (`--verify-route`).
    pub verify_route: Option<String>,
    /// Exit 7 when a finding reaches this priority (`--fail-on`); default: never.
    pub fail_on: Option<Priority>,
    /// Diff bytes per part (`--part-size`); default 60000.
    pub part_size: Option<usize>,
    /// Whether findings' reproducing commands are run where the project has checks (default
    /// true; `--no-repro`).
    pub repro: Option<bool>,
    /// Time limit of each reproducing command in milliseconds (default 120000).
    pub repro_timeout_ms: Option<u64>,
}

/// Two minutes: a reproduction runs one test, not the suite.
pub const DEFAULT_REPRO_TIMEOUT_MS: u64 = 120_000;

impl ReviewConfig {
    pub fn repro_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.repro_timeout_ms.unwrap_or(DEFAULT_REPRO_TIMEOUT_MS))
    }
}
