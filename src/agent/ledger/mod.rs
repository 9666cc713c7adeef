//! What the session spends and may spend: its totals (tokens, cost, duration, refused calls and
//! failed checks, for `session.finished`), each model's totals, the budget every request is checked
//! against, and the ledger it shares with its subagents. One owner for the money, so routing only
//! picks models and the turn loop only asks "may this request go out?" and "what did it cost?".

mod accounts;
mod budget;
pub(super) mod totals;

pub use totals::ModelTotals;

use super::events::{Event, Status};
use super::routing::Entry;
use super::spend::{SharedSpend, Spent};
use crate::config::ResolvedModel;
use crate::conversation::Usage;
use crate::router::{Budget, BudgetCheck};
use accounts::{Accounts, Tally};
use budget::BudgetGuard;
use std::sync::Arc;
use totals::UsageTotals;

/// The session's spending and its limit.
pub(super) struct Ledger {
    accounts: Accounts,
    by_model: UsageTotals,
    budget: BudgetGuard,
    /// Shared with the session's subagents (or its parent and siblings): the budget is checked
    /// against the family's total, and what children spent is rolled into their parent's.
    family: Option<Arc<SharedSpend>>,
}

impl Ledger {
    pub(super) fn new(budget: Option<Budget>, family: Option<Arc<SharedSpend>>) -> Self {
        Ledger {
            accounts: Accounts::new(),
            by_model: UsageTotals::default(),
            budget: BudgetGuard::new(budget),
            family,
        }
    }

    /// Charges one request to the model's, the session's and the family's totals. Returns the
    /// usage (none reported counts as zero tokens) and the cost, `None` when it is unknown (a
    /// model without prices, or a server that reported no usage: unknown, not zero).
    pub(super) fn charge(
        &mut self,
        model: &ResolvedModel,
        usage: Option<Usage>,
    ) -> (Usage, Option<f64>) {
        let cost = self.by_model.record(model, usage);
        let usage = usage.unwrap_or_default();
        self.accounts.add(usage, cost);
        if let Some(family) = &self.family {
            family.add(usage, cost);
        }
        (usage, cost)
    }

    /// The family's spending now, taken before a tool call that may start subagents.
    pub(super) fn family_now(&self) -> Option<Spent> {
        self.family.as_ref().map(|f| f.now())
    }

    /// Takes what the family spent since `before` into this session's totals: while a call runs
    /// this session makes no request, so that is what the subagents the call started spent.
    /// `None` when they spent nothing.
    pub(super) fn roll_up_since(&mut self, before: Option<Spent>) -> Option<Spent> {
        let spent = self.family.as_ref()?.now().since(&before?);
        if spent.is_zero() {
            return None;
        }
        self.accounts.roll_up(&spent);
        Some(spent)
    }

    /// The session's cost so far; `None` when no model with known prices was used.
    pub(super) fn cost(&self) -> Option<f64> {
        self.accounts.cost()
    }

    /// The session's own cost, an unknown one counted as nothing (for the router).
    pub(super) fn spent(&self) -> f64 {
        self.accounts.spent()
    }

    /// Checks the budget before a request to `entry` whose input is about `input_tokens`,
    /// against the family's total when that is larger. Returns what was spent and the verdict;
    /// a model without prices is reported `Unpriced` the first time only.
    pub(super) fn check_budget(&mut self, entry: &Entry, input_tokens: u64) -> (f64, BudgetCheck) {
        let own = self.accounts.spent();
        let spent = match &self.family {
            Some(family) => family.now().cost.max(own),
            None => own,
        };
        let avg_output = self.by_model.average_output();
        let check = self.budget.check(entry, spent, input_tokens, avg_output);
        (spent, check)
    }

    pub(super) fn max_cost(&self) -> Option<f64> {
        self.budget.max_cost()
    }

    /// The counter the recording sink feeds.
    pub(super) fn tally(&self) -> Arc<Tally> {
        self.accounts.tally()
    }

    /// The `session.finished` event after `steps` steps, with each model's totals.
    pub(super) fn finished(&self, status: Status, steps: u32) -> Event {
        self.accounts
            .finished(status, steps, self.by_model.by_model().clone())
    }
}
