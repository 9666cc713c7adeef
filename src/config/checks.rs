//! `[checks]` in the configuration.

use serde::{Deserialize, Serialize};

/// The commands that define "done" for this workspace.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChecksConfig {
    /// Run in order in the workspace root when the model ends its turn; each must exit 0.
    pub commands: Vec<String>,
    /// Time limit of each check in milliseconds (default 600000: a cold `cargo test` is slow).
    pub timeout_ms: Option<u64>,
}

/// Ten minutes.
pub const DEFAULT_TIMEOUT_MS: u64 = 600_000;

impl ChecksConfig {
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS))
    }

    /// Adds `extra` (from `--check` or a workflow) after the configured ones, skipping repeats.
    pub fn add(&mut self, extra: &[String]) {
        for c in extra {
            if !self.commands.contains(c) {
                self.commands.push(c.clone());
            }
        }
    }
}
