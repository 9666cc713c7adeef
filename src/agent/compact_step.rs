//! Compaction as the session runs it: when to compact, eliding old outputs, asking the model for
//! a summary (the router's `compact` step), and recording the new history.

use super::compact;
use super::events::Emit;
use super::events::Event;
use super::request::{complete, RequestError};
use super::session::Session;
use crate::conversation::Item;
use crate::provider::Request;
use crate::store::transcript::Record;

impl Session {
    /// Compacts when the next request would pass the threshold (or always, when `force`).
    pub(super) async fn maybe_compact(&mut self, emit: Emit<'_>, force: bool) {
        let Some(window) = self.context_window() else {
            return;
        };
        let before = self.context_tokens();
        if !force && (before as f64) < self.setup.compact_threshold * window as f64 {
            return;
        }
        compact::elide_old_outputs(&mut self.history);
        let target = self.setup.compact_threshold * window as f64 * 0.6;
        if force || (compact::estimate_tokens(&self.history) as f64) > target {
            if let Err(message) = self.summarise(emit, force).await {
                emit(Event::Error {
                    message,
                    retrying: false,
                });
            }
        }
        if let Some(build) = &self.setup.system_builder {
            self.setup.system = build();
        }
        self.last_context = None;
        let after = self.context_tokens();
        let _ = self.record(&Record::HistoryReplace {
            items: self.history.clone(),
        });
        emit(Event::Compacted {
            tokens_before: before,
            tokens_after: after,
        });
    }

    /// Replaces everything but the last user message and the verbatim tail with a summary.
    async fn summarise(&mut self, emit: Emit<'_>, force: bool) -> Result<(), String> {
        let Some(cut) = compact::cut(&self.history, force) else {
            return Ok(());
        };
        let older: Vec<Item> = self.history[..cut.tail]
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != cut.last_user)
            .map(|(_, it)| it.clone())
            .collect();
        let history = [Item::User {
            text: compact::render_for_summary(&older),
        }];
        let choice = self
            .routing
            .choose(self.steps, self.cost.unwrap_or(0.0), 0, true)?;
        emit(Event::Route {
            step: self.steps,
            model: choice.entry.model.label.clone(),
            reason: choice.reason.clone(),
        });
        let req = Request {
            system: super::prompt::COMPACT_PROMPT,
            tools: &[],
            history: &history,
        };
        let c = complete(
            choice.entry.client.as_ref(),
            self.setup.retry,
            &self.setup.tools.cancel,
            &req,
            emit,
        )
        .await
        .map_err(|e| match e {
            RequestError::Interrupted => "compaction interrupted".to_string(),
            RequestError::Provider(e) => format!("compaction failed: {e}"),
        })?;
        self.add_usage(&choice.entry.model, c.usage, emit);
        let mut next = vec![
            self.history[cut.last_user].clone(),
            compact::summary_item(&c.text),
        ];
        next.extend(self.history.drain(cut.tail..));
        self.history = next;
        Ok(())
    }

    /// Tokens the next request will carry: the last reported count plus an estimate of what was
    /// added since, or an estimate of everything.
    pub(super) fn context_tokens(&self) -> u64 {
        let prefix = (self.setup.system.len() / 4) as u64;
        match self.last_context {
            Some((reported, len)) if len <= self.history.len() => {
                reported + compact::estimate_tokens(&self.history[len..])
            }
            _ => prefix + compact::estimate_tokens(&self.history),
        }
    }
}
