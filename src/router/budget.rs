//! The session budget: before each request reins adds the estimated cost of its input tokens (and
//! the session's average output so far) to what was spent; if that would cross the budget the
//! session stops with status `budget`, and once it reaches 80% a warning is emitted.

use super::error::RouterError;
use crate::config::prices::Prices;

/// Share of the budget at which the one warning is given.
const WARN_AT: f64 = 0.8;

/// A spending limit for one session, in USD.
#[derive(Debug, Clone)]
pub struct Budget {
    max_cost: f64,
    warned: bool,
}

/// What to do before the next request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BudgetCheck {
    Ok,
    /// The request would bring the session to at least 80% of the budget; given once.
    Warn80 {
        would_be: f64,
        max_cost: f64,
    },
    /// The request would cross the budget: stop before making it.
    Stop {
        spent: f64,
        would_be: f64,
    },
    /// The next model has no known price, so the request cannot be estimated; the caller should
    /// say the budget is not enforced for it rather than guess.
    Unpriced,
}

impl Budget {
    pub fn new(max_cost: f64) -> Result<Budget, RouterError> {
        if !max_cost.is_finite() || max_cost <= 0.0 {
            return Err(RouterError::BadBudget(max_cost));
        }
        Ok(Budget {
            max_cost,
            warned: false,
        })
    }

    pub fn max_cost(&self) -> f64 {
        self.max_cost
    }

    /// Checks the next request. `spent` is the session cost so far, `prices` the next model's.
    /// Takes `&mut self` because the 80% warning is given only once.
    pub fn check(
        &mut self,
        spent: f64,
        next_input_tokens: u64,
        avg_output_tokens: f64,
        prices: Option<&Prices>,
    ) -> BudgetCheck {
        let Some(p) = prices else {
            return self.check_spent_only(spent);
        };
        let would_be = spent + p.estimate(next_input_tokens, avg_output_tokens);
        if would_be > self.max_cost {
            return BudgetCheck::Stop { spent, would_be };
        }
        if !self.warned && would_be >= WARN_AT * self.max_cost {
            self.warned = true;
            return BudgetCheck::Warn80 {
                would_be,
                max_cost: self.max_cost,
            };
        }
        BudgetCheck::Ok
    }

    /// Without a price only what was already spent can be judged.
    fn check_spent_only(&self, spent: f64) -> BudgetCheck {
        if spent > self.max_cost {
            BudgetCheck::Stop {
                spent,
                would_be: spent,
            }
        } else {
            BudgetCheck::Unpriced
        }
    }
}
