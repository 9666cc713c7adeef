//! Which model serves each request. The session reports what happened (tool outcomes, cost,
//! context fill); this turns it into router signals, resolves the chosen `[models.*]` key to a
//! client (once per key, kept for the session), checks the budget, and keeps per-model totals.

use crate::config::{resolve_model, Config, ResolvedModel};
use crate::conversation::Usage;
use crate::provider::{client_for, ModelClient};
use crate::router::{
    context_fill_pct, failure_note, is_hard_failure, step_kind, tool_outcome, Budget, BudgetCheck,
    LoopDetector, Router, Signals, StepKind, ToolOutcome,
};
use crate::types::Effort;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Reads an environment variable (API keys); a closure so tests can supply their own.
pub type EnvLookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// A resolved model and its client.
pub struct Entry {
    pub model: ResolvedModel,
    pub client: Box<dyn ModelClient>,
}

/// Totals of one model over the session, for `session.finished`.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct ModelTotals {
    pub requests: u64,
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    #[serde(default)]
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
    #[serde(default)]
    pub reasoning_tokens: u64,
    #[serde(serialize_with = "crate::types::usd::serialize_opt")]
    pub cost_usd: Option<f64>,
}

/// The model chosen for one request.
pub struct Choice {
    pub entry: Arc<Entry>,
    pub kind: StepKind,
    pub reason: String,
    /// The effort for this request: the router's rule, else the session's, else the model's.
    pub effort: Option<Effort>,
}

pub struct Routing {
    config: Config,
    env: EnvLookup,
    pool: BTreeMap<String, Arc<Entry>>,
    /// The model used when there is no router (pinned or configured).
    single: Option<(String, String)>,
    router: Option<Router>,
    budget: Option<Budget>,
    /// Models already reported as unpriced under the budget: said once, not before every step.
    unpriced_told: std::collections::BTreeSet<String>,
    loops: LoopDetector,
    first_after_user: bool,
    last_results: Vec<ToolOutcome>,
    failures: u32,
    last_failure: Option<String>,
    looping: bool,
    /// `--effort`: every request's effort unless a router rule sets one.
    effort: Option<Effort>,
    pub totals: BTreeMap<String, ModelTotals>,
}

/// How routing is set up for a session.
pub struct RoutingSetup {
    pub config: Config,
    pub env: EnvLookup,
    /// The model when no router is used, already resolved, and why it was picked.
    pub single: Option<(Entry, String)>,
    pub router: Option<Router>,
    pub budget: Option<Budget>,
}

impl Routing {
    pub fn new(setup: RoutingSetup) -> Self {
        let mut pool = BTreeMap::new();
        let single = setup.single.map(|(entry, reason)| {
            let label = entry.model.label.clone();
            pool.insert(label.clone(), Arc::new(entry));
            (label, reason)
        });
        Routing {
            config: setup.config,
            env: setup.env,
            pool,
            single,
            router: setup.router,
            budget: setup.budget,
            unpriced_told: Default::default(),
            loops: LoopDetector::new(),
            first_after_user: false,
            last_results: Vec::new(),
            failures: 0,
            last_failure: None,
            looping: false,
            effort: None,
            totals: BTreeMap::new(),
        }
    }

    /// Sets the session's effort (`--effort`), overriding each model's configured one.
    pub fn set_effort(&mut self, effort: Option<Effort>) {
        self.effort = effort;
    }

    /// A placeholder, for moving the real one out of the setup.
    pub(crate) fn empty() -> Self {
        Routing::new(RoutingSetup {
            config: Config::default(),
            env: Box::new(|_| None),
            single: None,
            router: None,
            budget: None,
        })
    }

    /// The model named when the session starts.
    pub fn initial_label(&self) -> String {
        match (&self.single, &self.router) {
            (Some((label, _)), _) => label.clone(),
            (None, Some(r)) => r.current_rung().to_string(),
            (None, None) => String::new(),
        }
    }

    /// The route's name and top rung (with its prices) when a router picks the models, for the
    /// transcript header the cost ledger reads.
    pub fn ledger_route(&self) -> Option<(String, crate::store::transcript::TopRung)> {
        let router = self.router.as_ref()?;
        let top = router.top_rung();
        let prices = resolve_model(&self.config, Some(top), &self.env)
            .ok()
            .and_then(|m| m.prices);
        Some((
            router.name().to_string(),
            crate::store::transcript::TopRung {
                model: top.to_string(),
                input_price: prices.map(|p| p.input),
                cached_input_price: prices.map(|p| p.cached_input),
                output_price: prices.map(|p| p.output),
            },
        ))
    }

    /// A new user message: the next request is a `plan` step and loop detection starts over.
    pub fn user_message(&mut self) {
        self.first_after_user = true;
        self.last_results.clear();
        self.loops.reset();
    }

    /// Picks the model for the next request. `last_input_tokens` feeds the context-fill signal.
    pub fn choose(
        &mut self,
        steps_so_far: u32,
        cost: f64,
        last_input_tokens: u64,
        compact: bool,
    ) -> Result<Choice, String> {
        let kind = if compact {
            StepKind::Compact
        } else {
            step_kind(self.first_after_user, &self.last_results)
        };
        let (key, reason, routed_effort) = match (&mut self.router, &self.single) {
            (Some(router), _) => {
                let window = self
                    .pool
                    .get(router.current_rung())
                    .and_then(|e| e.model.context_window);
                let s = Signals {
                    step: kind,
                    consecutive_failures: self.failures,
                    steps: steps_so_far,
                    cost_usd: cost,
                    context_fill_pct: context_fill_pct(last_input_tokens, window),
                    user_model: None,
                    looping: self.looping,
                    last_failure: self.last_failure.clone(),
                };
                let d = router.decide(&s);
                (d.model, d.reason, d.effort)
            }
            (None, Some((label, why))) => (label.clone(), format!("{kind}: {why}"), None),
            (None, None) => return Err("no model to route to".into()),
        };
        let entry = self.entry(&key)?;
        let effort = routed_effort.or(self.effort).or(entry.model.effort);
        Ok(Choice {
            entry,
            kind,
            reason,
            effort,
        })
    }

