//! `reins eval compare A.json B.json`: what changed between two runs, regressions first.

use super::report::{ConfigSummary, Report};
use super::significance::{paired, PairTest, Rates};
use super::table::{columns, cut_middle, p_value, pct_interval, usd};

/// One (task, configuration) whose solve rate moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub task: String,
    pub config: String,
    /// (solved, runs) in A and in B.
    pub before: (usize, usize),
    pub after: (usize, usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub regressions: Vec<Change>,
    pub improvements: Vec<Change>,
    pub solved_in_both: usize,
    pub unsolved_in_both: usize,
    /// (task, configuration) pairs present in only one report.
    pub only_a: Vec<String>,
    pub only_b: Vec<String>,
    /// Each configuration in A and in B.
    pub configs: Vec<ConfigChange>,
}

/// One configuration from A to B: its summaries, and the paired test over the tasks both
/// reports ran it on (the same test `reins eval` uses between configurations).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigChange {
    pub label: String,
    pub a: Option<ConfigSummary>,
    pub b: Option<ConfigSummary>,
    pub test: Option<PairTest>,
}

/// Pairs results by task and configuration. Two single-configuration reports of different
/// configurations (one model against another) are paired by task alone.
pub fn compare(a: &Report, b: &Report) -> Comparison {
    let cross =
        a.plan.configs.len() == 1 && b.plan.configs.len() == 1 && a.plan.configs != b.plan.configs;
    let key = |task: &str, config: &str| {
        if cross {
            task.to_string()
        } else {
            format!("{task} · {config}")
        }
    };
    let pairs = |r: &Report| -> Vec<(String, String, String, (usize, usize))> {
        r.tasks
            .iter()
            .flat_map(|t| t.results.iter().map(move |x| (t, x)))
            .filter(|(_, x)| x.runs > 0)
            .map(|(t, x)| {
                (
                    key(&t.task, &x.config),
                    t.task.clone(),
                    x.config.clone(),
                    (x.solved, x.runs),
                )
            })
            .collect()
    };
    let (pa, pb) = (pairs(a), pairs(b));
    let mut c = Comparison {
        regressions: Vec::new(),
        improvements: Vec::new(),
        solved_in_both: 0,
        unsolved_in_both: 0,
        only_a: Vec::new(),
        only_b: Vec::new(),
        configs: config_pairs(a, b, cross),
    };
    for (k, task, config, before) in &pa {
        let Some((_, _, config_b, after)) = pb.iter().find(|(kb, ..)| kb == k) else {
            c.only_a.push(k.clone());
            continue;
        };
        let change = Change {
            task: task.clone(),
            config: if cross {
                format!("{config} → {config_b}")
            } else {
                config.clone()
            },
            before: *before,
            after: *after,
        };
        match rate(*after).partial_cmp(&rate(*before)) {
            Some(std::cmp::Ordering::Less) => c.regressions.push(change),
            Some(std::cmp::Ordering::Greater) => c.improvements.push(change),
            _ if before.0 > 0 => c.solved_in_both += 1,
            _ => c.unsolved_in_both += 1,
        }
    }
    c.only_b = pb
        .iter()
        .filter(|(k, ..)| !pa.iter().any(|(ka, ..)| ka == k))
        .map(|(k, ..)| k.clone())
        .collect();
    c
}

fn rate((solved, runs): (usize, usize)) -> f64 {
    if runs == 0 {
        0.0
    } else {
        solved as f64 / runs as f64
    }
}

fn config_pairs(a: &Report, b: &Report, cross: bool) -> Vec<ConfigChange> {
    if cross {
        let (ca, cb) = (&a.plan.configs[0], &b.plan.configs[0]);
        return vec![ConfigChange {
            label: format!("{ca} → {cb}"),
            a: a.configs.first().cloned(),
            b: b.configs.first().cloned(),
            test: Some(test(a, ca, b, cb)),
        }];
    }
    let mut labels: Vec<String> = a.plan.configs.clone();
    labels.extend(
        b.plan
            .configs
            .iter()
            .filter(|c| !labels.contains(c))
            .cloned()
            .collect::<Vec<_>>(),
    );
    labels
        .into_iter()
        .map(|l| {
            let find = |r: &Report| r.configs.iter().find(|c| c.config == l).cloned();
            let (x, y) = (find(a), find(b));
            let test = (x.is_some() && y.is_some()).then(|| test(a, &l, b, &l));
            ConfigChange {
                label: l,
                a: x,
                b: y,
                test,
            }
        })
        .collect()
}

/// The paired test of `ca` in A against `cb` in B over the tasks both ran, matched by name.
fn test(a: &Report, ca: &str, b: &Report, cb: &str) -> PairTest {
    let of = |r: &Report, c: &str, task: &str| {
        r.tasks
            .iter()
            .find(|t| t.task == task)
            .and_then(|t| t.results.iter().find(|x| x.config == c && x.runs > 0))
            .map(|x| (x.solved, x.runs))
    };
    let (ra, rb): (Rates, Rates) = a
        .tasks
        .iter()
        .map(|t| (of(a, ca, &t.task), of(b, cb, &t.task)))
        .unzip();
    paired("A", &ra, "B", &rb)
}

