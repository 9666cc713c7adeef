//! A session's events as a trace: one root span for the session, a child for each model request
//! (from its `route` event to its `usage`) and for each tool call (from `tool.call` to
//! `tool.result`), and a child for each check run. A subagent's session is the same tree, hung
//! under the span of the parent's `task` call instead of starting a trace of its own. Attribute names follow OpenTelemetry's
//! generative-AI conventions where one exists (`gen_ai.*`) and are `reins.*` otherwise.
//!
//! Content (the prompt, the model's text, tool arguments and output, the workspace path) is only
//! attached when the user opted in: by default a trace says what happened, never what was said.

use super::lineage::Lineage;
use super::metrics::{serde_name, Instruments};
use crate::agent::events::{clip, Event, Status};
use crate::types::SUBAGENTS_USAGE_MODEL;
use opentelemetry::trace::{Span as _, SpanKind, Status as SpanStatus, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{SdkTracer, Span};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// Model text kept per span when content is exported (tool output is already cut by the event).
const CONTENT_LIMIT: usize = 16 * 1024;

/// A model request whose span is open: it ends at its `usage` event, but stays open until the
/// next event that is not about it, so the reply's text (which follows `usage`) can join it.
struct Request {
    span: Span,
    answered_at: Option<SystemTime>,
}

/// Where a session's root span goes.
pub enum Place {
    /// A trace of its own.
    Root,
    /// Subagent `agent`'s session, under `parent` (the parent's `task` call); a trace of its
    /// own when that call was not traced.
    Under {
        parent: Option<Context>,
        agent: String,
    },
}

/// The trace of one session being built.
pub struct SessionTrace {
    tracer: SdkTracer,
    instruments: Instruments,
    content: bool,
    place: Place,
    /// The running tool call's span, published for the subagents it starts.
    lineage: Lineage,
    session: Option<Context>,
    request: Option<Request>,
    tools: HashMap<String, Span>,
}

impl SessionTrace {
    pub fn new(
        tracer: SdkTracer,
        instruments: Instruments,
        content: bool,
        place: Place,
        lineage: Lineage,
    ) -> Self {
        SessionTrace {
            tracer,
            instruments,
            content,
            place,
            lineage,
            session: None,
            request: None,
            tools: HashMap::new(),
        }
    }

    pub fn event(&mut self, event: &Event) {
        match event {
            Event::SessionStarted {
                session_id,
                cwd,
                model,
            } => self.started(session_id, cwd, model),
            Event::Route {
                step,
                model,
                reason,
                kind,
            } => {
                self.end_request(Some("no answer: the request was handed to another model"));
                let kind = kind.map_or("", |k| k.as_str());
                self.request(*step, model, reason, kind);
            }
            Event::Usage { .. } => self.usage(event),
            Event::Reasoning { text, .. } => self.reply("reins.content.reasoning", text),
            Event::Message { text, .. } => self.reply("gen_ai.output.text", text),
            Event::Error { message, retrying } => self.error(message, *retrying),
            Event::ToolCall {
                call_id,
                name,
                arguments,
                kind,
                paths,
            } => {
                self.end_request(None);
                let kind = kind.map(serde_name);
                let mut span = self.tool_span(call_id, name, kind.as_deref(), SystemTime::now());
                if self.content {
                    span.set_attribute(KeyValue::new(
                        "reins.content.arguments",
                        arguments.to_string(),
                    ));
                    if !paths.is_empty() {
                        span.set_attribute(KeyValue::new("reins.content.paths", paths.join("\n")));
                    }
                }
                self.lineage.enter(span.span_context());
                self.tools.insert(call_id.clone(), span);
            }
            Event::ToolResult { .. } => self.tool_result(event),
            Event::Check { .. } => self.check(event),
            Event::Compacted {
                tokens_before,
                tokens_after,
                ..
            } => self.session_event(
                "reins.compacted",
                vec![
                    KeyValue::new("reins.tokens_before", int(*tokens_before)),
                    KeyValue::new("reins.tokens_after", int(*tokens_after)),
                ],
            ),
            Event::SessionFinished { .. } => self.finished(event),
            _ => {}
        }
    }

    /// A user prompt: its size always, its text only with content on.
    pub fn prompt(&mut self, text: &str) {
        self.end_request(None);
        let mut attributes = vec![KeyValue::new(
            "reins.prompt.chars",
            count(text.chars().count()),
        )];
        if self.content {
            attributes.push(KeyValue::new(
                "gen_ai.input.text",
                clip(text, CONTENT_LIMIT),
            ));
        }
        self.session_event("gen_ai.user.message", attributes);
    }

    fn started(&mut self, session_id: &str, cwd: &str, model: &str) {
        self.close_all("a new session started");
        let (agent, parent) = match &self.place {
            Place::Root => ("reins", None),
            Place::Under { parent, agent } => (agent.as_str(), parent.as_ref()),
        };
        let mut attributes = vec![
            KeyValue::new("gen_ai.operation.name", "invoke_agent"),
            KeyValue::new("gen_ai.agent.name", agent.to_string()),
            KeyValue::new("gen_ai.conversation.id", session_id.to_string()),
            KeyValue::new("gen_ai.request.model", model.to_string()),
        ];
        if let Place::Under { agent, .. } = &self.place {
            attributes.push(KeyValue::new("reins.subagent", agent.clone()));
        }
        if self.content {
            attributes.push(KeyValue::new("reins.workspace", cwd.to_string()));
        }
        let span = self
            .tracer
            .span_builder(format!("invoke_agent {agent}"))
            .with_kind(SpanKind::Internal)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, parent.unwrap_or(&Context::new()));
        self.session = Some(Context::new().with_span(span));
    }

    fn parent(&self) -> Context {
        self.session.clone().unwrap_or_default()
    }

    fn request(&mut self, step: u32, model: &str, reason: &str, kind: &str) {
        let span = self
            .tracer
            .span_builder(format!("chat {model}"))
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("gen_ai.operation.name", "chat"),
                KeyValue::new("gen_ai.request.model", model.to_string()),
                KeyValue::new("reins.step", i64::from(step)),
                KeyValue::new("reins.step.kind", kind.to_string()),
                KeyValue::new("reins.route.reason", reason.to_string()),
            ])
            .start_with_context(&self.tracer, &self.parent());
        self.request = Some(Request {
            span,
            answered_at: None,
        });
    }

    fn usage(&mut self, event: &Event) {
        let Event::Usage {
            model,
            input_tokens,
            cached_input_tokens,
            cache_write_tokens,
            output_tokens,
            reasoning_tokens,
            cost_usd,
        } = event
        else {
            return;
        };
        if model == SUBAGENTS_USAGE_MODEL {
            // What the subagents of the running `task` call spent: their own traces and
            // metrics count it by model, so here it only annotates the call.
            self.subagents_spent(event);
            return;
        }
        self.instruments.usage(event);
        let Some(request) = self.request.as_mut().filter(|r| r.answered_at.is_none()) else {
            return;
        };
        let span = &mut request.span;
        span.set_attributes([
            KeyValue::new("gen_ai.response.model", model.clone()),
            KeyValue::new("gen_ai.usage.input_tokens", int(*input_tokens)),
            KeyValue::new("gen_ai.usage.output_tokens", int(*output_tokens)),
            KeyValue::new("reins.usage.cached_input_tokens", int(*cached_input_tokens)),
            KeyValue::new("reins.usage.cache_write_tokens", int(*cache_write_tokens)),
            KeyValue::new("reins.usage.reasoning_tokens", int(*reasoning_tokens)),
        ]);
        if let Some(cost) = cost_usd {
            span.set_attribute(KeyValue::new("reins.cost_usd", *cost));
        }
        request.answered_at = Some(SystemTime::now());
    }

    fn subagents_spent(&mut self, event: &Event) {
        let Event::Usage {
            input_tokens,
            output_tokens,
            cost_usd,
            ..
        } = event
        else {
            return;
        };
        for span in self.tools.values_mut() {
            span.set_attributes([
                KeyValue::new("reins.subagents.input_tokens", int(*input_tokens)),
                KeyValue::new("reins.subagents.output_tokens", int(*output_tokens)),
            ]);
            if let Some(cost) = cost_usd {
                span.set_attribute(KeyValue::new("reins.subagents.cost_usd", *cost));
            }
        }
    }

    fn reply(&mut self, key: &'static str, text: &str) {
        if !self.content {
            return;
        }
        if let Some(request) = self.request.as_mut() {
            request
                .span
                .set_attribute(KeyValue::new(key, clip(text, CONTENT_LIMIT)));
        }
    }

    fn error(&mut self, message: &str, retrying: bool) {
        match (&mut self.request, retrying) {
            (Some(request), true) => request.span.add_event(
                "reins.retry",
                vec![KeyValue::new("error.message", message.to_string())],
            ),
            (Some(_), false) => self.end_request(Some(message)),
            (None, _) => self.session_event(
                "reins.error",
                vec![KeyValue::new("error.message", message.to_string())],
            ),
        }
    }

    /// Ends the open request span: at its answer's time when it was answered, else now with
    /// `failure` (or as unanswered).
    fn end_request(&mut self, failure: Option<&str>) {
        let Some(mut request) = self.request.take() else {
            return;
        };
        match request.answered_at {
            Some(at) => request.span.end_with_timestamp(at),
            None => {
                let why = failure.unwrap_or("the request got no answer");
                request.span.set_status(SpanStatus::error(why.to_string()));
                request.span.end();
            }
        }
    }

    fn tool_span(&self, call_id: &str, name: &str, kind: Option<&str>, at: SystemTime) -> Span {
        let mut attributes = vec![
            KeyValue::new("gen_ai.operation.name", "execute_tool"),
            KeyValue::new("gen_ai.tool.name", name.to_string()),
            KeyValue::new("gen_ai.tool.call.id", call_id.to_string()),
        ];
        if let Some(kind) = kind {
            attributes.push(KeyValue::new("reins.tool.kind", kind.to_string()));
        }
        self.tracer
            .span_builder(format!("execute_tool {name}"))
            .with_kind(SpanKind::Internal)
            .with_start_time(at)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, &self.parent())
    }

    fn tool_result(&mut self, event: &Event) {
        let Event::ToolResult {
            call_id,
            name,
            ok,
            output,
            exit_code,
            changed_paths,
            denied,
        } = event
        else {
            return;
        };
        self.end_request(None);
        self.lineage.leave();
        self.instruments.tool(name, *ok, *denied);
        let mut span = match self.tools.remove(call_id) {
            Some(span) => span,
            None => self.tool_span(call_id, name, None, SystemTime::now()),
        };
        span.set_attributes([
            KeyValue::new("reins.tool.ok", *ok),
            KeyValue::new("reins.tool.denied", *denied),
            KeyValue::new("reins.tool.changed_files", count(changed_paths.len())),
        ]);
        if let Some(code) = exit_code {
            span.set_attribute(KeyValue::new("process.exit.code", i64::from(*code)));
        }
        if self.content {
            span.set_attribute(KeyValue::new("reins.content.output", output.clone()));
        }
        if !ok {
            span.set_status(SpanStatus::error(if *denied { "denied" } else { "failed" }));
        }
        span.end();
    }

    fn check(&mut self, event: &Event) {
        let Event::Check {
            command,
            passed,
            exit_code,
            duration_ms,
            ..
        } = event
        else {
            return;
        };
        self.end_request(None);
        let now = SystemTime::now();
        let start = now
            .checked_sub(Duration::from_millis(*duration_ms))
            .unwrap_or(now);
        let mut span = self
            .tracer
            .span_builder("reins.check")
            .with_start_time(start)
            .with_attributes([
                KeyValue::new("reins.check.command", command.clone()),
                KeyValue::new("reins.check.passed", *passed),
            ])
            .start_with_context(&self.tracer, &self.parent());
        if let Some(code) = exit_code {
            span.set_attribute(KeyValue::new("process.exit.code", i64::from(*code)));
        }
        if !passed {
            span.set_status(SpanStatus::error("the check failed"));
        }
        span.end_with_timestamp(now);
    }

    fn finished(&mut self, event: &Event) {
        let Event::SessionFinished {
            status,
            steps,
            input_tokens,
            output_tokens,
            cost_usd,
            denied_calls,
            failed_checks,
            ..
        } = event
        else {
            return;
        };
        self.instruments.session(*status);
        self.end_request(None);
        self.end_tools("the session ended first");
        let Some(session) = self.session.take() else {
            return;
        };
        let span = session.span();
        span.set_attributes([
            KeyValue::new("reins.session.status", serde_name(*status)),
            KeyValue::new("reins.steps", i64::from(*steps)),
            KeyValue::new("gen_ai.usage.input_tokens", int(*input_tokens)),
            KeyValue::new("gen_ai.usage.output_tokens", int(*output_tokens)),
            KeyValue::new("reins.denied_calls", i64::from(*denied_calls)),
            KeyValue::new("reins.failed_checks", i64::from(*failed_checks)),
        ]);
        if let Some(cost) = cost_usd {
            span.set_attribute(KeyValue::new("reins.cost_usd", *cost));
        }
        if *status == Status::Error {
            span.set_status(SpanStatus::error("the session ended in an error"));
        }
        span.end();
    }

    fn session_event(&self, name: &'static str, attributes: Vec<KeyValue>) {
        if let Some(session) = &self.session {
            session.span().add_event(name, attributes);
        }
    }

    fn end_tools(&mut self, why: &'static str) {
        self.lineage.leave();
        for (_, mut span) in self.tools.drain() {
            span.set_status(SpanStatus::error(why));
            span.end();
        }
    }

    /// Ends whatever is open, so nothing started is lost (a session replaced or dropped before
    /// it finished).
    pub fn close_all(&mut self, why: &'static str) {
        self.end_request(None);
        self.end_tools(why);
        if let Some(session) = self.session.take() {
            session
                .span()
                .set_attribute(KeyValue::new("reins.session.status", "unfinished"));
            session.span().end();
        }
    }
}

impl Drop for SessionTrace {
    fn drop(&mut self) {
        self.close_all("the session was closed first");
    }
}

/// OTLP integers are signed; token counts never come near the limit, but saturate if they do.
fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
