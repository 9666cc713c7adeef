//! The approval policy's name, as written in config files and on the command line.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

/// When the user is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Approval {
    /// Nothing is ever asked: what would need approval is refused (headless runs).
    #[default]
    Never,
    /// Commands not matched by an allow rule ask; reads and sandboxed writes run.
    OnRequest,
    /// Every write and every command not matched by an allow rule asks.
    Untrusted,
}

impl std::str::FromStr for Approval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "never" => Ok(Approval::Never),
            "on-request" => Ok(Approval::OnRequest),
            "untrusted" => Ok(Approval::Untrusted),
            other => Err(format!(
                "unknown approval mode `{other}`: expected never, on-request or untrusted"
            )),
        }
    }
}

/// One session's approval policy, shared by its gate and its subagents' gates, so `/approval
/// MODE` holds for children too (including those already running).
#[derive(Debug, Clone, Default)]
pub struct SharedApproval(Arc<AtomicU8>);

impl SharedApproval {
    pub fn new(approval: Approval) -> Self {
        SharedApproval(Arc::new(AtomicU8::new(approval as u8)))
    }

    pub fn get(&self) -> Approval {
        match self.0.load(Ordering::Relaxed) {
            0 => Approval::Never,
            1 => Approval::OnRequest,
            _ => Approval::Untrusted,
        }
    }

    pub fn set(&self, approval: Approval) {
        self.0.store(approval as u8, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_policy_reads_back_every_mode_through_each_clone() {
        let shared = SharedApproval::new(Approval::Never);
        let child = shared.clone();
        for mode in [Approval::OnRequest, Approval::Untrusted, Approval::Never] {
            shared.set(mode);
            assert_eq!(child.get(), mode);
        }
    }
}
