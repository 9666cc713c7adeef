//! The work of an eval: which configurations (models and routes) run, the units (task ×
//! configuration × repeat) in a fixed order, and which of them a shard takes.

use super::EvalError;
use serde::{Deserialize, Serialize};

/// What serves the model requests of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `--model NAME`; `{task}` in it is replaced by the task's name (a replay script per task).
    Model(String),
    /// `--route NAME`.
    Route(String),
    /// Neither: whatever the configuration picks.
    Default,
}

/// One configuration under evaluation, with the label reports use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalConfig {
    pub label: String,
    pub target: Target,
}

impl EvalConfig {
    /// The `reins exec` flags that select this configuration for `task`.
    pub fn flags(&self, task: &str) -> Vec<String> {
        match &self.target {
            Target::Model(m) => vec!["--model".into(), m.replace("{task}", task)],
            Target::Route(r) => vec!["--route".into(), r.clone()],
            Target::Default => Vec::new(),
        }
    }
}

/// The configurations in command-line order: models, then routes; `default_label` names the
/// configured default when there are none.
pub fn configs(models: &[String], routes: &[String], default_label: &str) -> Vec<EvalConfig> {
    let mut out: Vec<EvalConfig> = models
        .iter()
        .map(|m| EvalConfig {
            label: m.clone(),
            target: Target::Model(m.clone()),
        })
        .chain(routes.iter().map(|r| EvalConfig {
            label: format!("route:{r}"),
            target: Target::Route(r.clone()),
        }))
        .collect();
    // Each configuration once, in the order first given (a repeated --model must not double it).
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert(c.label.clone()));
    if out.is_empty() {
        out.push(EvalConfig {
            label: default_label.to_string(),
            target: Target::Default,
        });
    }
    out
}

/// One run: indexes into the suite's tasks and the configurations, and the repeat (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unit {
    pub task: usize,
    pub config: usize,
    pub repeat: u32,
}

/// Every unit, ordered by task, then configuration, then repeat.
pub fn units(tasks: usize, configs: usize, repeat: u32) -> Vec<Unit> {
    let mut out = Vec::with_capacity(tasks * configs * repeat as usize);
    for task in 0..tasks {
        for config in 0..configs {
            for r in 0..repeat {
                out.push(Unit {
                    task,
                    config,
                    repeat: r,
                });
            }
        }
    }
    out
}

/// `--shard I/N`: the I-th (1-based) of N parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = EvalError;
    fn from_str(s: &str) -> Result<Self, EvalError> {
        let bad = || EvalError::Shard(s.to_string());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// The units of `shard`: every N-th of the ordered list, starting at the I-th. Interleaving
/// rather than cutting in blocks spreads each task's runs (and their cost) over the shards.
pub fn select(all: &[Unit], shard: Option<Shard>) -> Vec<Unit> {
    match shard {
        None => all.to_vec(),
        Some(s) => all
            .iter()
            .enumerate()
            .filter(|(i, _)| *i as u32 % s.count == s.index - 1)
            .map(|(_, u)| *u)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_units_exactly() {
        let all = units(5, 3, 2);
        for n in 1..=7 {
            let mut joined: Vec<Unit> = (1..=n)
                .flat_map(|i| select(&all, Some(Shard { index: i, count: n })))
                .collect();
            joined.sort();
            assert_eq!(joined, all, "N = {n}");
        }
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        for bad in ["0/4", "5/4", "2", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn configs_label_routes_and_fall_back_to_the_default() {
        let c = configs(&["a".into()], &["cheap".into()], "x");
        let labels: Vec<&str> = c.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["a", "route:cheap"]);
        assert_eq!(configs(&[], &[], "gpt")[0].target, Target::Default);
        let m = EvalConfig {
            label: "replay:s/{task}.json".into(),
            target: Target::Model("replay:s/{task}.json".into()),
        };
        assert_eq!(m.flags("t1"), ["--model", "replay:s/t1.json"]);
    }
}
