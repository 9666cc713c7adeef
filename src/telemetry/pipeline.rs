//! A front end's OTLP pipeline: a tracer provider and a meter provider that export over
//! http/protobuf from the SDK's own threads (a batch span processor and a periodic metric
//! reader), so a session only ever hands finished spans to a queue. Built on the first session
//! that asks, stopped once when the front end ends, with a deadline, so a collector that is
//! down or slow costs at most that deadline and one warning.

use super::watch::{ExportHealth, Watched};
use crate::config::telemetry::TelemetryConfig;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Metrics are pushed this often during a long session, and once more at exit.
const METRIC_INTERVAL: Duration = Duration::from_secs(30);

/// The exporters of a front end, and what became of their exports.
pub struct Pipeline {
    pub endpoint: String,
    pub tracer_provider: SdkTracerProvider,
    pub meter_provider: SdkMeterProvider,
    pub health: Arc<ExportHealth>,
    pub timeout: Duration,
    stopped: AtomicBool,
}

/// Why the pipeline could not be built: each says what to fix (the endpoint in `[telemetry]`)
/// or what failed on this machine, with the cause.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("cannot start the telemetry set-up: {0}")]
    Thread(#[source] std::io::Error),
    #[error("the telemetry set-up panicked")]
    Panicked,
    #[error("[telemetry] otlp_endpoint `{0}` is not an http:// or https:// URL")]
    NotHttp(String),
    #[error("cannot build the telemetry HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error("cannot set up the {signal} export to {base}: {source}")]
    Exporter {
        /// `trace` or `metric`.
        signal: &'static str,
        base: String,
        source: opentelemetry_otlp::ExporterBuildError,
    },
}

/// reqwest's blocking client runs a runtime of its own and refuses to be built inside another
/// (sessions are built on tokio threads), so the pipeline is built on a plain thread.
pub fn build_off_runtime(
    cfg: TelemetryConfig,
    endpoint: String,
) -> Result<Pipeline, PipelineError> {
    std::thread::Builder::new()
        .name("reins-otel-setup".into())
        .spawn(move || build(&cfg, &endpoint))
        .map_err(PipelineError::Thread)?
        .join()
        .unwrap_or(Err(PipelineError::Panicked))
}

fn build(cfg: &TelemetryConfig, endpoint: &str) -> Result<Pipeline, PipelineError> {
    let base = endpoint.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(PipelineError::NotHttp(endpoint.to_string()));
    }
    let exporter = |signal| {
        move |source| PipelineError::Exporter {
            signal,
            base: base.to_string(),
            source,
        }
    };
    let timeout = cfg.timeout();
    let client = crate::provider::blocking_http_client(timeout).map_err(PipelineError::Client)?;
    let health = Arc::new(ExportHealth::default());
    let spans = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client.clone())
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(format!("{base}/v1/traces"))
        .with_timeout(timeout)
        .build()
        .map_err(exporter("trace"))?;
    let metrics = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(format!("{base}/v1/metrics"))
        .with_timeout(timeout)
        .build()
        .map_err(exporter("metric"))?;
    let resource = Resource::builder()
        .with_service_name("reins")
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build();
    let tracer_provider = SdkTracerProvider::builder()
        .with_resource(resource.clone())
        .with_batch_exporter(Watched::new(spans, health.clone()))
        .build();
    let reader =
        opentelemetry_sdk::metrics::PeriodicReader::builder(Watched::new(metrics, health.clone()))
            .with_interval(METRIC_INTERVAL)
            .build();
    let meter_provider = SdkMeterProvider::builder()
        .with_resource(resource)
        .with_reader(reader)
        .build();
    Ok(Pipeline {
        endpoint: base.to_string(),
        tracer_provider,
        meter_provider,
        health,
        timeout,
        stopped: AtomicBool::new(false),
    })
}

impl Pipeline {
    /// Sends what is left and stops the exporters, waiting at most the export timeout and a
    /// second (the SDK's own metric shutdown waits up to 5 s whatever it is told, so both run on
    /// a thread of their own and are abandoned at the deadline). Only the first call does it.
    pub fn stop(&self) {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let (tracer, meter, timeout) = (
            self.tracer_provider.clone(),
            self.meter_provider.clone(),
            self.timeout,
        );
        let spawned = std::thread::Builder::new()
            .name("reins-otel-flush".into())
            .spawn(move || {
                let traces = std::thread::spawn(move || {
                    let _failure_is_in_health = tracer.shutdown_with_timeout(timeout);
                });
                let _failure_is_in_health = meter.shutdown();
                let _ = traces.join();
                let _ = done_tx.send(());
            });
        let deadline = self.timeout + Duration::from_secs(1);
        let finished = spawned.is_ok() && done_rx.recv_timeout(deadline).is_ok();
        if !finished {
            self.health.fail(format!(
                "the collector did not answer within {} ms; what was left was dropped",
                deadline.as_millis()
            ));
        }
    }

    /// The first export failure no session has reported, worded for stderr.
    pub fn unreported(&self) -> Option<String> {
        self.health.take_unreported().map(|e| {
            format!(
                "telemetry: cannot export to {}: {e} (what could not be sent was dropped)",
                self.endpoint
            )
        })
    }
}