impl Comparison {
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (title, list) in [
            ("regressions", &self.regressions),
            ("improvements", &self.improvements),
        ] {
            out.push_str(&format!("{title} ({}):\n", list.len()));
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|c| {
                    vec![
                        format!("  {}", c.task),
                        cut_middle(&c.config, 44),
                        format!(
                            "{}/{} → {}/{}",
                            c.before.0, c.before.1, c.after.0, c.after.1
                        ),
                    ]
                })
                .collect();
            out.push_str(&columns(&rows));
        }
        out.push_str(&format!(
            "unchanged: {} solved in both, {} unsolved in both\n",
            self.solved_in_both, self.unsolved_in_both
        ));
        for (which, list) in [("A", &self.only_a), ("B", &self.only_b)] {
            if !list.is_empty() {
                out.push_str(&format!("only in {which}: {}\n", list.join(", ")));
            }
        }
        out.push('\n');
        out.push_str(&self.configs_table());
        out
    }

    fn configs_table(&self) -> String {
        let mut rows = vec![[
            "configuration",
            "pass rate A → B",
            "$/solved A → B",
            "steps A → B",
            "A better · B better · tied",
            "p",
        ]
        .map(String::from)
        .to_vec()];
        let arrow = |a: String, b: String| format!("{a} → {b}");
        for ConfigChange { label, a, b, test } in &self.configs {
            let pct = |c: &Option<ConfigSummary>| {
                c.as_ref().map_or("—".into(), |c| {
                    format!(
                        "{:.1}% {}",
                        c.pass_rate.mean * 100.0,
                        pct_interval(c.pass_rate_ci.as_ref())
                    )
                })
            };
            let cps =
                |c: &Option<ConfigSummary>| usd(c.as_ref().and_then(|c| c.cost_per_solved_usd));
            let steps = |c: &Option<ConfigSummary>| {
                c.as_ref()
                    .map_or("—".into(), |c| format!("{:.1}", c.mean_steps))
            };
            rows.push(vec![
                cut_middle(label, 44),
                arrow(pct(a), pct(b)),
                arrow(cps(a), cps(b)),
                arrow(steps(a), steps(b)),
                test.as_ref().map_or("—".into(), |t| {
                    format!("{} · {} · {}", t.a_better, t.b_better, t.ties)
                }),
                test.as_ref().map_or("—".into(), |t| {
                    format!(
                        "{}{}",
                        p_value(t.p_value),
                        if t.significant { " significant" } else { "" }
                    )
                }),
            ]);
        }
        columns(&rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::report::{Plan, RunResult};

    fn report(config: &str, passed: &[(&str, bool)]) -> Report {
        let runs = passed
            .iter()
            .map(|(t, p)| RunResult {
                task: t.to_string(),
                config: config.into(),
                repeat: 0,
                status: "done".into(),
                passed: *p,
                steps: 1,
                input_tokens: 1,
                output_tokens: 1,
                cost_usd: None,
                wall_ms: 1,
                checks: Vec::new(),
                error: None,
            })
            .collect();
        let plan = Plan {
            tasks: passed.iter().map(|(t, _)| t.to_string()).collect(),
            configs: vec![config.into()],
            repeat: 1,
            units: passed.len(),
        };
        Report::build("s", plan, None, runs)
    }

    #[test]
    fn regressions_come_first_and_unchanged_are_counted() {
        let a = report("m", &[("x", true), ("y", false), ("z", true)]);
        let b = report("m", &[("x", false), ("y", true), ("z", true)]);
        let c = compare(&a, &b);
        assert_eq!(c.regressions.len(), 1);
        assert_eq!(c.regressions[0].task, "x");
        assert_eq!(c.improvements[0].task, "y");
        assert_eq!((c.solved_in_both, c.unsolved_in_both), (1, 0));
        let text = c.render();
        assert!(text.find("regressions").unwrap() < text.find("improvements").unwrap());
    }

    #[test]
    fn each_configuration_is_tested_over_the_tasks_both_ran() {
        let names = ["t1", "t2", "t3", "t4", "t5", "t6", "t7"];
        let a: Vec<(&str, bool)> = names.iter().map(|t| (*t, true)).collect();
        let mut b: Vec<(&str, bool)> = names.iter().map(|t| (*t, false)).collect();
        b[6].1 = true;
        b.push(("only-b", true));
        let c = compare(&report("m", &a), &report("m", &b));
        let t = c.configs[0].test.as_ref().unwrap();
        // Six discordant tasks all one way: McNemar's exact p = 2 / 2^6.
        assert_eq!((t.a_better, t.b_better, t.ties), (6, 0, 1));
        assert_eq!(t.p_value, 0.03125);
        assert!(t.significant);
        let text = c.render();
        assert!(
            text.contains("6 · 0 · 1") && text.contains("0.0312 significant"),
            "{text}"
        );
    }

    #[test]
    fn two_single_model_reports_pair_by_task() {
        let a = report("m1", &[("x", true)]);
        let b = report("m2", &[("x", false)]);
        let c = compare(&a, &b);
        assert_eq!(c.regressions[0].config, "m1 → m2");
    }
}
