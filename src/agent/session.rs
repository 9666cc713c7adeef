//! One session: the history, the totals, and the loop that runs a user turn to its end. Every
//! public event and every history item also goes to the transcript, so the session can be resumed.

use super::compact;
use super::events::{clip, Event, Status, EVENT_OUTPUT_LIMIT};
use crate::config::ResolvedModel;
use crate::conversation::{Completion, Item, ToolCall, ToolSpec, Usage};
use crate::provider::{with_retries, ModelClient, ProviderError, Request, RetryPolicy};
use crate::redact::Redactor;
use crate::sandbox::approval::{self, Answer, Approver, Gate};
use crate::sandbox::Decision;
use crate::store::transcript::{Record, TranscriptWriter};
use crate::tools::{Registry, ToolContext};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What a session is made of.
pub struct SessionSetup {
    pub id: String,
    pub model: ResolvedModel,
    pub client: Box<dyn ModelClient>,
    pub registry: Registry,
    pub tools: ToolContext,
    pub retry: RetryPolicy,
    pub max_steps: u32,
    /// Why this model: shown in `route` events.
    pub route_reason: String,
    /// The system prompt with instructions and memory: the stable prefix of every request.
    pub system: String,
    /// Rebuilds `system` after compaction (memory and instructions are re-read).
    pub system_builder: Option<Box<dyn Fn() -> String + Send + Sync>>,
    pub transcript: Option<TranscriptWriter>,
    /// History of a resumed session.
    pub history: Vec<Item>,
    pub redactor: Redactor,
    /// Compact when the next request would pass this share of the model's context window.
    pub compact_threshold: f64,
    /// Permission rules and approval policy, checked before every tool call.
    pub gate: Gate,
    /// Who answers when the gate asks.
    pub approver: Box<dyn Approver>,
}

pub struct Session {
    setup: SessionSetup,
    transcript: Option<Arc<Mutex<TranscriptWriter>>>,
    specs: Vec<ToolSpec>,
    history: Vec<Item>,
    steps: u32,
    usage: Usage,
    cost: Option<f64>,
    started: Instant,
    last_text: String,
    /// Provider-reported input tokens of the last request and the history length then.
    last_context: Option<(u64, usize)>,
}

/// Where events go; a closure for exec, a channel for the TUI.
pub type Emit<'a> = &'a mut (dyn FnMut(Event) + Send);

