//! One model request as the session makes it: the router picks the model, the budget is
//! checked, the request goes out, a context overflow compacts and retries once, and a provider
//! that keeps failing hands over to the router's fallback model.

use super::compact;
use super::events::{Emit, Event, Status};
use super::request::{complete, provider_message, RequestError};
use super::session::Session;
use crate::conversation::Completion;
use crate::provider::Request;
use crate::router::BudgetCheck;
use crate::types::usd;

impl Session {
    /// One model request: route, budget, request (compacting and retrying once on a context
    /// overflow, falling back to the router's fallback model when the provider keeps failing).
    pub(super) async fn step(&mut self, emit: Emit<'_>) -> Result<Completion, Status> {
        let last_input = self.gauge.last_input();
        let choice =
            match self
                .routing
                .choose(self.turn.steps(), self.accounts.spent(), last_input, false)
            {
                Ok(c) => c,
                Err(e) => {
                    emit(Event::Error {
                        message: e.to_string(),
                        retrying: false,
                    });
                    return Err(Status::Error);
                }
            };
        self.gauge.prefer_window(choice.entry.model.context_window);
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
            let format = self.native.for_entry(&entry, emit);
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
                    if self.native.refused_by(&e, &entry, format, emit) => {}
                Err(RequestError::Provider(e))
                    if !overflow_retried && compact::is_context_overflow(&e.to_string()) =>
                {
                    overflow_retried = true;
                    emit(Event::Error {
                        message: format!("{e}; compacting the conversation and retrying"),
                        retrying: true,
                    });
                    self.learn_window(&e.to_string());
                    self.maybe_compact(emit, true).await;
                }
                Err(RequestError::Provider(e)) => match self.routing.fallback(&entry.model.label) {
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
                },
            }
        }
    }

    /// A history with images goes only to a model that takes them (a router's rung or a model
    /// switched to after the images were sent may not): an error before the request, naming
    /// the model and what to do, instead of the provider's 400.
    fn check_vision(
        &self,
        model: &crate::config::ResolvedModel,
        emit: Emit<'_>,
    ) -> Result<(), Status> {
        if !self.history.iter().any(|i| !i.images().is_empty()) {
            return Ok(());
        }
        match self.routing.vision_refusal(model) {
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

    fn check_budget(
        &mut self,
        entry: &super::routing::Entry,
        emit: Emit<'_>,
    ) -> Result<(), Status> {
        let spent = match &self.setup.spend {
            Some(family) => family.now().cost.max(self.accounts.spent()),
            None => self.accounts.spent(),
        };
        match self
            .routing
            .check_budget(entry, spent, self.context_tokens())
        {
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
                let max = self.routing.max_cost().unwrap_or(0.0);
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
                let max = self.routing.max_cost().unwrap_or(0.0);
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
    fn failure_message(
        &self,
        e: &crate::provider::ProviderError,
        model: &crate::config::ResolvedModel,
    ) -> String {
        let message = provider_message(e, model);
        let status = match e {
            crate::provider::ProviderError::Status { status, .. } => Some(*status),
            _ => None,
        };
        if !super::request_size::is_too_large(status, &e.to_string()) {
            return message;
        }
        let req = Request {
            system: &self.setup.model.system,
            tools: &self.specs,
            history: &self.history,
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
            system: &self.setup.model.system,
            tools: &self.specs,
            history: &self.history,
            effort,
            cache_key: &self.setup.record.id,
            format: self.native.carried(with_format),
        };
        let r = complete(
            client,
            self.setup.model.retry,
            &self.setup.tools.context.cancel,
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
            self.gauge.reported(n, self.history.len());
        }
        r
    }
}
