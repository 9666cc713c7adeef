//! The three sandbox modes, as named in the config file and on the command line.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How much a child process (and a file tool) may change on the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// Read everything, write nothing (except terminal and null devices).
    ReadOnly,
    /// Write the workspace and the temp dirs; `.git` internals and the project config stay
    /// read-only.
    WorkspaceWrite,
    /// No confinement at all.
    Full,
}

impl SandboxMode {
    /// The name used in config files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxMode::ReadOnly => "read-only",
            SandboxMode::WorkspaceWrite => "workspace-write",
            SandboxMode::Full => "full",
        }
    }
}

impl fmt::Display for SandboxMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sandbox mode name that is not one of the three.
#[derive(Debug, thiserror::Error)]
#[error("unknown sandbox mode `{0}`: expected `read-only`, `workspace-write` or `full`")]
pub struct UnknownSandboxMode(pub String);

impl FromStr for SandboxMode {
    type Err = UnknownSandboxMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "read-only" => Ok(SandboxMode::ReadOnly),
            "workspace-write" => Ok(SandboxMode::WorkspaceWrite),
            "full" => Ok(SandboxMode::Full),
            other => Err(UnknownSandboxMode(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_str_and_serde() {
        for mode in [
            SandboxMode::ReadOnly,
            SandboxMode::WorkspaceWrite,
            SandboxMode::Full,
        ] {
            assert_eq!(mode.to_string().parse::<SandboxMode>().unwrap(), mode);
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{mode}\""));
            assert_eq!(serde_json::from_str::<SandboxMode>(&json).unwrap(), mode);
        }
    }

    #[test]
    fn unknown_mode_is_an_error_naming_it() {
        let err = "readonly".parse::<SandboxMode>().unwrap_err();
        assert!(err.to_string().contains("`readonly`"));
    }
}
