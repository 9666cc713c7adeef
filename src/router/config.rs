//! The `[router]` / `[routers.NAME]` table as written in TOML. Every table field has a default so a
//! single config layer may set one key (as in the rest of the schema); completeness is checked when
//! a [`Router`](super::Router) is built from the merged table.

use super::step::StepKind;
use serde::{Deserialize, Serialize};

/// One router table.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RouterConfig {
    /// The `[models.*]` key used when no rule matches and the ladder has not escalated.
    pub default: String,
    /// Escalation order, cheapest first. If `default` is not in it, it sits below the first rung.
    pub ladder: Vec<String>,
    /// Consecutive failing steps before moving one rung up.
    pub escalate_after: u32,
    /// Consecutive successful steps before moving one rung back down.
    pub deescalate_after: u32,
    /// Evaluated in order before the ladder; the first match wins.
    pub rules: Vec<Rule>,
    /// Used when the chosen model's provider keeps failing after retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            default: String::new(),
            ladder: Vec::new(),
            escalate_after: 2,
            deescalate_after: 3,
            rules: Vec::new(),
            fallback: None,
        }
    }
}

/// A rule: every condition that is set must hold; `model` is then used for the step.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<StepKind>,
    /// `loop = true`: the same tool call was repeated; `false`: it was not.
    #[serde(default, rename = "loop", skip_serializing_if = "Option::is_none")]
    pub looping: Option<bool>,
    /// Session cost in USD strictly above this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_above: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures_at_least: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps_above: Option<u32>,
    /// Context fill in percent of the window, strictly above this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_above: Option<f64>,
    pub model: String,
    /// The reasoning effort for the steps this rule routes (a cheap step at `low`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<crate::types::Effort>,
}