impl Session {
    pub fn new(mut setup: SessionSetup) -> Self {
        let specs = setup.registry.specs();
        let cost = setup.model.prices.map(|_| 0.0);
        let history = std::mem::take(&mut setup.history);
        let transcript = setup.transcript.take().map(|t| Arc::new(Mutex::new(t)));
        Session {
            setup,
            transcript,
            specs,
            history,
            steps: 0,
            usage: Usage::default(),
            cost,
            started: Instant::now(),
            last_text: String::new(),
            last_context: None,
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

    /// Writes a record to the transcript; a failing disk is reported once per record, not fatal.
    pub fn record(&self, record: &Record) -> Result<(), String> {
        match &self.transcript {
            Some(t) => t
                .lock()
                .map_err(|_| "transcript lock poisoned".to_string())?
                .append(record)
                .map_err(|e| e.to_string()),
            None => Ok(()),
        }
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

    /// Wraps a front end's sink so every public event is also written to the transcript.
    pub fn recording<'a>(&self, out: Emit<'a>) -> impl FnMut(Event) + Send + 'a {
        let transcript = self.transcript.clone();
        move |e: Event| {
            if e.is_public() {
                if let Some(t) = &transcript {
                    if let Ok(mut t) = t.lock() {
                        let _ = t.append_event(&e);
                    }
                }
            }
            out(e)
        }
    }

    /// Sends one event outside a turn (start, finish, warnings), recording it like the rest.
    pub fn announce(&self, event: Event, out: Emit<'_>) {
        self.recording(out)(event);
        self.sync_transcript();
    }

    fn sync_transcript(&self) {
        if let Some(t) = &self.transcript {
            if let Ok(mut t) = t.lock() {
                let _ = t.sync();
            }
        }
    }

    fn push(&mut self, item: Item) {
        let _ = self.record(&Record::HistoryItem { item: item.clone() });
        self.history.push(item);
    }

    /// Runs one user turn: model requests and tool calls until the model answers without tools,
    /// the step limit is reached, an unrecoverable error occurs, or the user interrupts.
    pub async fn run_turn(&mut self, task: &str, out: Emit<'_>) -> Status {
        let mut sink = self.recording(out);
        let emit: Emit<'_> = &mut sink;
        let first = !self.history.iter().any(|i| matches!(i, Item::User { .. }));
        let text = if first {
            super::prompt::first_user_message(task, &self.setup.tools.root)
        } else {
            task.to_string()
        };
        self.push(Item::User { text });
        let status = self.turn_loop(emit).await;
        self.sync_transcript();
        status
    }

    async fn turn_loop(&mut self, emit: Emit<'_>) -> Status {
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
            self.maybe_compact(emit, false).await;
            self.steps += 1;
            let completion = match self.request_with_overflow_retry(emit).await {
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
            self.sync_transcript();
        }
    }

    /// A "context too long" answer compacts the history and retries once instead of failing.
    async fn request_with_overflow_retry(&mut self, emit: Emit<'_>) -> Result<Completion, Status> {
        match self.request(emit).await {
            Err(RequestError::Provider(e)) if compact::is_context_overflow(&e.to_string()) => {
                emit(Event::Error {
                    message: format!("{e}; compacting the conversation and retrying"),
                    retrying: true,
                });
                self.maybe_compact(emit, true).await;
                self.request(emit).await.map_err(|e| self.fail(e, emit))
            }
            other => other.map_err(|e| self.fail(e, emit)),
        }
    }

    fn fail(&self, e: RequestError, emit: Emit<'_>) -> Status {
        match e {
            RequestError::Interrupted => Status::Interrupted,
            RequestError::Provider(e) => {
                emit(Event::Error {
                    message: provider_message(&e),
                    retrying: false,
                });
                Status::Error
            }
        }
    }

    async fn request(&mut self, emit: Emit<'_>) -> Result<Completion, RequestError> {
        emit(Event::Route {
            step: self.steps,
            model: self.setup.model.label.clone(),
            reason: self.setup.route_reason.clone(),
        });
        let req = Request {
            system: &self.setup.system,
            tools: &self.specs,
            history: &self.history,
        };
        let r = complete(
            self.setup.client.as_ref(),
            self.setup.retry,
            &self.setup.tools.cancel,
            &req,
            emit,
        )
        .await;
        if let Ok(c) = &r {
            self.last_context = Some((c.usage.input_tokens, self.history.len()));
        }
        r
    }

    /// Compacts when the next request would pass the threshold (or always, when `force`).
    async fn maybe_compact(&mut self, emit: Emit<'_>, force: bool) {
        let Some(window) = self.setup.model.context_window else {
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
        let req = Request {
            system: super::prompt::COMPACT_PROMPT,
            tools: &[],
            history: &history,
        };
        let c = complete(
            self.setup.client.as_ref(),
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
        self.add_usage(c.usage, emit);
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
    fn context_tokens(&self) -> u64 {
        let prefix = (self.setup.system.len() / 4) as u64;
        match self.last_context {
            Some((reported, len)) if len <= self.history.len() => {
                reported + compact::estimate_tokens(&self.history[len..])
            }
            _ => prefix + compact::estimate_tokens(&self.history),
        }
    }

    fn add_usage(&mut self, usage: Usage, emit: Emit<'_>) {
        self.usage.add(usage);
        let cost = self.setup.model.prices.map(|p| {
            p.cost(
                usage.input_tokens,
                usage.cached_input_tokens,
                usage.output_tokens,
            )
        });
        if let (Some(total), Some(this)) = (self.cost.as_mut(), cost) {
            *total += this;
        }
        emit(Event::Usage {
            model: self.setup.model.label.clone(),
            input_tokens: usage.input_tokens,
            cached_input_tokens: usage.cached_input_tokens,
            output_tokens: usage.output_tokens,
            cost_usd: cost,
        });
    }

    fn record_completion(&mut self, c: &Completion, emit: Emit<'_>) {
        self.add_usage(c.usage, emit);
        if !c.text.is_empty() {
            self.last_text = c.text.clone();
            emit(Event::Message {
                role: "assistant".into(),
                text: c.text.clone(),
            });
        }
        self.push(Item::Assistant {
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
            arguments: arguments.clone(),
        });
        let result = match self.permit(call, &arguments, emit).await {
            Ok(()) => {
                self.setup
                    .registry
                    .run(&call.name, &call.arguments, &self.setup.tools)
                    .await
            }
            Err(refusal) => Err(crate::tools::ToolError(refusal)),
        };
        let interrupted = self.setup.tools.cancel.is_cancelled();
        let (ok, output) = match result {
            Ok(out) => (true, out),
            Err(e) => (false, format!("error: {e}")),
        };
        let output = self.setup.redactor.redact(&output);
        emit(Event::ToolResult {
            call_id: call.id.clone(),
            name: call.name.clone(),
            ok,
            output: clip(&output, EVENT_OUTPUT_LIMIT),
        });
        self.push(Item::ToolResult {
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

    /// Passes the call through the permission gate, asking the front end when a rule or the
    /// approval policy says so. Err carries the refusal for the model.
    async fn permit(
        &self,
        call: &ToolCall,
        arguments: &serde_json::Value,
        emit: Emit<'_>,
    ) -> Result<(), String> {
        let mutates = self
            .setup
            .registry
            .get(&call.name)
            .is_some_and(|t| t.mutates());
        let subjects = approval::subjects(&call.name, arguments);
        let reason = match self.setup.gate.decide_all(&call.name, &subjects, mutates) {
            Decision::Allow => return Ok(()),
            Decision::Deny(reason) => return Err(format!(
                "not permitted: {reason}. Do something else, or ask the user to change the rule"
            )),
            Decision::Ask(reason) => reason,
        };
        let request = approval::Request {
            id: call.id.clone(),
            tool: call.name.clone(),
            arguments: arguments.clone(),
            reason,
        };
        emit(Event::ApprovalRequest(request.clone()));
        let answer = self.setup.approver.ask(&request).await;
        emit(Event::ApprovalDecision {
            id: call.id.clone(),
            answer: answer.clone(),
        });
        match answer {
            Answer::Once => Ok(()),
            Answer::Always => {
                for s in &subjects {
                    self.setup.gate.allow_for_session(&call.name, Some(s));
                }
                if subjects.is_empty() {
                    self.setup.gate.allow_for_session(&call.name, None);
                }
                Ok(())
            }
            Answer::Deny { note } => Err(match note {
                Some(n) => format!("not permitted: {n}"),
                None => "the user denied this call".to_string(),
            }),
        }
    }
}

enum RequestError {
    Interrupted,
    Provider(ProviderError),
}

/// One model request with retries, streamed text going out as deltas; stops at once on interrupt.
async fn complete(
    client: &dyn ModelClient,
    retry: RetryPolicy,
    cancel: &crate::cancel::Cancel,
    req: &Request<'_>,
    emit: Emit<'_>,
) -> Result<Completion, RequestError> {
    let emit_cell = Mutex::new(emit);
    let send = |e: Event| {
        if let Ok(mut emit) = emit_cell.lock() {
            emit(e);
        }
    };
    let result = tokio::select! {
        r = with_retries(retry, |n| send(Event::Error {
            message: format!("{} (attempt {}; retrying in {} ms)", n.message, n.attempt, n.delay.as_millis()),
            retrying: true,
        }), || async {
            let mut sink = |t: &str| send(Event::TextDelta { text: t.to_string() });
            client.complete(req, &mut sink).await
        }) => Some(r),
        _ = cancel.cancelled() => None,
    };
    match result {
        None => Err(RequestError::Interrupted),
        Some(r) => r.map_err(RequestError::Provider),
    }
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
