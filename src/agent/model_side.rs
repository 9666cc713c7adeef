//! The model side of a session: which model serves each request (routing), how a request is
//! retried, the system prompt every request starts with, the final answer's native format, and how
//! full the context is. The step runner ([`super::model_step::Steps`]) and compaction borrow it
//! for each request; the turn loop feeds routing the step signals.

use super::compact;
use super::context_gauge::ContextGauge;
use super::events::{Emit, Event};
use super::ledger::Ledger;
use super::native_format::NativeFormat;
use super::routing::Routing;
use crate::config::ResolvedModel;
use crate::conversation::{Item, Usage};
use crate::provider::{AnswerFormat, RetryPolicy};

/// Rebuilds the system prompt (memory and instructions are re-read).
type SystemBuilder = Box<dyn Fn() -> String + Send + Sync>;

/// What the session's requests are made with.
pub(super) struct ModelSide {
    pub(super) routing: Routing,
    pub(super) retry: RetryPolicy,
    /// The system prompt with instructions and memory: the stable prefix of every request.
    pub(super) system: String,
    system_builder: Option<SystemBuilder>,
    /// The final answer's schema as native structured output, per model.
    pub(super) native: NativeFormat,
    /// The last reported context size and the model's window.
    pub(super) gauge: ContextGauge,
    /// Compact when the next request would pass this share of the model's context window.
    pub(super) compact_threshold: f64,
}

impl ModelSide {
    pub(super) fn new(
        setup: super::session_setup::ModelSetup,
        format: Option<AnswerFormat>,
    ) -> Self {
        ModelSide {
            routing: setup.routing,
            retry: setup.retry,
            system: setup.system,
            system_builder: setup.system_builder,
            native: NativeFormat::new(format),
            gauge: ContextGauge::default(),
            compact_threshold: setup.compact_threshold,
        }
    }

    /// Tokens the next request will carry with `history`: the last reported count plus an
    /// estimate of what was added since, or an estimate of everything.
    pub(super) fn context_tokens(&self, history: &[Item]) -> u64 {
        self.gauge.tokens(&self.system, history)
    }

    /// Before the first request of a turn: the window of the model the session starts with,
    /// when no request has told it yet.
    pub(super) fn know_window(&mut self) {
        if self.gauge.window().is_none() {
            self.gauge.set_window(self.routing.initial_window());
        }
    }

    /// A model whose context window is not configured has just refused a request as too long:
    /// take the window its error names, else three quarters of what was sent, so that
    /// compaction (now and from then on) has a size to aim for.
    pub(super) fn learn_window(&mut self, error: &str, history: &[Item]) {
        if self.gauge.window().is_none() {
            let sent = self.context_tokens(history);
            let window = compact::window_from_error(error).unwrap_or(sent / 4 * 3);
            self.gauge.set_window(Some(window.max(1)));
        }
    }

    /// The history was rewritten: the prompt is rebuilt (memory and instructions re-read) and
    /// the last reported size no longer describes what is sent.
    pub(super) fn after_rewrite(&mut self) {
        if let Some(build) = &self.system_builder {
            self.system = build();
        }
        self.gauge.forget();
    }

    /// A request was answered: its usage is charged to the ledger and announced, and its model's
    /// window is the one the gauge measures against (`usage` `None`: the server reported none,
    /// so its cost is unknown).
    pub(super) fn charge(
        &mut self,
        ledger: &mut Ledger,
        model: &ResolvedModel,
        usage: Option<Usage>,
        emit: Emit<'_>,
    ) {
        let (usage, cost) = ledger.charge(model, usage);
        self.gauge.set_window(model.context_window);
        emit(usage_event(model.label.clone(), usage, cost));
    }
}

/// The `usage` event of one request, or of what subagents spent (`model` is then
/// [`crate::types::SUBAGENTS_USAGE_MODEL`]).
pub(super) fn usage_event(model: String, usage: Usage, cost: Option<f64>) -> Event {
    Event::Usage {
        model,
        input_tokens: usage.input_tokens,
        cached_input_tokens: usage.cached_input_tokens,
        cache_write_tokens: usage.cache_write_tokens,
        output_tokens: usage.output_tokens,
        reasoning_tokens: usage.reasoning_tokens,
        cost_usd: cost,
    }
}