    /// Pins the model `key` for the rest of the session (the TUI's `/model`), replacing any
    /// router. The history is provider-neutral, so the next request simply goes to the new model.
    pub fn pin(&mut self, key: &str) -> Result<String, String> {
        let entry = self.entry(key)?;
        let label = entry.model.label.clone();
        self.pool.insert(label.clone(), entry);
        self.single = Some((label.clone(), format!("switched with /model {key}")));
        self.router = None;
        Ok(label)
    }

    /// The router's fallback model, if it differs from `failed`.
    pub fn fallback(&mut self, failed: &str) -> Option<Arc<Entry>> {
        let key = self.router.as_ref()?.fallback()?.to_string();
        if key == failed {
            return None;
        }
        self.entry(&key).ok()
    }

    fn entry(&mut self, key: &str) -> Result<Arc<Entry>, String> {
        if let Some(e) = self.pool.get(key) {
            return Ok(e.clone());
        }
        let model =
            resolve_model(&self.config, Some(key), &*self.env).map_err(|e| e.to_string())?;
        let client = client_for(&model).map_err(|e| e.to_string())?;
        let entry = Arc::new(Entry { model, client });
        self.pool.insert(key.to_string(), entry.clone());
        Ok(entry)
    }

    /// Checks the budget before a request whose input is about `input_tokens`; a model without
    /// prices is reported `Unpriced` the first time only.
    pub fn check_budget(&mut self, entry: &Entry, spent: f64, input_tokens: u64) -> BudgetCheck {
        let Some(budget) = self.budget.as_mut() else {
            return BudgetCheck::Ok;
        };
        let requests: u64 = self.totals.values().map(|t| t.requests).sum();
        let output: u64 = self.totals.values().map(|t| t.output_tokens).sum();
        let avg_output = if requests == 0 {
            0.0
        } else {
            output as f64 / requests as f64
        };
        match budget.check(spent, input_tokens, avg_output, entry.model.prices.as_ref()) {
            BudgetCheck::Unpriced if !self.unpriced_told.insert(entry.model.label.clone()) => {
                BudgetCheck::Ok
            }
            other => other,
        }
    }

    pub fn max_cost(&self) -> Option<f64> {
        self.budget.as_ref().map(|b| b.max_cost())
    }

    /// Adds one request's usage; returns its cost when the model's prices and the usage are
    /// known (a server that reported no usage has an unknown cost, not a zero one).
    pub fn record_usage(&mut self, model: &ResolvedModel, usage: Option<Usage>) -> Option<f64> {
        let cost = model.prices.zip(usage).map(|(p, u)| p.usage_cost(&u));
        let usage = usage.unwrap_or_default();
        let t = self.totals.entry(model.label.clone()).or_default();
        t.requests += 1;
        t.input_tokens += usage.input_tokens;
        t.cached_input_tokens += usage.cached_input_tokens;
        t.cache_write_tokens += usage.cache_write_tokens;
        t.output_tokens += usage.output_tokens;
        t.reasoning_tokens += usage.reasoning_tokens;
        if let Some(c) = cost {
            *t.cost_usd.get_or_insert(0.0) += c;
        }
        cost
    }

    /// The model answered a step (not a compaction summary): the next step is no longer `plan`.
    pub fn answered(&mut self) {
        self.first_after_user = false;
    }

    /// The context window of the model a session starts with, before any request.
    pub fn initial_window(&self) -> Option<u64> {
        let label = self.initial_label();
        self.pool.get(&label).and_then(|e| e.model.context_window)
    }

    /// Whether this call repeats the previous two exactly (it is then not run).
    pub fn is_loop(&mut self, name: &str, arguments: &str) -> bool {
        let looping = self.loops.observe(name, arguments);
        self.looping |= looping;
        looping
    }

    /// Feedback the harness gave the model (failing checks, a stop hook): the next step is a
    /// `fix`, counted as a failed step for escalation.
    pub fn after_feedback(&mut self) {
        self.first_after_user = false;
        self.last_results = vec![("checks".to_string(), false, None)];
        self.end_step();
    }

    /// Starts a new batch of tool results.
    pub fn begin_step(&mut self) {
        self.last_results.clear();
        self.looping = false;
    }

    pub fn record_result(
        &mut self,
        name: &str,
        arguments: &str,
        ok: bool,
        exit: Option<crate::types::Exit>,
        output: &str,
    ) {
        let outcome = tool_outcome(name, ok, exit);
        if is_hard_failure(&outcome) {
            self.last_failure = Some(failure_note(name, arguments, outcome.2, output));
        }
        self.last_results.push(outcome);
    }

    /// Ends a batch: tells the router whether the step failed.
    pub fn end_step(&mut self) {
        let failed = self.last_results.iter().any(is_hard_failure) || self.looping;
        if let Some(r) = self.router.as_mut() {
            r.record_outcome(!failed);
        }
        self.failures = if failed { self.failures + 1 } else { 0 };
    }
}
