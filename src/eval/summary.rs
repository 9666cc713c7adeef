//! The summaries a report computes from its runs: per configuration and per task.

use super::stats::Estimate;
use serde::{Deserialize, Serialize};

/// Mean, standard deviation and range of a rate over the repeats.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub mean: f64,
    pub stddev: f64,
    pub min: f64,
    pub max: f64,
}

/// One configuration over all its runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigSummary {
    pub config: String,
    pub runs: usize,
    pub solved: usize,
    /// The share of tasks solved, per repeat: mean and spread.
    pub pass_rate: Spread,
    pub mean_steps: f64,
    pub mean_input_tokens: f64,
    pub mean_output_tokens: f64,
    /// Total over the runs that reported a cost; `None` when none did.
    pub cost_usd: Option<f64>,
    pub cost_per_solved_usd: Option<f64>,
    pub mean_wall_ms: u64,
    /// Solved runs over runs with its Wilson 95% interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_rate_ci: Option<Estimate>,
    /// The cost of one pass over the suite (one repeat), mean over the repeats with a Student-t
    /// 95% interval; the interval is the point itself with one repeat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_cost_ci: Option<Estimate>,
    /// Cost per solved run, per repeat, mean over the repeats that solved something.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_solved_ci: Option<Estimate>,
}

/// Which configurations solved one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSummary {
    pub task: String,
    pub solved_by: Vec<String>,
    pub results: Vec<TaskResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskResult {
    pub config: String,
    pub solved: usize,
    pub runs: usize,
}
