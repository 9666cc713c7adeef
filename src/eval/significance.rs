//! Which differences between configurations a decision can rest on: a paired sign test over the
//! tasks both ran (the same tasks, so a hard task does not count against one side only), and
//! from those tests the cheapest configuration that is not significantly worse than the best.

use super::stats::{sign_test, significant};
use super::summary::{ConfigSummary, TaskSummary};
use serde::{Deserialize, Serialize};

/// The paired test of two configurations over the tasks both ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairTest {
    pub a: String,
    pub b: String,
    /// Tasks where A's solve rate is higher, where B's is, and where they are equal.
    pub a_better: usize,
    pub b_better: usize,
    pub ties: usize,
    /// Exact two-sided sign test (McNemar's exact test when every task ran once).
    pub p_value: f64,
    pub significant: bool,
}

/// What the report recommends: among the configurations not significantly worse than the one
/// with the best pass rate, the one that costs least per run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub best: String,
    pub best_pass_rate: f64,
    pub cheapest: String,
    pub cheapest_pass_rate: f64,
    /// `None` when no candidate has a known cost (the best is named as the cheapest then).
    pub cost_per_run_usd: Option<f64>,
    /// The test of the cheapest against the best; `None` when they are the same.
    pub p_value: Option<f64>,
}

/// (solved, runs) per task, `None` where the configuration did not run the task.
pub type Rates = Vec<Option<(usize, usize)>>;

/// The rates of `config` over `tasks`, in task order.
pub fn rates(tasks: &[TaskSummary], config: &str) -> Rates {
    tasks
        .iter()
        .map(|t| {
            t.results
                .iter()
                .find(|r| r.config == config && r.runs > 0)
                .map(|r| (r.solved, r.runs))
        })
        .collect()
}

/// Tests A against B over the tasks both ran (same index in both lists).
pub fn paired(a: &str, ra: &Rates, b: &str, rb: &Rates) -> PairTest {
    let (mut a_better, mut b_better, mut ties) = (0, 0, 0);
    for ((sa, na), (sb, nb)) in ra.iter().zip(rb).filter_map(|(x, y)| x.zip(*y)) {
        // Cross-multiplied so repeats of different counts compare exactly.
        match (sa * nb).cmp(&(sb * na)) {
            std::cmp::Ordering::Greater => a_better += 1,
            std::cmp::Ordering::Less => b_better += 1,
            std::cmp::Ordering::Equal => ties += 1,
        }
    }
    let p_value = sign_test(a_better, b_better);
    PairTest {
        a: a.to_string(),
        b: b.to_string(),
        a_better,
        b_better,
        ties,
        p_value,
        significant: significant(p_value),
    }
}

/// Every pair of configurations, in plan order (1 vs 2, 1 vs 3, …, 2 vs 3, …).
pub fn all_pairs(configs: &[String], tasks: &[TaskSummary]) -> Vec<PairTest> {
    let rates: Vec<Rates> = configs.iter().map(|c| rates(tasks, c)).collect();
    let mut out = Vec::new();
    for i in 0..configs.len() {
        for j in i + 1..configs.len() {
            out.push(paired(&configs[i], &rates[i], &configs[j], &rates[j]));
        }
    }
    out
}

/// The mean cost of one run; `None` when no run reported a cost (a run without one, such as a
/// crash before its first request, counts as costing nothing).
pub fn cost_per_run(c: &ConfigSummary) -> Option<f64> {
    c.cost_usd.filter(|_| c.runs > 0).map(|x| x / c.runs as f64)
}

fn pass_rate(c: &ConfigSummary) -> f64 {
    if c.runs == 0 {
        0.0
    } else {
        c.solved as f64 / c.runs as f64
    }
}

/// The best configuration by pass rate (the cheaper one on a tie), then the cheapest of those
/// not significantly worse than it. `None` when no configuration ran.
pub fn choose(configs: &[ConfigSummary], pairs: &[PairTest]) -> Option<Choice> {
    let ran: Vec<&ConfigSummary> = configs.iter().filter(|c| c.runs > 0).collect();
    let cost = |c: &ConfigSummary| cost_per_run(c).unwrap_or(f64::INFINITY);
    let best = ran.iter().copied().reduce(|x, y| {
        if pass_rate(y) > pass_rate(x) || (pass_rate(y) == pass_rate(x) && cost(y) < cost(x)) {
            y
        } else {
            x
        }
    })?;
    let test_against_best = |c: &ConfigSummary| -> Option<&PairTest> {
        pairs.iter().find(|p| {
            (p.a == best.config && p.b == c.config) || (p.b == best.config && p.a == c.config)
        })
    };
    let significantly_worse = |c: &ConfigSummary| {
        test_against_best(c).is_some_and(|p| {
            let worse = if p.a == best.config {
                p.a_better > p.b_better
            } else {
                p.b_better > p.a_better
            };
            p.significant && worse
        })
    };
    let cheapest = ran
        .iter()
        .copied()
        .filter(|c| c.config == best.config || !significantly_worse(c))
        .filter(|c| cost_per_run(c).is_some())
        .reduce(|x, y| if cost(y) < cost(x) { y } else { x })
        .unwrap_or(best);
    Some(Choice {
        best: best.config.clone(),
        best_pass_rate: pass_rate(best),
        cheapest: cheapest.config.clone(),
        cheapest_pass_rate: pass_rate(cheapest),
        cost_per_run_usd: cost_per_run(cheapest),
        p_value: (cheapest.config != best.config)
            .then(|| test_against_best(cheapest).map(|p| p.p_value))
            .flatten(),
    })
}

