//! What a session has spent and how it went, for `session.finished`: tokens and cost (its own
//! requests and its subagents'), how long it ran, and the refused calls and failed checks counted
//! from the events as they go by.

use super::totals::ModelTotals;
use crate::agent::events::{Event, Status};
use crate::agent::spend::Spent;
use crate::conversation::Usage;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

/// The session's running totals.
pub(super) struct Accounts {
    usage: Usage,
    /// `None` until a request with a known cost (a model without prices costs "unknown", not 0).
    cost: Option<f64>,
    started: Instant,
    tally: Arc<Tally>,
}

/// What `session.finished` counts as the events go by; shared with the recording sink.
#[derive(Default)]
pub(in crate::agent) struct Tally {
    denied_calls: AtomicU32,
    failed_checks: AtomicU32,
}

impl Tally {
    pub(in crate::agent) fn count(&self, event: &Event) {
        match event {
            Event::ToolResult { denied: true, .. } => {
                self.denied_calls.fetch_add(1, Relaxed);
            }
            Event::Check { passed: false, .. } => {
                self.failed_checks.fetch_add(1, Relaxed);
            }
            _ => {}
        }
    }
}

impl Accounts {
    pub(super) fn new() -> Self {
        Accounts {
            usage: Usage::default(),
            cost: None,
            started: Instant::now(),
            tally: Arc::default(),
        }
    }

    /// Adds one request's usage and, when known, its cost.
    pub(super) fn add(&mut self, usage: Usage, cost: Option<f64>) {
        self.usage.add(usage);
        if let Some(c) = cost {
            *self.cost.get_or_insert(0.0) += c;
        }
    }

    /// Adds what subagents spent.
    pub(super) fn roll_up(&mut self, spent: &Spent) {
        self.add(spent.usage, Some(spent.cost));
    }

    /// The cost so far; `None` when no model with known prices was used.
    pub(super) fn cost(&self) -> Option<f64> {
        self.cost
    }

    /// The cost so far, an unknown one counted as nothing (for the router and the budget).
    pub(super) fn spent(&self) -> f64 {
        self.cost.unwrap_or(0.0)
    }

    /// The counter the recording sink feeds.
    pub(super) fn tally(&self) -> Arc<Tally> {
        self.tally.clone()
    }

    /// The `session.finished` event after `steps` steps, with each model's totals.
    pub(super) fn finished(
        &self,
        status: Status,
        steps: u32,
        models: BTreeMap<String, ModelTotals>,
    ) -> Event {
        Event::SessionFinished {
            status,
            steps,
            input_tokens: self.usage.input_tokens,
            output_tokens: self.usage.output_tokens,
            cost_usd: self.cost,
            duration_ms: self.started.elapsed().as_millis() as u64,
            models,
            denied_calls: self.tally.denied_calls.load(Relaxed),
            failed_checks: self.tally.failed_checks.load(Relaxed),
        }
    }
}
