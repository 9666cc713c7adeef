//! One session: the history, the totals, and the loop that runs a user turn to its end.

use super::events::{clip, Event, Status, EVENT_OUTPUT_LIMIT};
use super::prompt::{first_user_message, SYSTEM_PROMPT};
use crate::config::ResolvedModel;
use crate::conversation::{Completion, Item, ToolCall, ToolSpec, Usage};
use crate::provider::{with_retries, ModelClient, ProviderError, Request};
use crate::tools::{Registry, ToolContext};
use std::time::Instant;

/// What a session is made of.
pub struct SessionSetup {
    pub id: String,
    pub model: ResolvedModel,
    pub client: Box<dyn ModelClient>,
    pub registry: Registry,
    pub tools: ToolContext,
    pub retry: crate::provider::RetryPolicy,
    pub max_steps: u32,
    /// Why this model: shown in `route` events.
    pub route_reason: String,
}

pub struct Session {
    setup: SessionSetup,
    specs: Vec<ToolSpec>,
    history: Vec<Item>,
    steps: u32,
    usage: Usage,
    cost: Option<f64>,
    started: Instant,
    last_text: String,
}

/// Where events go; a closure for exec, a channel for the TUI.
pub type Emit<'a> = &'a mut (dyn FnMut(Event) + Send);

impl Session {
    pub fn new(setup: SessionSetup) -> Self {
        let specs = setup.registry.specs();
        let cost = setup.model.prices.map(|_| 0.0);
        Session {
            setup,
            specs,
            history: Vec::new(),
            steps: 0,
            usage: Usage::default(),
            cost,
            started: Instant::now(),
            last_text: String::new(),
        }
    }

    pub fn id(&self) -> &str {
        &self.setup.id
    }

    pub fn history(&self) -> &[Item] {
        &self.history
    }

    /// The last thing the assistant said.
    pub fn last_message(&self) -> &str {
        &self.last_text
    }

    pub fn started_event(&self) -> Event {
        Event::SessionStarted {
            session_id: self.setup.id.clone(),
            cwd: self.setup.tools.root.display().to_string(),
            model: self.setup.model.label.clone(),
        }
    }

    pub fn finished_event(&self, status: Status) -> Event {
        Event::SessionFinished {
            status,
            steps: self.steps,
            input_tokens: self.usage.input_tokens,
            output_tokens: self.usage.output_tokens,
            cost_usd: self.cost,
            duration_ms: self.started.elapsed().as_millis() as u64,
        }
    }

    /// Runs one user turn: model requests and tool calls until the model answers without tools,
    /// the step limit is reached, an unrecoverable error occurs, or the user interrupts.
    pub async fn run_turn(&mut self, task: &str, emit: Emit<'_>) -> Status {
        let text = if self.history.is_empty() {
            first_user_message(task, &self.setup.tools.root)
        } else {
            task.to_string()
        };
        self.history.push(Item::User { text });
        loop {
            if self.setup.tools.cancel.is_cancelled() {
                return Status::Interrupted;
            }
            if self.steps >= self.setup.max_steps {
                emit(Event::Error {
                    message: format!("stopped after {} steps (--max-steps)", self.steps),
                    retrying: false,
                });
                return Status::MaxSteps;
            }
            self.steps += 1;
            let completion = match self.request(emit).await {
                Ok(c) => c,
                Err(status) => return status,
            };
            self.record_completion(&completion, emit);
            if completion.tool_calls.is_empty() {
                return Status::Done;
            }
            for call in &completion.tool_calls {
                if self.run_tool(call, emit).await.is_err() {
                    return Status::Interrupted;
                }
            }
        }
    }

