//! What each model cost over the session: requests, tokens and dollars, for `session.finished`
//! and the budget's estimate of a request's output.

use crate::config::ResolvedModel;
use crate::conversation::Usage;
use serde::Serialize;
use std::collections::BTreeMap;

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

/// Per-model totals, by model label.
#[derive(Default)]
pub(super) struct UsageTotals {
    by_model: BTreeMap<String, ModelTotals>,
}

impl UsageTotals {
    /// Adds one request's usage; returns its cost when the model's prices and the usage are
    /// known (a server that reported no usage has an unknown cost, not a zero one).
    pub(super) fn record(&mut self, model: &ResolvedModel, usage: Option<Usage>) -> Option<f64> {
        let cost = model.prices.zip(usage).map(|(p, u)| p.usage_cost(&u));
        let usage = usage.unwrap_or_default();
        let t = self.by_model.entry(model.label.clone()).or_default();
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

    /// Output tokens per request so far, over every model (0 before the first request).
    pub(super) fn average_output(&self) -> f64 {
        let requests: u64 = self.by_model.values().map(|t| t.requests).sum();
        let output: u64 = self.by_model.values().map(|t| t.output_tokens).sum();
        if requests == 0 {
            0.0
        } else {
            output as f64 / requests as f64
        }
    }

    pub(super) fn by_model(&self) -> &BTreeMap<String, ModelTotals> {
        &self.by_model
    }
}
