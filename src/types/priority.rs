//! A review finding's priority: shared by the review, its CLI flag (`--fail-on`) and config
//! (`[review] fail_on`).

use serde::{Deserialize, Serialize};

/// How much a finding matters: P0 blocks a release, P3 is a nit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    P0,
    P1,
    P2,
    P3,
}

impl Priority {
    pub fn label(self) -> &'static str {
        match self {
            Priority::P0 => "P0",
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
        }
    }

    /// Whether a finding of this priority reaches the `--fail-on` threshold.
    pub fn reaches(self, threshold: Priority) -> bool {
        self <= threshold
    }
}

/// A word that is not P0-P3.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a priority: P0, P1, P2 or P3")]
pub struct UnknownPriority(pub String);

impl std::str::FromStr for Priority {
    type Err = UnknownPriority;
    fn from_str(s: &str) -> Result<Self, UnknownPriority> {
        match s.to_ascii_uppercase().as_str() {
            "P0" => Ok(Priority::P0),
            "P1" => Ok(Priority::P1),
            "P2" => Ok(Priority::P2),
            "P3" => Ok(Priority::P3),
            _ => Err(UnknownPriority(s.to_string())),
        }
    }
}
