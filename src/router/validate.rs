//! Checking a router table against the configured models before the first request, so a typo in
//! a model key fails the session at start rather than at the step that first routes to it.

use super::config::{RouterConfig, Rule};
use super::error::RouterError;

impl RouterConfig {
    /// Checks that every model key named exists in `known` and every number makes sense.
    /// `table` names the table in errors: `[router]` or `[routers.NAME]`.
    pub fn validate(&self, table: &str, known: &[String]) -> Result<(), RouterError> {
        let check = Checker { table, known };
        if self.default.is_empty() {
            return Err(check.missing("default"));
        }
        check.model("default", &self.default)?;
        for (i, m) in self.ladder.iter().enumerate() {
            check.model(&format!("ladder[{i}]"), m)?;
            if self.ladder[..i].contains(m) {
                return Err(check.invalid(&format!("ladder[{i}]"), "repeats a model"));
            }
        }
        if let Some(f) = &self.fallback {
            check.model("fallback", f)?;
        }
        check.at_least_one("escalate_after", self.escalate_after)?;
        check.at_least_one("deescalate_after", self.deescalate_after)?;
        for (i, rule) in self.rules.iter().enumerate() {
            check.rule(i, rule)?;
        }
        Ok(())
    }
}

struct Checker<'a> {
    table: &'a str,
    known: &'a [String],
}

impl Checker<'_> {
    fn model(&self, key: &str, model: &str) -> Result<(), RouterError> {
        if self.known.iter().any(|k| k == model) {
            return Ok(());
        }
        Err(RouterError::UnknownModel {
            table: self.table.to_string(),
            key: key.to_string(),
            model: model.to_string(),
            known: self.known.join(", "),
        })
    }

    fn rule(&self, i: usize, rule: &Rule) -> Result<(), RouterError> {
        if rule.model.is_empty() {
            return Err(self.missing(&format!("rules[{i}].model")));
        }
        self.model(&format!("rules[{i}].model"), &rule.model)?;
        if let Some(c) = rule.cost_above {
            self.non_negative(&format!("rules[{i}].cost_above"), c)?;
        }
        if let Some(p) = rule.context_above {
            self.non_negative(&format!("rules[{i}].context_above"), p)?;
        }
        Ok(())
    }

    fn at_least_one(&self, key: &str, n: u32) -> Result<(), RouterError> {
        if n == 0 {
            return Err(self.invalid(key, "must be at least 1"));
        }
        Ok(())
    }

    fn non_negative(&self, key: &str, x: f64) -> Result<(), RouterError> {
        if !x.is_finite() || x < 0.0 {
            return Err(self.invalid(key, "must be a number >= 0"));
        }
        Ok(())
    }

    fn missing(&self, key: &str) -> RouterError {
        RouterError::Missing {
            table: self.table.to_string(),
            key: key.to_string(),
        }
    }

    fn invalid(&self, key: &str, problem: &str) -> RouterError {
        RouterError::Invalid {
            table: self.table.to_string(),
            key: key.to_string(),
            problem: problem.to_string(),
        }
    }
}
