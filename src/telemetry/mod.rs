//! OpenTelemetry export (`[telemetry]`): each session becomes a trace (model requests, tool
//! calls and checks as child spans) and its tokens, cost, tool calls and outcome become metrics,
//! sent over OTLP http/protobuf to the configured collector.
//!
//! It is an observer: an [`Extension`] that watches the session's events, so the turn loop knows
//! nothing about it. Export happens on the SDK's own threads; the session only queues finished
//! spans. A collector that is down costs one warning and at most the export timeout at exit
//! ([`shutdown`], which every front end reaches through `main`).

mod metrics;
mod pipeline;
mod spans;
mod watch;

use crate::agent::events::Event;
use crate::agent::extension::{Extension, Report, StopVerdict};
use crate::config::telemetry::TelemetryConfig;
use crate::conversation::ToolCall;
use crate::types::BoxFuture;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use spans::SessionTrace;
use std::sync::{Arc, Mutex};
use watch::ExportHealth;

/// The session's telemetry participant, when `[telemetry] otlp_endpoint` is set: the exporter
/// if it could be set up, else a participant that says once why there is no export.
pub fn extension(cfg: &TelemetryConfig) -> Option<Box<dyn Extension>> {
    let endpoint = cfg.endpoint()?;
    let ext: Box<dyn Extension> = match pipeline::get(cfg, endpoint) {
        Ok(p) => Box::new(Telemetry {
            trace: Mutex::new(SessionTrace::new(
                p.tracer_provider.tracer("reins"),
                metrics::Instruments::new(&p.meter_provider.meter("reins")),
                cfg.include_content.unwrap_or(false),
            )),
            health: p.health.clone(),
            endpoint: p.endpoint.clone(),
        }),
        Err(why) => Box::new(NoExport {
            why: why.to_string(),
        }),
    };
    Some(ext)
}

/// Sends what is left and stops the exporters (bounded: the export timeout and a second). Returns
/// a warning to print when an export failed and no session has said so yet.
pub fn shutdown() -> Option<String> {
    pipeline::shutdown()
}

struct Telemetry {
    trace: Mutex<SessionTrace>,
    health: Arc<ExportHealth>,
    endpoint: String,
}

impl Telemetry {
    /// Tells the session, once per process, that exports are failing.
    fn warn_if_failing(&self, report: Report<'_>) {
        if let Some(why) = self.health.take_unreported() {
            report(Event::Warning {
                message: format!(
                    "telemetry: cannot export to {}: {why}; the session goes on without it",
                    self.endpoint
                ),
            });
        }
    }
}

impl Extension for Telemetry {
    fn observe(&self, event: &Event) {
        if let Ok(mut trace) = self.trace.lock() {
            trace.event(event);
        }
    }

    fn session_start<'a>(&'a self, report: Report<'a>) -> BoxFuture<'a, Option<String>> {
        self.warn_if_failing(report);
        Box::pin(async { None })
    }

    fn user_prompt<'a>(
        &'a self,
        prompt: &'a str,
        report: Report<'a>,
    ) -> BoxFuture<'a, Option<String>> {
        if let Ok(mut trace) = self.trace.lock() {
            trace.prompt(prompt);
        }
        self.warn_if_failing(report);
        Box::pin(async { None })
    }

    fn post_tool<'a>(
        &'a self,
        _call: &'a ToolCall,
        _ok: bool,
        _output: &'a str,
        report: Report<'a>,
    ) -> BoxFuture<'a, ()> {
        self.warn_if_failing(report);
        Box::pin(async {})
    }

    fn stop<'a>(&'a self, _last: &'a str, report: Report<'a>) -> BoxFuture<'a, StopVerdict> {
        self.warn_if_failing(report);
        Box::pin(async { StopVerdict::Done })
    }
}

/// `[telemetry]` is set but the exporter could not be built (a malformed endpoint): the session
/// runs, and says so when it starts.
struct NoExport {
    why: String,
}

impl Extension for NoExport {
    fn session_start<'a>(&'a self, report: Report<'a>) -> BoxFuture<'a, Option<String>> {
        report(Event::Warning {
            message: format!("telemetry is off: {}", self.why),
        });
        Box::pin(async { None })
    }
}
