//! OpenTelemetry export (`[telemetry]`): each session becomes a trace (model requests, tool
//! calls and checks as child spans, and the traces of the subagents a `task` call starts as
//! children of that call's span) and its tokens, cost, tool calls and outcome become metrics,
//! sent over OTLP http/protobuf to the configured collector.
//!
//! It is an observer: an [`Extension`] that watches the session's events, so the turn loop knows
//! nothing about it. The exporters belong to a front end ([`Telemetry`]), never to the process:
//! two front ends in one process (the sessions `reins acp` serves, a review's reviewers) export
//! to their own configuration and are flushed when they end. Export happens on the SDK's own
//! threads; a session only queues finished spans. A collector that is down costs one warning
//! and at most the export timeout when the front end ends ([`Telemetry::shutdown`]).

mod lineage;
mod metrics;
mod pipeline;
mod spans;
mod watch;

pub use lineage::Lineage;

use crate::agent::events::Event;
use crate::agent::extension::{Extension, Report, StopVerdict};
use crate::config::telemetry::TelemetryConfig;
use crate::conversation::ToolCall;
use crate::types::BoxFuture;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use pipeline::{Pipeline, PipelineError};
use spans::SessionTrace;
use std::sync::{Arc, Mutex, OnceLock};
use watch::ExportHealth;

/// A front end's telemetry: off, or the exporters of its `[telemetry]`, built when the first
/// session asks for them and flushed and stopped when the front end ends. Clones share them.
#[derive(Clone, Default)]
pub struct Telemetry {
    exporters: Option<Arc<Exporters>>,
}

struct Exporters {
    cfg: TelemetryConfig,
    endpoint: String,
    /// Built on first use (a front end whose sessions never start costs nothing).
    pipeline: OnceLock<Result<Pipeline, PipelineError>>,
}

impl Telemetry {
    /// Telemetry as `cfg` says: off without an endpoint.
    pub fn new(cfg: &TelemetryConfig) -> Self {
        Telemetry {
            exporters: cfg.endpoint().map(|endpoint| {
                Arc::new(Exporters {
                    cfg: cfg.clone(),
                    endpoint: endpoint.to_string(),
                    pipeline: OnceLock::new(),
                })
            }),
        }
    }

    /// The participant that traces a top-level session (a trace of its own), and the handle
    /// its subagents' traces hang from.
    pub fn session(&self) -> (Option<Box<dyn Extension>>, Lineage) {
        let lineage = Lineage::default();
        let ext = self.participant(spans::Place::Root, &lineage);
        (ext, lineage)
    }

    /// The participant that traces subagent `agent`, started by the tool call now running in
    /// the session `parent` belongs to: its spans join that trace, under that call's span.
    pub fn subagent(&self, parent: &Lineage, agent: &str) -> Option<Box<dyn Extension>> {
        let place = spans::Place::Under {
            parent: parent.current(),
            agent: agent.to_string(),
        };
        self.participant(place, &Lineage::default())
    }

    fn participant(&self, place: spans::Place, lineage: &Lineage) -> Option<Box<dyn Extension>> {
        let exporters = self.exporters.as_ref()?;
        let ext: Box<dyn Extension> = match exporters.pipeline() {
            Ok(p) => Box::new(SessionTelemetry {
                trace: Mutex::new(SessionTrace::new(
                    p.tracer_provider.tracer("reins"),
                    metrics::Instruments::new(&p.meter_provider.meter("reins")),
                    exporters.cfg.include_content.unwrap_or(false),
                    place,
                    lineage.clone(),
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

    /// Sends what is left and stops the exporters (bounded: the export timeout and a second);
    /// later calls do nothing. For a front end that ends without a place to print.
    pub fn stop(&self) {
        if let Some(p) = self.built() {
            p.stop();
        }
    }

    /// [`Telemetry::stop`], then the warning to print when an export failed and no session has
    /// said so yet.
    pub fn shutdown(&self) -> Option<String> {
        let p = self.built()?;
        p.stop();
        p.unreported()
    }

    fn built(&self) -> Option<&Pipeline> {
        self.exporters
            .as_ref()
            .and_then(|e| e.pipeline.get())
            .and_then(|p| p.as_ref().ok())
    }
}

impl Exporters {
    fn pipeline(&self) -> Result<&Pipeline, &PipelineError> {
        self.pipeline
            .get_or_init(|| pipeline::build_off_runtime(self.cfg.clone(), self.endpoint.clone()))
            .as_ref()
    }
}

struct SessionTelemetry {
    trace: Mutex<SessionTrace>,
    health: Arc<ExportHealth>,
    endpoint: String,
}

impl SessionTelemetry {
    /// Tells the session, once per front end, that exports are failing.
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

impl Extension for SessionTelemetry {
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
