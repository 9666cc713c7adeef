//! The approval policy's name, as written in config files and on the command line.

use serde::{Deserialize, Serialize};

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
