//! The eval report: every run's result and the summaries computed from them. Everything but the
//! wall times is a function of the runs, and the runs are kept in plan order, so merging shard
//! reports gives byte for byte the report of one unsharded run (wall times aside).

use super::plan::Shard;
use super::significance::{self, Choice, PairTest};
use super::stats::{self, Estimate};
pub use super::summary::{ConfigSummary, Spread, TaskResult, TaskSummary};
use super::EvalError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What was asked for: the tasks and configurations, in order, and the repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub tasks: Vec<String>,
    pub configs: Vec<String>,
    pub repeat: u32,
    /// tasks × configs × repeat.
    pub units: usize,
}

/// One hidden check's verdict on a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRecord {
    pub command: String,
    pub passed: bool,
    pub exit_code: Option<i32>,
    pub summary: String,
}

/// One run of one task with one configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub task: String,
    pub config: String,
    pub repeat: u32,
    /// The session's status (`done`, `max_steps`, …), or `timeout` / `crashed` / `error` when
    /// the harness had to end it or could not start it.
    pub status: String,
    /// Whether every hidden check passed afterwards.
    pub passed: bool,
    pub steps: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    pub wall_ms: u64,
    pub checks: Vec<CheckRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub suite: String,
    pub plan: Plan,
    /// Set on the report of one shard; absent on a whole (or merged) report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    pub configs: Vec<ConfigSummary>,
    pub tasks: Vec<TaskSummary>,
    /// Every pair of configurations tested over the same tasks.
    #[serde(default)]
    pub pairs: Vec<PairTest>,
    /// The cheapest configuration not significantly worse than the best.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<Choice>,
    pub runs: Vec<RunResult>,
}

impl Report {
    /// Sorts `runs` into plan order and computes the summaries.
    pub fn build(suite: &str, plan: Plan, shard: Option<Shard>, mut runs: Vec<RunResult>) -> Self {
        runs.sort_by_key(|r| order(&plan, r));
        let configs: Vec<ConfigSummary> = plan
            .configs
            .iter()
            .map(|c| config_summary(c, plan.repeat, &runs))
            .collect();
        let tasks: Vec<TaskSummary> = plan
            .tasks
            .iter()
            .map(|t| task_summary(t, &plan.configs, &runs))
            .collect();
        let pairs = significance::all_pairs(&plan.configs, &tasks);
        let choice = significance::choose(&configs, &pairs);
        Report {
            suite: suite.to_string(),
            plan,
            shard,
            configs,
            tasks,
            pairs,
            choice,
            runs,
        }
    }

