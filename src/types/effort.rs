//! How hard a model should think before answering: one knob for every provider, mapped to each
//! API at the edge (OpenAI `reasoning.effort`, Anthropic adaptive effort or a thinking budget).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Reasoning effort, from cheapest to most thorough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    Minimal,
    Low,
    Medium,
    High,
}

impl Effort {
    /// The name used in config files, on the command line and in OpenAI's `reasoning.effort`.
    pub fn as_str(self) -> &'static str {
        match self {
            Effort::Minimal => "minimal",
            Effort::Low => "low",
            Effort::Medium => "medium",
            Effort::High => "high",
        }
    }
}

impl fmt::Display for Effort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An effort name that is not one of the four.
#[derive(Debug, thiserror::Error)]
#[error("unknown effort `{0}`: expected `minimal`, `low`, `medium` or `high`")]
pub struct UnknownEffort(pub String);

impl FromStr for Effort {
    type Err = UnknownEffort;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "minimal" => Ok(Effort::Minimal),
            "low" => Ok(Effort::Low),
            "medium" => Ok(Effort::Medium),
            "high" => Ok(Effort::High),
            other => Err(UnknownEffort(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order_by_cost() {
        for e in [Effort::Minimal, Effort::Low, Effort::Medium, Effort::High] {
            assert_eq!(e.to_string().parse::<Effort>().unwrap(), e);
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(json, format!("\"{e}\""));
        }
        assert!(Effort::Low < Effort::High);
        assert!("max".parse::<Effort>().is_err());
    }
}