/// The one line a reader acts on.
pub fn choice_line(choice: Option<&Choice>) -> String {
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    match choice {
        None => "choice: none (no configuration ran)".into(),
        Some(c) if c.cost_per_run_usd.is_none() => format!(
            "choice: `{}`: the best pass rate ({}); no configuration not significantly worse has a known cost",
            c.best,
            pct(c.best_pass_rate)
        ),
        Some(c) if c.cheapest == c.best => format!(
            "choice: `{}`: the best pass rate ({}), and nothing not significantly worse costs less (${:.4} a run)",
            c.best,
            pct(c.best_pass_rate),
            c.cost_per_run_usd.unwrap_or_default()
        ),
        Some(c) => format!(
            "choice: `{}` ({}, ${:.4} a run) is the cheapest not significantly worse than the best, `{}` ({}){}",
            c.cheapest,
            pct(c.cheapest_pass_rate),
            c.cost_per_run_usd.unwrap_or_default(),
            c.best,
            pct(c.best_pass_rate),
            c.p_value.map(|p| format!(", p = {p:.3}")).unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::summary::TaskResult;

    fn task(name: &str, results: &[(&str, usize, usize)]) -> TaskSummary {
        TaskSummary {
            task: name.into(),
            solved_by: Vec::new(),
            results: results
                .iter()
                .map(|(c, s, n)| TaskResult {
                    config: c.to_string(),
                    solved: *s,
                    runs: *n,
                })
                .collect(),
        }
    }

    #[test]
    fn pairs_count_tasks_by_rate_and_skip_tasks_one_side_missed() {
        let tasks = vec![
            task("t1", &[("x", 2, 2), ("y", 1, 2)]),
            task("t2", &[("x", 1, 2), ("y", 1, 2)]),
            task("t3", &[("x", 0, 2), ("y", 2, 2)]),
            task("t4", &[("x", 2, 2), ("y", 0, 0)]),
            task("t5", &[("x", 1, 1), ("y", 0, 3)]),
        ];
        let p = &all_pairs(&["x".into(), "y".into()], &tasks)[0];
        assert_eq!((p.a_better, p.b_better, p.ties), (2, 1, 1));
        assert_eq!(p.p_value, 1.0);
        assert!(!p.significant);
    }

    fn summary(config: &str, solved: usize, runs: usize, cost: Option<f64>) -> ConfigSummary {
        ConfigSummary {
            config: config.into(),
            runs,
            solved,
            cost_usd: cost,
            ..Default::default()
        }
    }

    fn pair(a: &str, b: &str, a_better: usize, b_better: usize) -> PairTest {
        let p_value = sign_test(a_better, b_better);
        PairTest {
            a: a.into(),
            b: b.into(),
            a_better,
            b_better,
            ties: 0,
            p_value,
            significant: significant(p_value),
        }
    }

    #[test]
    fn the_cheapest_not_significantly_worse_is_chosen() {
        let configs = [
            summary("big", 18, 20, Some(2.0)),
            summary("mid", 15, 20, Some(0.8)),
            summary("tiny", 6, 20, Some(0.1)),
        ];
        // mid is worse on 3 tasks (p = 0.25), tiny on 12 (p < 0.001).
        let pairs = [
            pair("big", "mid", 3, 0),
            pair("big", "tiny", 12, 0),
            pair("mid", "tiny", 9, 0),
        ];
        let c = choose(&configs, &pairs).unwrap();
        assert_eq!((c.best.as_str(), c.cheapest.as_str()), ("big", "mid"));
        assert!((c.cost_per_run_usd.unwrap() - 0.04).abs() < 1e-12);
        assert_eq!(c.p_value, Some(0.25));
        let line = choice_line(Some(&c));
        assert!(
            line.contains("`mid`") && line.contains("`big` (90.0%)"),
            "{line}"
        );
    }

    #[test]
    fn without_costs_the_best_is_named_and_the_best_can_be_the_cheapest() {
        let none = [summary("a", 1, 2, None), summary("b", 2, 2, None)];
        let c = choose(&none, &[pair("a", "b", 0, 1)]).unwrap();
        assert_eq!((c.cheapest.as_str(), c.cost_per_run_usd), ("b", None));
        assert!(choice_line(Some(&c))
            .contains("no configuration not significantly worse has a known cost"));
        assert_eq!(choose(&[], &[]), None);
        let one = [summary("a", 2, 2, Some(0.2)), summary("b", 0, 2, Some(1.0))];
        let c = choose(&one, &[pair("a", "b", 1, 0)]).unwrap();
        assert_eq!(c.cheapest, "a");
        assert_eq!(c.p_value, None);
    }
}