    pub fn read(path: &Path) -> Result<Report, EvalError> {
        let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| EvalError::Report {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }

    /// How many planned units have no run in this report.
    pub fn missing(&self) -> usize {
        self.plan.units.saturating_sub(self.runs.len())
    }
}

/// A run's position in the plan; runs of tasks or configs not in the plan go last.
fn order(plan: &Plan, r: &RunResult) -> (usize, usize, u32) {
    let pos = |list: &[String], x: &str| list.iter().position(|y| y == x).unwrap_or(usize::MAX);
    (
        pos(&plan.tasks, &r.task),
        pos(&plan.configs, &r.config),
        r.repeat,
    )
}

fn config_summary(config: &str, repeat: u32, all: &[RunResult]) -> ConfigSummary {
    let runs: Vec<&RunResult> = all.iter().filter(|r| r.config == config).collect();
    let (repeat_costs, per_solved) = repeat_costs(&runs, repeat);
    let n = runs.len();
    let solved = runs.iter().filter(|r| r.passed).count();
    let mean = |f: &dyn Fn(&RunResult) -> f64| {
        if n == 0 {
            0.0
        } else {
            round(runs.iter().map(|r| f(r)).sum::<f64>() / n as f64)
        }
    };
    let costs: Vec<f64> = runs.iter().filter_map(|r| r.cost_usd).collect();
    let cost = (!costs.is_empty()).then(|| costs.iter().sum::<f64>());
    ConfigSummary {
        config: config.to_string(),
        runs: n,
        solved,
        pass_rate: pass_rate(&runs, repeat),
        mean_steps: mean(&|r| r.steps as f64),
        mean_input_tokens: mean(&|r| r.input_tokens as f64),
        mean_output_tokens: mean(&|r| r.output_tokens as f64),
        cost_usd: cost,
        cost_per_solved_usd: cost.filter(|_| solved > 0).map(|c| c / solved as f64),
        mean_wall_ms: if n == 0 {
            0
        } else {
            runs.iter().map(|r| r.wall_ms).sum::<u64>() / n as u64
        },
        pass_rate_ci: stats::wilson(solved, n).map(round_estimate),
        repeat_cost_ci: stats::mean_interval(&repeat_costs).map(cost_estimate),
        cost_per_solved_ci: stats::mean_interval(&per_solved).map(cost_estimate),
    }
}

/// Per repeat that has a cost: what its runs cost together, and that over its solved runs
/// (repeats that solved nothing have no cost per solved run).
fn repeat_costs(runs: &[&RunResult], repeat: u32) -> (Vec<f64>, Vec<f64>) {
    let mut costs = Vec::new();
    let mut per_solved = Vec::new();
    for k in 0..repeat {
        let of_k: Vec<&&RunResult> = runs.iter().filter(|r| r.repeat == k).collect();
        let known: Vec<f64> = of_k.iter().filter_map(|r| r.cost_usd).collect();
        if known.is_empty() {
            continue;
        }
        let cost: f64 = known.iter().sum();
        costs.push(cost);
        let solved = of_k.iter().filter(|r| r.passed).count();
        if solved > 0 {
            per_solved.push(cost / solved as f64);
        }
    }
    (costs, per_solved)
}

/// A cost's interval: no cost is negative, whatever the t interval of few repeats says.
fn cost_estimate(e: Estimate) -> Estimate {
    round_estimate(Estimate {
        low: e.low.max(0.0),
        ..e
    })
}

/// Interval bounds rounded like the other figures (six decimals: costs are in dollars).
fn round_estimate(e: Estimate) -> Estimate {
    let r = |x: f64| (x * 1e6).round() / 1e6;
    Estimate {
        value: r(e.value),
        low: r(e.low),
        high: r(e.high),
    }
}

/// The solved share of each repeat's runs, summarised over the repeats that have runs.
fn pass_rate(runs: &[&RunResult], repeat: u32) -> Spread {
    let rates: Vec<f64> = (0..repeat)
        .filter_map(|k| {
            let of_k: Vec<&&RunResult> = runs.iter().filter(|r| r.repeat == k).collect();
            let solved = of_k.iter().filter(|r| r.passed).count();
            (!of_k.is_empty()).then(|| solved as f64 / of_k.len() as f64)
        })
        .collect();
    if rates.is_empty() {
        return Spread {
            mean: 0.0,
            stddev: 0.0,
            min: 0.0,
            max: 0.0,
        };
    }
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    let var = rates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / rates.len() as f64;
    Spread {
        mean: round(mean),
        stddev: round(var.sqrt()),
        min: round(rates.iter().copied().fold(f64::INFINITY, f64::min)),
        max: round(rates.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
    }
}

fn task_summary(task: &str, configs: &[String], runs: &[RunResult]) -> TaskSummary {
    let results: Vec<TaskResult> = configs
        .iter()
        .map(|c| {
            let of: Vec<&RunResult> = runs
                .iter()
                .filter(|r| r.task == task && &r.config == c)
                .collect();
            TaskResult {
                config: c.clone(),
                solved: of.iter().filter(|r| r.passed).count(),
                runs: of.len(),
            }
        })
        .collect();
    TaskSummary {
        task: task.to_string(),
        solved_by: results
            .iter()
            .filter(|r| r.solved > 0)
            .map(|r| r.config.clone())
            .collect(),
        results,
    }
}

/// Four decimals: enough for rates and means, and stable text in the JSON.
fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Combines reports of the same plan (shards) into one. Runs must not overlap.
pub fn merge(reports: Vec<Report>) -> Result<Report, EvalError> {
    let mut iter = reports.into_iter();
    let first = iter
        .next()
        .ok_or_else(|| EvalError::Merge("no reports given".into()))?;
    let (suite, plan) = (first.suite.clone(), first.plan.clone());
    let mut runs = first.runs;
    for r in iter {
        if r.suite != suite || r.plan != plan {
            return Err(EvalError::Merge(format!(
                "the reports are of different evals (suite `{}` vs `{}`, or other tasks, configurations or repeats)",
                suite, r.suite
            )));
        }
        runs.extend(r.runs);
    }
    let mut keys: Vec<(&str, &str, u32)> = runs
        .iter()
        .map(|r| (r.task.as_str(), r.config.as_str(), r.repeat))
        .collect();
    keys.sort();
    if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
        return Err(EvalError::Merge(format!(
            "the run of task `{}` with `{}` (repeat {}) is in more than one report",
            w[0].0,
            w[0].1,
            w[0].2 + 1
        )));
    }
    Ok(Report::build(&suite, plan, None, runs))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn run(task: &str, config: &str, repeat: u32, passed: bool) -> RunResult {
        RunResult {
            task: task.into(),
            config: config.into(),
            repeat,
            status: "done".into(),
            passed,
            steps: 2,
            input_tokens: 100,
            output_tokens: 10,
            cost_usd: Some(0.01),
            wall_ms: 5,
            checks: Vec::new(),
            error: None,
        }
    }

    fn plan() -> Plan {
        Plan {
            tasks: vec!["a".into(), "b".into()],
            configs: vec!["x".into(), "y".into()],
            repeat: 2,
            units: 8,
        }
    }

    fn runs() -> Vec<RunResult> {
        vec![
            run("a", "x", 0, true),
            run("a", "x", 1, true),
            run("b", "x", 0, true),
            run("b", "x", 1, false),
            run("a", "y", 0, false),
            run("a", "y", 1, false),
            run("b", "y", 0, false),
            run("b", "y", 1, true),
        ]
    }

    #[test]
    fn summaries_give_pass_rate_spread_and_cost_per_solved() {
        let r = Report::build("s", plan(), None, runs());
        let x = &r.configs[0];
        assert_eq!((x.runs, x.solved), (4, 3));
        assert_eq!(
            x.pass_rate,
            Spread {
                mean: 0.75,
                stddev: 0.25,
                min: 0.5,
                max: 1.0
            }
        );
        assert_eq!(x.cost_per_solved_usd, Some(0.04 / 3.0));
        // Wilson 3/4 (statsmodels): [0.300636, 0.954413]; repeats cost 0.02 each.
        let ci = x.pass_rate_ci.unwrap();
        assert_eq!((ci.low, ci.high), (0.300642, 0.954413));
        let cost = x.repeat_cost_ci.unwrap();
        assert_eq!((cost.value, cost.low, cost.high), (0.02, 0.02, 0.02));
        // Per solved: 0.02 / 2 and 0.02 / 1 -> mean 0.015, t(1) interval (scipy) [-0.048531,
        // 0.078531], a cost's cut at zero.
        let ps = x.cost_per_solved_ci.unwrap();
        assert_eq!((ps.value, ps.low, ps.high), (0.015, 0.0, 0.078531));
        assert_eq!(r.pairs.len(), 1);
        assert_eq!(
            (r.pairs[0].a_better, r.pairs[0].b_better, r.pairs[0].ties),
            (1, 0, 1)
        );
        assert_eq!(r.tasks[0].solved_by, ["x"]);
        assert_eq!(r.tasks[1].solved_by, ["x", "y"]);
        assert_eq!(r.runs[0].task, "a");
        assert_eq!(r.runs[4].config, "x");
    }

    #[test]
    fn merged_halves_equal_the_whole() {
        let all = runs();
        let whole = Report::build("s", plan(), None, all.clone());
        let one = Report::build(
            "s",
            plan(),
            Some(Shard { index: 1, count: 2 }),
            all[..3].to_vec(),
        );
        let two = Report::build(
            "s",
            plan(),
            Some(Shard { index: 2, count: 2 }),
            all[3..].to_vec(),
        );
        assert_eq!(merge(vec![two, one]).unwrap(), whole);
    }

    #[test]
    fn overlapping_or_foreign_reports_do_not_merge() {
        let a = Report::build("s", plan(), None, runs());
        let err = merge(vec![a.clone(), a.clone()]).unwrap_err().to_string();
        assert!(err.contains("more than one report"), "{err}");
        let mut other = a.clone();
        other.plan.repeat = 3;
        assert!(merge(vec![a, other]).is_err());
    }
}
