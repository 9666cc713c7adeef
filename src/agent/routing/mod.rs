//! Which model serves each request. The session reports what happened (tool outcomes, context
//! fill, what was spent); this turns it into router signals and resolves the chosen `[models.*]`
//! key to a client (once per key, kept for the session). What the requests cost and whether the
//! next one fits the budget is the ledger's job ([`super::ledger`]).

mod pool;
mod signals;

pub use pool::{Entry, EnvLookup, ModelError};

use crate::config::Config;
use crate::router::{context_fill_pct, Router, StepKind};
use crate::types::Effort;
use pool::ClientPool;
use signals::StepSignals;
use std::sync::Arc;

/// The model chosen for one request.
pub struct Choice {
    pub entry: Arc<Entry>,
    pub kind: StepKind,
    pub reason: String,
    /// The effort for this request: the router's rule, else the session's, else the model's.
    pub effort: Option<Effort>,
}

/// Which model serves each request: the router (or the one pinned model) and the clients, fed by
/// the step signals.
pub struct Routing {
    pool: ClientPool,
    /// The model used when there is no router (pinned or configured), and why.
    single: Option<(String, String)>,
    router: Option<Router>,
    signals: StepSignals,
    /// `--effort`: every request's effort unless a router rule sets one.
    effort: Option<Effort>,
}

/// How routing is set up for a session.
pub struct RoutingSetup {
    pub config: Config,
    pub env: EnvLookup,
    /// The model when no router is used, already resolved, and why it was picked.
    pub single: Option<(Entry, String)>,
    pub router: Option<Router>,
}

impl Routing {
    pub fn new(setup: RoutingSetup) -> Self {
        let mut pool = ClientPool::new(setup.config, setup.env);
        let single = setup
            .single
            .map(|(entry, reason)| (pool.insert(entry), reason));
        Routing {
            pool,
            single,
            router: setup.router,
            signals: StepSignals::new(),
            effort: None,
        }
    }

    /// Sets the session's effort (`--effort`), overriding each model's configured one.
    pub fn set_effort(&mut self, effort: Option<Effort>) {
        self.effort = effort;
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
        let prices = self.pool.resolve(top).and_then(|m| m.prices);
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

    /// Why the model that serves the next request cannot take images, if it cannot (see
    /// [`Routing::vision_refusal`]); `None` when it can or no model is known yet.
    pub fn refuse_images(&self) -> Option<String> {
        let label = self.initial_label();
        let model = match self.pool.built(&label) {
            Some(entry) => entry.model.clone(),
            None => self.pool.resolve(&label)?,
        };
        self.vision_refusal(&model)
    }

    /// The error for an image sent to `model` when its table does not say `vision = true`:
    /// the model and what to do, with the configured models that do take images.
    pub fn vision_refusal(&self, model: &crate::config::ResolvedModel) -> Option<String> {
        if model.capabilities.vision {
            return None;
        }
        let seeing = self.pool.with_vision();
        let pick = if seeing.is_empty() {
            "no configured model takes images".to_string()
        } else {
            format!(
                "models that do: {} (-m NAME, or /model NAME in the TUI)",
                seeing.join(", ")
            )
        };
        Some(format!(
            "`{}` cannot take images (its [models.*] table does not set `vision = true`), so the request was not sent. Switch to a model with vision, {pick}; or set `vision = true` in its table if the model does accept images",
            model.label
        ))
    }

    /// A new user message: the next request is a `plan` step and loop detection starts over.
    pub fn user_message(&mut self) {
        self.signals.user_message();
    }

    /// Picks the model for the next request. `last_input_tokens` feeds the context-fill signal.
    pub fn choose(
        &mut self,
        steps_so_far: u32,
        cost: f64,
        last_input_tokens: u64,
        compact: bool,
    ) -> Result<Choice, ModelError> {
        let kind = self.signals.kind(compact);
        let (key, reason, routed_effort) = match (&mut self.router, &self.single) {
            (Some(router), _) => {
                let window = self
                    .pool
                    .built(router.current_rung())
                    .and_then(|e| e.model.context_window);
                let fill = context_fill_pct(last_input_tokens, window);
                let d = router.decide(&self.signals.signals(kind, steps_so_far, cost, fill));
                (d.model, d.reason, d.effort)
            }
            (None, Some((label, why))) => (label.clone(), format!("{kind}: {why}"), None),
            (None, None) => return Err(ModelError::NoModel),
        };
        let entry = self.pool.get(&key)?;
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
    pub fn pin(&mut self, key: &str) -> Result<String, ModelError> {
        let entry = self.pool.get(key)?;
        let label = entry.model.label.clone();
        self.pool.alias(label.clone(), entry);
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
        self.pool.get(&key).ok()
    }

    /// The model answered a step (not a compaction summary): the next step is no longer `plan`.
    pub fn answered(&mut self) {
        self.signals.answered();
    }

    /// The context window of the model a session starts with, before any request.
    pub fn initial_window(&self) -> Option<u64> {
        let label = self.initial_label();
        self.pool.built(&label).and_then(|e| e.model.context_window)
    }

    /// Whether this call repeats the previous two exactly (it is then not run).
    pub fn is_loop(&mut self, name: &str, arguments: &str) -> bool {
        self.signals.is_loop(name, arguments)
    }

    /// Feedback the harness gave the model (failing checks, a stop hook): the next step is a
    /// `fix`, counted as a failed step for escalation.
    pub fn after_feedback(&mut self) {
        self.signals.feedback();
        self.end_step();
    }

    /// Starts a new batch of tool results.
    pub fn begin_step(&mut self) {
        self.signals.begin_step();
    }

    pub fn record_result(
        &mut self,
        name: &str,
        arguments: &str,
        ok: bool,
        exit: Option<crate::types::Exit>,
        output: &str,
    ) {
        self.signals
            .record_result(name, arguments, ok, exit, output);
    }

    /// Ends a batch: tells the router whether the step failed.
    pub fn end_step(&mut self) {
        let failed = self.signals.end_step();
        if let Some(r) = self.router.as_mut() {
            r.record_outcome(!failed);
        }
    }
}
