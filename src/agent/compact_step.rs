//! Compaction as the session runs it: when to compact, eliding old outputs, asking the model for
//! a summary (the router's `compact` step), and recording the new history.

use super::compact;
use super::events::Emit;
use super::events::Event;
use super::request::{complete, RequestError};
use super::routing::ModelError;
use super::session::Session;
use crate::conversation::Item;
use crate::provider::Request;
use crate::store::transcript::Record;

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

impl Session {
    /// Compacts when the next request would pass the threshold (or always, when `force`).
    pub(super) async fn maybe_compact(&mut self, emit: Emit<'_>, force: bool) {
        let Some(window) = self.gauge.window() else {
            return;
        };
        let before = self.context_tokens();
        if !force && (before as f64) < self.setup.model.compact_threshold * window as f64 {
            return;
        }
        let mut dropped = Vec::new();
        let mut kept = Vec::new();
        let elided = compact::elide_old_outputs(&mut self.history);
        if elided > 0 {
            let s = if elided == 1 { "" } else { "s" };
            dropped.push(format!("{elided} large tool output{s} of older turns"));
        }
        let target = self.setup.model.compact_threshold * window as f64 * 0.6;
        if force || (compact::estimate_tokens(&self.history) as f64) > target {
            match self.summarise(emit, force).await {
                Ok(Some((summarised, recent))) => {
                    dropped.push(format!("{summarised}, replaced by a summary"));
                    kept.push(self.thread.describe());
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
        if let Some(build) = &self.setup.model.system_builder {
            self.setup.model.system = build();
        }
        self.gauge.forget();
        let after = self.context_tokens();
        // A failed write is kept by the recorder, which ends the turn at its next check
        // (`transcript_failed`): the user is told and no later step goes unrecorded.
        let _kept_in_failure = self.record(&Record::HistoryReplace {
            items: self.history.clone(),
        });
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
        let Some(cut) = compact::cut(&self.history, force) else {
            return Ok(None);
        };
        let older: Vec<Item> = self.history[..cut.tail]
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != cut.last_user)
            .map(|(_, it)| it.clone())
            .collect();
        let history = [Item::user(compact::render_for_summary(&older))];
        let choice = self
            .routing
            .choose(self.turn.steps(), self.accounts.spent(), 0, true)?;
        emit(Event::Route {
            step: self.turn.steps(),
            model: choice.entry.model.label.clone(),
            reason: choice.reason.clone(),
            kind: Some(choice.kind),
        });
        let req = Request {
            system: super::prompt::COMPACT_PROMPT,
            tools: &[],
            history: &history,
            ..Request::default()
        };
        let c = complete(
            choice.entry.client.as_ref(),
            self.setup.model.retry,
            &self.setup.tools.context.cancel,
            &req,
            emit,
        )
        .await
        .map_err(|e| match e {
            RequestError::Interrupted => CompactError::Interrupted,
            RequestError::Provider(e) => CompactError::Failed(e),
        })?;
        self.add_usage(&choice.entry.model, c.usage, emit);
        self.thread.take_decisions(&c.text);
        // The plan lives with the session (`update_plan`); the state carries its latest form.
        self.thread.plan = self.plan.as_ref().filter(|p| !p.steps.is_empty()).map(|p| {
            p.steps
                .iter()
                .map(|s| format!("{} {}", s.status.mark(), s.step))
                .collect::<Vec<_>>()
                .join("\n")
        });
        self.save_thread();
        let mut next = vec![
            self.history[cut.last_user].clone(),
            compact::summary_item(&c.text),
        ];
        if !self.thread.is_empty() {
            next.push(Item::user(self.thread.render()));
        }
        let recent = self.history.len() - cut.tail;
        next.extend(self.history.drain(cut.tail..));
        self.history = next;
        Ok(Some((compact::describe_dropped(&older), recent)))
    }

    /// Tokens the next request will carry: the last reported count plus an estimate of what was
    /// added since, or an estimate of everything.
    /// A model whose context window is not configured has just refused a request as too long:
    /// take the window its error names, else three quarters of what was sent, so that
    /// compaction (now and from then on) has a size to aim for.
    pub(super) fn learn_window(&mut self, error: &str) {
        if self.gauge.window().is_none() {
            let sent = self.context_tokens();
            let window = compact::window_from_error(error).unwrap_or(sent / 4 * 3);
            self.gauge.set_window(Some(window.max(1)));
        }
    }

    pub(super) fn context_tokens(&self) -> u64 {
        self.gauge.tokens(&self.setup.model.system, &self.history)
    }
}
