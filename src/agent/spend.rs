//! What a family of sessions spent: a parent and the subagents it started share one budget
//! (`--max-cost`). Each session adds its own requests here; every budget check reads the total,
//! so children running side by side see each other's spending before each request, and the
//! parent takes what its children spent during a tool call into its own totals.

use crate::conversation::Usage;
use std::sync::Mutex;

/// Tokens and cost so far.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spent {
    pub usage: Usage,
    pub cost: f64,
}

impl Spent {
    /// What was spent since `before`.
    pub fn since(&self, before: &Spent) -> Spent {
        let (a, b) = (&self.usage, &before.usage);
        Spent {
            usage: Usage {
                input_tokens: a.input_tokens.saturating_sub(b.input_tokens),
                cached_input_tokens: a.cached_input_tokens.saturating_sub(b.cached_input_tokens),
                cache_write_tokens: a.cache_write_tokens.saturating_sub(b.cache_write_tokens),
                output_tokens: a.output_tokens.saturating_sub(b.output_tokens),
                reasoning_tokens: a.reasoning_tokens.saturating_sub(b.reasoning_tokens),
            },
            cost: self.cost - before.cost,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.usage == Usage::default() && self.cost == 0.0
    }
}

/// The shared ledger.
#[derive(Debug, Default)]
pub struct SharedSpend(Mutex<Spent>);

impl SharedSpend {
    pub fn add(&self, usage: Usage, cost: Option<f64>) {
        if let Ok(mut s) = self.0.lock() {
            s.usage.add(usage);
            s.cost += cost.unwrap_or(0.0);
        }
    }

    pub fn now(&self) -> Spent {
        self.0.lock().map(|s| *s).unwrap_or_default()
    }
}
