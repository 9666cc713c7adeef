//! Compaction as the session runs it: when to compact, eliding old outputs, asking the model for
//! a summary (the router's `compact` step), and recording the new history.

use super::compact;
use super::events::{Emit, Event};
use super::history::History;
use super::ledger::Ledger;
use super::model_side::ModelSide;
use super::request::{complete, RequestError};
use super::routing::ModelError;
use crate::cancel::Cancel;
use crate::conversation::Item;
use crate::provider::Request;

/// Why the history could not be summarised; the session goes on with it as it was.
#[derive(Debug, thiserror::Error)]
enum CompactError {
    #[error(transparent)]
    Route(#[from] ModelError),
    #[error("compaction interrupted")]
    Interrupted,
    #[error("compaction failed: {0}")]
    Failed(#[source] crate::provider::ProviderError),
}

/// A compaction over what it reads and rewrites: the model side (which model summarises, the
/// window to aim for, the prompt rebuilt afterwards), the history and its thread, and the ledger
/// the summary request is charged to.
pub(super) struct Compaction<'s> {
    pub(super) model: &'s mut ModelSide,
    pub(super) history: &'s mut History,
    pub(super) ledger: &'s mut Ledger,
    /// Steps so far in the session, for the router and the `route` event.
    pub(super) steps: u32,
    pub(super) cancel: &'s Cancel,
}

impl Compaction<'_> {
    /// Compacts when the next request would pass the threshold (or always, when `force`).
    pub(super) async fn run(&mut self, emit: Emit<'_>, force: bool) {
        let Some(window) = self.model.gauge.window() else {
            return;
        };
        let before = self.model.context_tokens(self.history.items());
        let threshold = self.model.compact_threshold;
        if !force && (before as f64) < threshold * window as f64 {
            return;
        }
        let mut dropped = Vec::new();
        let mut kept = Vec::new();
        let elided = self.history.elide_old_outputs();
        if elided > 0 {
            let s = if elided == 1 { "" } else { "s" };
            dropped.push(format!("{elided} large tool output{s} of older turns"));
        }
        let target = threshold * window as f64 * 0.6;
        if force || (compact::estimate_tokens(self.history.items()) as f64) > target {
            match self.summarise(emit, force).await {
                Ok(Some((summarised, recent))) => {
                    dropped.push(format!("{summarised}, replaced by a summary"));
                    kept.push(self.history.describe_thread());
                    kept.push("the last user message".into());
                    if recent > 0 {
                        kept.push(format!("the {recent} most recent items"));
                    }
                }
                Ok(None) => {}
                Err(e) => emit(Event::Error {
                    message: e.to_string(),
                    retrying: false,
                }),
            }
        }
        self.model.after_rewrite();
        let after = self.model.context_tokens(self.history.items());
        self.history.record_rewrite();
        emit(Event::Compacted {
            tokens_before: before,
            tokens_after: after,
            dropped,
            kept,
        });
    }

    /// Replaces everything but the last user message and the verbatim tail with a summary,
    /// followed by the session state. Returns what the summary replaced, in words, and how many
    /// recent items stayed verbatim.
    async fn summarise(
        &mut self,
        emit: Emit<'_>,
        force: bool,
    ) -> Result<Option<(String, usize)>, CompactError> {
        let Some(cut) = compact::cut(self.history.items(), force) else {
            return Ok(None);
        };
        let older: Vec<Item> = self.history.items()[..cut.tail]
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != cut.last_user)
            .map(|(_, it)| it.clone())
            .collect();
        let request_history = [Item::user(compact::render_for_summary(&older))];
        let choice = self
            .model
            .routing
            .choose(self.steps, self.ledger.spent(), 0, true)?;
        emit(Event::Route {
            step: self.steps,
            model: choice.entry.model.label.clone(),
            reason: choice.reason.clone(),
            kind: Some(choice.kind),
        });
        let req = Request {
            system: super::prompt::COMPACT_PROMPT,
            tools: &[],
            history: &request_history,
            ..Request::default()
        };
        let c = complete(
            choice.entry.client.as_ref(),
            self.model.retry,
            self.cancel,
            &req,
            emit,
        )
        .await
        .map_err(|e| match e {
            RequestError::Interrupted => CompactError::Interrupted,
            RequestError::Provider(e) => CompactError::Failed(e),
        })?;
        self.model
            .charge(self.ledger, &choice.entry.model, c.usage, emit);
        let recent = self.history.summarised(&cut, &c.text);
        Ok(Some((compact::describe_dropped(&older), recent)))
    }
}
