//! One model request as the session makes it: the router picks the model, the budget is
//! checked, the request goes out, a context overflow compacts and retries once, and a provider
//! that keeps failing hands over to the router's fallback model.

use super::compact;
use super::compact_step::Compaction;
use super::events::{Emit, Event, Status};
use super::history::History;
use super::ledger::Ledger;
use super::model_side::ModelSide;
use super::request::{complete, provider_message, RequestError};
use super::routing::Entry;
use super::toolbox::Toolbox;
use super::turn::TurnState;
use crate::config::ResolvedModel;
use crate::conversation::{Completion, Item};
use crate::provider::Request;
use crate::router::BudgetCheck;
use crate::types::usd;

/// A model request over the parts of the session it needs: the model side, the history it sends
/// and extends, the ledger it charges, the step count, and the tools (their specs go with the
/// request, their cancel signal stops it). Borrowing only these leaves the rest of the session
/// (extensions, checkpoints) free, and says what a step can change.
pub(super) struct Steps<'s> {
    pub(super) model: &'s mut ModelSide,
    pub(super) history: &'s mut History,
    pub(super) ledger: &'s mut Ledger,
    pub(super) turn: &'s mut TurnState,
    pub(super) tools: &'s Toolbox,
    /// The session id, the provider's cache key.
    pub(super) id: &'s str,
}