    async fn request(&mut self, emit: Emit<'_>) -> Result<Completion, Status> {
        emit(Event::Route {
            step: self.steps,
            model: self.setup.model.label.clone(),
            reason: self.setup.route_reason.clone(),
        });
        let req = Request {
            system: SYSTEM_PROMPT,
            tools: &self.specs,
            history: &self.history,
        };
        let client = self.setup.client.as_ref();
        let cancel = self.setup.tools.cancel.clone();
        let emit_cell = std::sync::Mutex::new(&mut *emit);
        let result = tokio::select! {
            r = with_retries(self.setup.retry, |n| {
                if let Ok(mut e) = emit_cell.lock() {
                    e(Event::Error { message: format!("{} (attempt {}; retrying in {} ms)", n.message, n.attempt, n.delay.as_millis()), retrying: true });
                }
            }, || attempt(client, &req, &emit_cell)) => Some(r),
            _ = cancel.cancelled() => None,
        };
        let emit = match emit_cell.into_inner() {
            Ok(e) => e,
            Err(p) => p.into_inner(),
        };
        match result {
            None => Err(Status::Interrupted),
            Some(Ok(c)) => Ok(c),
            Some(Err(e)) => {
                emit(Event::Error {
                    message: provider_message(&e),
                    retrying: false,
                });
                Err(Status::Error)
            }
        }
    }

    fn record_completion(&mut self, c: &Completion, emit: Emit<'_>) {
        self.usage.add(c.usage);
        let cost = self.setup.model.prices.map(|p| {
            p.cost(
                c.usage.input_tokens,
                c.usage.cached_input_tokens,
                c.usage.output_tokens,
            )
        });
        if let (Some(total), Some(this)) = (self.cost.as_mut(), cost) {
            *total += this;
        }
        emit(Event::Usage {
            model: self.setup.model.label.clone(),
            input_tokens: c.usage.input_tokens,
            cached_input_tokens: c.usage.cached_input_tokens,
            output_tokens: c.usage.output_tokens,
            cost_usd: cost,
        });
        if !c.text.is_empty() {
            self.last_text = c.text.clone();
            emit(Event::Message {
                role: "assistant".into(),
                text: c.text.clone(),
            });
        }
        self.history.push(Item::Assistant {
            text: c.text.clone(),
            tool_calls: c.tool_calls.clone(),
        });
    }

    /// Runs one call and appends its result. Err only when the user interrupted.
    async fn run_tool(&mut self, call: &ToolCall, emit: Emit<'_>) -> Result<(), ()> {
        let arguments = serde_json::from_str(&call.arguments)
            .unwrap_or_else(|_| serde_json::Value::String(call.arguments.clone()));
        emit(Event::ToolCall {
            call_id: call.id.clone(),
            name: call.name.clone(),
            arguments,
        });
        let result = self
            .setup
            .registry
            .run(&call.name, &call.arguments, &self.setup.tools)
            .await;
        let interrupted = self.setup.tools.cancel.is_cancelled();
        let (ok, output) = match result {
            Ok(out) => (true, out),
            Err(e) => (false, format!("error: {e}")),
        };
        emit(Event::ToolResult {
            call_id: call.id.clone(),
            name: call.name.clone(),
            ok,
            output: clip(&output, EVENT_OUTPUT_LIMIT),
        });
        self.history.push(Item::ToolResult {
            call_id: call.id.clone(),
            name: call.name.clone(),
            output,
            is_error: !ok,
        });
        if interrupted {
            Err(())
        } else {
            Ok(())
        }
    }
}

/// One attempt; streamed text goes out as deltas.
async fn attempt(
    client: &dyn ModelClient,
    req: &Request<'_>,
    emit: &std::sync::Mutex<&mut (dyn FnMut(Event) + Send)>,
) -> Result<Completion, ProviderError> {
    let mut sink = |t: &str| {
        if let Ok(mut e) = emit.lock() {
            e(Event::TextDelta {
                text: t.to_string(),
            });
        }
    };
    client.complete(req, &mut sink).await
}

fn provider_message(e: &ProviderError) -> String {
    match e {
        ProviderError::Status {
            status: 401 | 403, ..
        } => {
            format!(
                "{e}. Check the API key (the provider's api_key_env variable) and its permissions"
            )
        }
        ProviderError::Status { status: 404, .. } => {
            format!("{e}. Check the model name and the provider's base_url")
        }
        _ => e.to_string(),
    }
}
