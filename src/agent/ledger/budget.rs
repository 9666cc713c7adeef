//! The session's spending limit as routing applies it: each request is checked against the
//! budget before it is made, and a model without prices is reported once, not before every step.

use crate::agent::routing::Entry;
use crate::router::{Budget, BudgetCheck};
use std::collections::BTreeSet;

/// The budget, if any, and the unpriced models already reported.
pub(super) struct BudgetGuard {
    budget: Option<Budget>,
    unpriced_told: BTreeSet<String>,
}

impl BudgetGuard {
    pub(super) fn new(budget: Option<Budget>) -> Self {
        BudgetGuard {
            budget,
            unpriced_told: BTreeSet::new(),
        }
    }

    /// Checks a request to `entry` whose input is about `input_tokens`, after `spent`, expecting
    /// `avg_output` output tokens; `Unpriced` the first time a model without prices is seen only.
    pub(super) fn check(
        &mut self,
        entry: &Entry,
        spent: f64,
        input_tokens: u64,
        avg_output: f64,
    ) -> BudgetCheck {
        let Some(budget) = self.budget.as_mut() else {
            return BudgetCheck::Ok;
        };
        match budget.check(spent, input_tokens, avg_output, entry.model.prices.as_ref()) {
            BudgetCheck::Unpriced if !self.unpriced_told.insert(entry.model.label.clone()) => {
                BudgetCheck::Ok
            }
            other => other,
        }
    }

    pub(super) fn max_cost(&self) -> Option<f64> {
        self.budget.as_ref().map(|b| b.max_cost())
    }
}
