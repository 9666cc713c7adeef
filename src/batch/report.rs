//! What a batch run (or one shard of it) reports: how each task's session ended, and the merge
//! of shard reports into the report of the whole batch.

use super::BatchError;
use crate::eval::Shard;
use serde::{Deserialize, Serialize};

/// Raised when a field changes meaning or goes away.
pub const BATCH_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchReport {
    pub schema_version: u32,
    pub batch: String,
    /// Tasks in the whole batch (a shard runs some of them).
    pub tasks: usize,
    /// The shard this report covers; `null` for the whole batch.
    pub shard: Option<Shard>,
    /// In the batch file's order.
    pub results: Vec<TaskResult>,
}

/// How one task ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskResult {
    /// Its place in the batch file (0-based).
    pub index: usize,
    pub name: String,
    /// `exec` or `run`.
    pub command: String,
    /// The `reins` process's exit code (`null` when it was killed by a signal or did not start).
    pub exit_code: Option<i32>,
    /// The session's status (`done`, `max_steps`, `checks_failed`…), `null` when it never finished.
    pub status: Option<String>,
    pub session_id: Option<String>,
    pub steps: u32,
    pub cost_usd: Option<f64>,
    pub duration_ms: u64,
    /// Why the task could not run, or the session's last error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TaskResult {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }
}

impl BatchReport {
    pub fn read(path: &std::path::Path) -> Result<BatchReport, BatchError> {
        let text = std::fs::read_to_string(path).map_err(|source| BatchError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| BatchError::Invalid {
            path: path.to_path_buf(),
            message: format!("not a batch report: {e}"),
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// The tasks this report should have: all of them, or its shard's (every N-th from the I-th).
    pub fn expected(&self) -> usize {
        match self.shard {
            None => self.tasks,
            Some(s) => (0..self.tasks)
                .filter(|i| *i as u32 % s.count == s.index - 1)
                .count(),
        }
    }

    /// Tasks this report should have and has no result for.
    pub fn missing(&self) -> usize {
        self.expected().saturating_sub(self.results.len())
    }

    /// 0 when every task ran and succeeded, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.missing() > 0 || !self.results.iter().all(TaskResult::succeeded))
    }

    /// One line per task, then the totals.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for r in &self.results {
            out.push_str(&format!(
                "{:<24} {:<4} {:<14} exit {:<4} {:>3} steps  {}\n",
                r.name,
                r.command,
                r.status.as_deref().unwrap_or("-"),
                r.exit_code.map_or("-".into(), |c| c.to_string()),
                r.steps,
                r.cost_usd
                    .map_or("cost unknown".into(), crate::types::usd::show),
            ));
        }
        let ok = self.results.iter().filter(|r| r.succeeded()).count();
        let costs: Vec<f64> = self.results.iter().filter_map(|r| r.cost_usd).collect();
        let cost = match costs.is_empty() {
            true => "cost unknown".to_string(),
            false => crate::types::usd::show(costs.iter().fold(0.0, |a, c| a + c)),
        };
        out.push_str(&format!(
            "{ok} of {} tasks succeeded; {cost}\n",
            self.expected()
        ));
        if self.missing() > 0 {
            out.push_str(&format!("{} tasks have no result here\n", self.missing()));
        }
        out
    }
}

/// The shard reports of one batch as the report of the whole: the same batch, each task at
/// most once.
pub fn merge(reports: Vec<BatchReport>) -> Result<BatchReport, BatchError> {
    let first = reports
        .first()
        .ok_or_else(|| BatchError::Merge("no report given".into()))?;
    let (batch, tasks) = (first.batch.clone(), first.tasks);
    let mut results: Vec<TaskResult> = Vec::new();
    for r in reports {
        if r.batch != batch || r.tasks != tasks {
            return Err(BatchError::Merge(format!(
                "`{}` ({} tasks) and `{}` ({} tasks) are not shards of the same batch",
                batch, tasks, r.batch, r.tasks
            )));
        }
        results.extend(r.results);
    }
    results.sort_by_key(|r| r.index);
    if let Some(w) = results.windows(2).find(|w| w[0].index == w[1].index) {
        return Err(BatchError::Merge(format!(
            "task `{}` is in two reports (the same shard given twice?)",
            w[0].name
        )));
    }
    Ok(BatchReport {
        schema_version: BATCH_SCHEMA_VERSION,
        batch,
        tasks,
        shard: None,
        results,
    })
}
