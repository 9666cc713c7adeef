//! The router: a validated table plus ladder state, answering "which model for this step?".

use super::config::RouterConfig;
use super::error::RouterError;
use super::ladder::{Ladder, Move};
use super::signals::{Decision, Signals};
use super::step::StepKind;

/// Routes each step to a model. Build one per session; call [`Router::decide`] before every
/// request and [`Router::record_outcome`] after every step that ran tools.
#[derive(Debug, Clone)]
pub struct Router {
    config: RouterConfig,
    ladder: Ladder,
    /// The table it came from (`[router]`, `[routers.NAME]`): the route the ledger names.
    table: String,
}

impl Router {
    /// Validates `cfg` as the `[router]` table; see [`Router::for_table`].
    pub fn new(cfg: RouterConfig, known_models: &[String]) -> Result<Router, RouterError> {
        Router::for_table("[router]", cfg, known_models)
    }

    /// Validates `cfg` against the `[models.*]` keys; `table` (`[router]`, `[routers.NAME]`)
    /// names the table in errors.
    pub fn for_table(
        table: &str,
        cfg: RouterConfig,
        known_models: &[String],
    ) -> Result<Router, RouterError> {
        cfg.validate(table, known_models)?;
        let ladder = Ladder::new(&cfg);
        Ok(Router {
            config: cfg,
            ladder,
            table: table.to_string(),
        })
    }

    /// The route's name: `NAME` for `[routers.NAME]`, `router` for the `[router]` table.
    pub fn name(&self) -> &str {
        self.table
            .strip_prefix("[routers.")
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or("router")
    }

    /// The most capable model the ladder can reach: its last rung (the default when the ladder
    /// lists nothing).
    pub fn top_rung(&self) -> &str {
        self.config.ladder.last().unwrap_or(&self.config.default)
    }

    /// The model for the next request: the user's pin, else the first matching rule, else the
    /// ladder's current rung. Takes `&mut self` only to report a rung change once: the next
    /// decision names it if the ladder made that decision, and it is dropped otherwise so a reason
    /// never describes a change several steps old.
    pub fn decide(&mut self, s: &Signals) -> Decision {
        let moved = self.ladder.take_move();
        if let Some(model) = &s.user_model {
            return Decision {
                model: model.clone(),
                reason: format!("{}: pinned by the user -> {model}", s.step),
                effort: None,
            };
        }
        let rule = self
            .config
            .rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.matches(s));
        if let Some((i, rule)) = rule {
            let at = rule
                .effort
                .map_or_else(String::new, |e| format!(" at {e} effort"));
            return Decision {
                model: rule.model.clone(),
                reason: format!(
                    "{}: rules[{i}] ({}) -> {}{at}",
                    s.step,
                    rule.describe(s),
                    rule.model
                ),
                effort: rule.effort,
            };
        }
        self.by_ladder(s, moved)
    }

    /// Feeds the outcome of a step that ran tools: `success` is false when any result was a hard
    /// failure (see [`is_hard_failure`](super::is_hard_failure)).
    pub fn record_outcome(&mut self, success: bool) {
        self.ladder.record(success);
    }

    /// The model to switch to when the chosen model's provider keeps failing after retries.
    pub fn fallback(&self) -> Option<&str> {
        self.config.fallback.as_deref()
    }

    /// The ladder's current model (what an unmatched step would get).
    pub fn current_rung(&self) -> &str {
        self.ladder.current()
    }

    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    fn by_ladder(&self, s: &Signals, moved: Option<Move>) -> Decision {
        let model = self.ladder.current().to_string();
        let reason = match moved {
            Some(Move::Up(n)) => format!(
                "{}: {}{} -> escalate to {model}",
                s.step,
                failures(s.consecutive_failures.max(n)),
                note(s)
            ),
            Some(Move::Down(n)) => {
                format!(
                    "{}: {n} consecutive successes -> back down to {model}",
                    s.step
                )
            }
            None => self.steady_reason(s, &model),
        };
        Decision {
            model,
            reason,
            effort: None,
        }
    }

    fn steady_reason(&self, s: &Signals, model: &str) -> String {
        let l = &self.ladder;
        let why = match (s.step, l.escalated()) {
            (StepKind::Fix, _) if l.at_top() => format!(
                "{}{}; top of the ladder",
                failures(s.consecutive_failures),
                note(s)
            ),
            (StepKind::Fix, _) => format!(
                "{}{}; escalating after {}",
                failures(s.consecutive_failures),
                note(s),
                l.escalate_after()
            ),
            (_, true) => format!(
                "escalated, {}/{} successes before stepping down",
                l.successes(),
                l.deescalate_after()
            ),
            (_, false) => "default".to_string(),
        };
        format!("{}: {why} -> {model}", s.step)
    }
}

fn failures(n: u32) -> String {
    if n == 1 {
        "1 consecutive failure".to_string()
    } else {
        format!("{n} consecutive failures")
    }
}

fn note(s: &Signals) -> String {
    s.last_failure
        .as_deref()
        .map_or_else(String::new, |f| format!(" ({f})"))
}
