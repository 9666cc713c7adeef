//! What the session tells the router before each request, and what the router answers.

use super::step::StepKind;

/// The facts a routing decision may depend on; the session fills one per request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    pub step: StepKind,
    /// Steps in a row that ended in a hard failure (0 after any successful step).
    pub consecutive_failures: u32,
    /// Model requests made so far in the session, this one excluded.
    pub steps: u32,
    /// Session cost so far in USD (0 when prices are unknown).
    pub cost_usd: f64,
    /// Last request's input tokens as a percentage of the model's context window (0 if unknown).
    pub context_fill_pct: f64,
    /// A model the user pinned with `--model`; it wins over rules and the ladder.
    pub user_model: Option<String>,
    /// The same tool call (name and arguments) was made [`LOOP_REPEATS`](super::LOOP_REPEATS)
    /// times in a row.
    pub looping: bool,
    /// A short account of the last failure (see [`failure_note`](super::failure_note)); quoted in
    /// the reason so a reader of the event stream sees why the router escalated.
    pub last_failure: Option<String>,
}

/// The model for the next request and a one-line reason for the `route` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// A `[models.*]` key (or the user's pinned reference, verbatim).
    pub model: String,
    pub reason: String,
    /// The effort a matching rule set for this step (`None`: the session's or model's own).
    pub effort: Option<crate::types::Effort>,
}

/// Context fill in percent; 0 when the window is unknown, so `context_above` rules stay silent
/// rather than fire on a guess.
pub fn context_fill_pct(input_tokens: u64, context_window: Option<u64>) -> f64 {
    match context_window {
        Some(w) if w > 0 => input_tokens as f64 * 100.0 / w as f64,
        _ => 0.0,
    }
}
