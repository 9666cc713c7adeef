//! Matching a rule against the signals, and saying in words which conditions held.

use super::config::Rule;
use super::signals::Signals;

impl Rule {
    /// Whether every condition that is set holds.
    pub fn matches(&self, s: &Signals) -> bool {
        self.step.is_none_or(|k| k == s.step)
            && self.looping.is_none_or(|l| l == s.looping)
            && self.cost_above.is_none_or(|c| s.cost_usd > c)
            && self
                .failures_at_least
                .is_none_or(|n| s.consecutive_failures >= n)
            && self.steps_above.is_none_or(|n| s.steps > n)
            && self.context_above.is_none_or(|p| s.context_fill_pct > p)
    }

    /// The conditions with the values that satisfied them, e.g. `cost $1.62 > $1.50`.
    pub fn describe(&self, s: &Signals) -> String {
        let mut parts = Vec::new();
        if let Some(k) = self.step {
            parts.push(format!("step = {k}"));
        }
        if let Some(l) = self.looping {
            parts.push(if l {
                "same tool call repeated".to_string()
            } else {
                "no repeated tool call".to_string()
            });
        }
        if let Some(c) = self.cost_above {
            parts.push(format!(
                "cost {} > {}",
                crate::types::usd::show(s.cost_usd),
                crate::types::usd::show(c)
            ));
        }
        if let Some(n) = self.failures_at_least {
            parts.push(format!("{} failures >= {n}", s.consecutive_failures));
        }
        if let Some(n) = self.steps_above {
            parts.push(format!("{} steps > {n}", s.steps));
        }
        if let Some(p) = self.context_above {
            parts.push(format!("context {:.0}% > {p}%", s.context_fill_pct));
        }
        if parts.is_empty() {
            "always".to_string()
        } else {
            parts.join(", ")
        }
    }
}
