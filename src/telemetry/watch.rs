//! What became of the exports: each exporter is wrapped so that its first failure is kept, to be
//! told to the user once (in the session as a warning, or on stderr at exit), never per batch.

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// The first export failure of the process, and whether the user has been told.
#[derive(Default)]
pub struct ExportHealth {
    first_failure: OnceLock<String>,
    reported: AtomicBool,
}

impl ExportHealth {
    pub fn fail(&self, why: String) {
        let _only_the_first_is_kept = self.first_failure.set(why);
    }

    /// The first failure, the first time it is asked for after it happened; `None` after that.
    pub fn take_unreported(&self) -> Option<String> {
        let failure = self.first_failure.get()?;
        (!self.reported.swap(true, Ordering::SeqCst)).then(|| failure.clone())
    }
}

/// An exporter whose failures are kept in an [`ExportHealth`].
pub struct Watched<E> {
    inner: E,
    health: std::sync::Arc<ExportHealth>,
}

impl<E> Watched<E> {
    pub fn new(inner: E, health: std::sync::Arc<ExportHealth>) -> Self {
        Watched { inner, health }
    }

    fn note(&self, result: OTelSdkResult) -> OTelSdkResult {
        if let Err(e) = &result {
            self.health.fail(e.to_string());
        }
        result
    }
}

impl<E> std::fmt::Debug for Watched<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Watched")
    }
}

impl<E: SpanExporter> SpanExporter for Watched<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let result = self.inner.export(batch).await;
        self.note(result)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

impl<E: PushMetricExporter> PushMetricExporter for Watched<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let result = self.inner.export(metrics).await;
        self.note(result)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}