impl Steps<'_> {
    /// Compaction over the same parts.
    pub(super) fn compaction(&mut self) -> Compaction<'_> {
        Compaction {
            model: &mut *self.model,
            history: &mut *self.history,
            ledger: &mut *self.ledger,
            steps: self.turn.steps(),
            cancel: &self.tools.context().cancel,
        }
    }

    /// One model request: route, budget, request (compacting and retrying once on a context
    /// overflow, falling back to the router's fallback model when the provider keeps failing).
    pub(super) async fn step(&mut self, emit: Emit<'_>) -> Result<Completion, Status> {
        let last_input = self.model.gauge.last_input();
        let chosen =
            self.model
                .routing
                .choose(self.turn.steps(), self.ledger.spent(), last_input, false);
        let choice = match chosen {
            Ok(c) => c,
            Err(e) => {
                emit(Event::Error {
                    message: e.to_string(),
                    retrying: false,
                });
                return Err(Status::Error);
            }
        };
        self.model
            .gauge
            .prefer_window(choice.entry.model.context_window);
        self.check_budget(&choice.entry, emit)?;
        self.check_vision(&choice.entry.model, emit)?;
        let step = self.turn.next_step();
        emit(Event::Route {
            step,
            model: choice.entry.model.label.clone(),
            reason: choice.reason.clone(),
            kind: Some(choice.kind),
        });
        let mut entry = choice.entry;
        let mut overflow_retried = false;
        loop {
            let format = self.model.native.for_entry(&entry, emit);
            match self
                .request(entry.client.as_ref(), choice.effort, format, emit)
                .await
            {
                Ok(c) => {
                    self.record_completion(&entry.model, &c, emit);
                    return Ok(c);
                }
                Err(RequestError::Interrupted) => return Err(Status::Interrupted),
                Err(RequestError::Provider(e))
                    if self.model.native.refused_by(&e, &entry, format, emit) => {}
                Err(RequestError::Provider(e))
                    if !overflow_retried && compact::is_context_overflow(&e.to_string()) =>
                {
                    overflow_retried = true;
                    emit(Event::Error {
                        message: format!("{e}; compacting the conversation and retrying"),
                        retrying: true,
                    });
                    self.model
                        .learn_window(&e.to_string(), self.history.items());
                    self.compaction().run(emit, true).await;
                }
                Err(RequestError::Provider(e)) => {
                    match self.model.routing.fallback(&entry.model.label) {
                        Some(fb) if e.is_retryable() => {
                            emit(Event::Error {
                                message: format!(
                                    "{}; falling back to {}",
                                    provider_message(&e, &entry.model),
                                    fb.model.label
                                ),
                                retrying: true,
                            });
                            emit(Event::Route {
                                step: self.turn.steps(),
                                model: fb.model.label.clone(),
                                reason: format!("fallback: {} kept failing", entry.model.label),
                                kind: Some(choice.kind),
                            });
                            entry = fb;
                        }
                        _ => {
                            emit(Event::Error {
                                message: self.failure_message(&e, &entry.model),
                                retrying: false,
                            });
                            return Err(Status::Error);
                        }
                    }
                }
            }
        }
    }

    /// A history with images goes only to a model that takes them (a router's rung or a model
    /// switched to after the images were sent may not): an error before the request, naming
    /// the model and what to do, instead of the provider's 400.
    fn check_vision(&self, model: &ResolvedModel, emit: Emit<'_>) -> Result<(), Status> {
        if !self.history.items().iter().any(|i| !i.images().is_empty()) {
            return Ok(());
        }
        match self.model.routing.vision_refusal(model) {
            None => Ok(()),
            Some(message) => {
                emit(Event::Error {
                    message,
                    retrying: false,
                });
                Err(Status::Error)
            }
        }
    }

    fn check_budget(&mut self, entry: &Entry, emit: Emit<'_>) -> Result<(), Status> {
        let input = self.model.context_tokens(self.history.items());
        let (spent, check) = self.ledger.check_budget(entry, input);
        let max = self.ledger.max_cost().unwrap_or(0.0);
        match check {
            BudgetCheck::Ok => Ok(()),
            BudgetCheck::Warn80 { would_be, max_cost } => {
                emit(Event::BudgetWarning {
                    spent_usd: spent,
                    projected_usd: would_be,
                    max_cost_usd: max_cost,
                });
                Ok(())
            }
            BudgetCheck::Unpriced => {
                emit(Event::Warning {
                    message: format!(
                        "{} has no known prices, so the {} budget cannot be enforced for its requests (set input_price and output_price in its [models.*] table)",
                        entry.model.label,
                        usd::show(max)
                    ),
                });
                Ok(())
            }
            BudgetCheck::Stop { spent, would_be } => {
                emit(Event::Error {
                    message: format!(
                        "budget reached: spent {}; the next request would bring it to about {}, over the {} budget (--max-cost or the workflow's max_cost)",
                        usd::show(spent),
                        usd::show(would_be),
                        usd::show(max)
                    ),
                    retrying: false,
                });
                Err(Status::Budget)
            }
        }
    }

    /// The message of a request that failed for good; a request the provider found too large
    /// says which of its parts is large.
    fn failure_message(&self, e: &crate::provider::ProviderError, model: &ResolvedModel) -> String {
        let message = provider_message(e, model);
        let status = match e {
            crate::provider::ProviderError::Status { status, .. } => Some(*status),
            _ => None,
        };
        if !super::request_size::is_too_large(status, &e.to_string()) {
            return message;
        }
        let req = Request {
            system: &self.model.system,
            tools: self.tools.specs(),
            history: self.history.items(),
            ..Request::default()
        };
        format!("{message}. {}", super::request_size::describe(&req))
    }

    async fn request(
        &mut self,
        client: &dyn crate::provider::ModelClient,
        effort: Option<crate::types::Effort>,
        with_format: bool,
        emit: Emit<'_>,
    ) -> Result<Completion, RequestError> {
        let req = Request {
            system: &self.model.system,
            tools: self.tools.specs(),
            history: self.history.items(),
            effort,
            cache_key: self.id,
            format: self.model.native.carried(with_format),
        };
        let r = complete(
            client,
            self.model.retry,
            &self.tools.context().cancel,
            &req,
            emit,
        )
        .await;
        // A server that reports no usage must not make the context look empty.
        let input = r
            .as_ref()
            .ok()
            .and_then(|c| c.usage)
            .map(|u| u.input_tokens);
        if let Some(n) = input.filter(|n| *n > 0) {
            self.model.gauge.reported(n, self.history.items().len());
        }
        r
    }

    /// The answer: charged, its reasoning and text announced, and added to the history.
    fn record_completion(&mut self, model: &ResolvedModel, c: &Completion, emit: Emit<'_>) {
        self.model.charge(self.ledger, model, c.usage, emit);
        self.model.routing.answered();
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
        self.history.push(Item::Assistant {
            text: c.text.clone(),
            tool_calls: c.tool_calls.clone(),
            reasoning: c.reasoning.clone(),
        });
    }
}
