//! How full the model's context is: the input tokens the provider reported for the last request
//! (and how long the history was then), and the context window of the model in use. Compaction
//! and the router's context-fill signal read it; `/context` shows it.

use super::compact::estimate_tokens;
use crate::conversation::Item;

/// The last reported context size and the current model's window.
#[derive(Default)]
pub(super) struct ContextGauge {
    /// Provider-reported input tokens of the last request and the history length then.
    last: Option<(u64, usize)>,
    /// The context window of the model of the last request.
    window: Option<u64>,
}

impl ContextGauge {
    pub(super) fn window(&self) -> Option<u64> {
        self.window
    }

    /// The window of the model that just answered (`None` when it is not configured).
    pub(super) fn set_window(&mut self, window: Option<u64>) {
        self.window = window;
    }

    /// The window of the model chosen for the next request, when it has one.
    pub(super) fn prefer_window(&mut self, window: Option<u64>) {
        self.window = window.or(self.window);
    }

    /// The last request carried `input_tokens`, with the history `history_len` items long.
    pub(super) fn reported(&mut self, input_tokens: u64, history_len: usize) {
        self.last = Some((input_tokens, history_len));
    }

    /// The history was rewritten (compaction): the last report no longer describes it.
    pub(super) fn forget(&mut self) {
        self.last = None;
    }

    /// Input tokens the provider reported for the last request (0 before any).
    pub(super) fn last_input(&self) -> u64 {
        self.last.map_or(0, |(t, _)| t)
    }

    /// Tokens the next request will carry: the last reported count plus an estimate of what was
    /// added since, or an estimate of everything (`system` is the prompt prefix).
    pub(super) fn tokens(&self, system: &str, history: &[Item]) -> u64 {
        let prefix = (system.len() / 4) as u64;
        match self.last {
            Some((reported, len)) if len <= history.len() => {
                reported + estimate_tokens(&history[len..])
            }
            _ => prefix + estimate_tokens(history),
        }
    }
}
