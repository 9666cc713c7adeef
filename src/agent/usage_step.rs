//! What a request cost: tokens and cost added to the session's totals and announced, and the
//! spending of subagents rolled into their parent's.

use super::events::{Emit, Event};
use super::session::Session;
use crate::config::ResolvedModel;
use crate::conversation::{Completion, Item, Usage};

impl Session {
    /// Adds one request's usage (`None`: the server reported none, so its cost is unknown).
    pub(super) fn add_usage(
        &mut self,
        model: &ResolvedModel,
        usage: Option<Usage>,
        emit: Emit<'_>,
    ) {
        let cost = self.routing.record_usage(model, usage);
        let usage = usage.unwrap_or_default();
        self.accounts.add(usage, cost);
        self.gauge.set_window(model.context_window);
        if let Some(family) = &self.setup.spend {
            family.add(usage, cost);
        }
        emit(Event::Usage {
            model: model.label.clone(),
            input_tokens: usage.input_tokens,
            cached_input_tokens: usage.cached_input_tokens,
            cache_write_tokens: usage.cache_write_tokens,
            output_tokens: usage.output_tokens,
            reasoning_tokens: usage.reasoning_tokens,
            cost_usd: cost,
        });
    }

    /// Takes what other sessions of the family (subagents a tool call started) spent into this
    /// session's totals, with a `usage` event so the transcript and front ends count it.
    pub(super) fn roll_up(&mut self, spent: super::spend::Spent, emit: Emit<'_>) {
        if spent.is_zero() {
            return;
        }
        self.accounts.roll_up(&spent);
        emit(Event::Usage {
            model: crate::types::SUBAGENTS_USAGE_MODEL.into(),
            input_tokens: spent.usage.input_tokens,
            cached_input_tokens: spent.usage.cached_input_tokens,
            cache_write_tokens: spent.usage.cache_write_tokens,
            output_tokens: spent.usage.output_tokens,
            reasoning_tokens: spent.usage.reasoning_tokens,
            cost_usd: Some(spent.cost),
        });
    }

    pub(super) fn record_completion(
        &mut self,
        model: &ResolvedModel,
        c: &Completion,
        emit: Emit<'_>,
    ) {
        self.add_usage(model, c.usage, emit);
        self.routing.answered();
        let thought: Vec<String> = c
            .reasoning
            .iter()
            .map(|r| r.display_text())
            .filter(|t| !t.trim().is_empty())
            .collect();
        if !thought.is_empty() {
            emit(Event::Reasoning {
                model: model.label.clone(),
                text: thought.join("\n\n"),
            });
        }
        if !c.text.is_empty() {
            self.turn.set_last_text(c.text.clone());
            emit(Event::Message {
                role: "assistant".into(),
                text: c.text.clone(),
            });
        }
        self.push(Item::Assistant {
            text: c.text.clone(),
            tool_calls: c.tool_calls.clone(),
            reasoning: c.reasoning.clone(),
        });
    }
}
