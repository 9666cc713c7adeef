//! `[telemetry]` in the configuration: where OpenTelemetry data goes, if anywhere. Off unless an
//! endpoint is set; only the user's config and a trusted project's can set it (an untrusted
//! repository could otherwise send the session's activity to a host of its choosing).

use serde::{Deserialize, Serialize};

/// The export's time limit unless configured: long enough for a collector on the same network,
/// short enough that a dead one does not hold the process at exit.
pub const DEFAULT_TIMEOUT_MS: u64 = 3_000;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// The OTLP/HTTP base URL (`http://collector:4318`); traces go to `/v1/traces` and metrics
    /// to `/v1/metrics` beneath it, as `OTEL_EXPORTER_OTLP_ENDPOINT` works. Unset: no export.
    pub otlp_endpoint: Option<String>,
    /// Export prompts, model replies, tool arguments and outputs too (default false: only names,
    /// counts, codes, tokens, costs and timings leave the machine).
    pub include_content: Option<bool>,
    /// Time limit of one export, retries included, in milliseconds (default 3000).
    pub timeout_ms: Option<u64>,
}

impl TelemetryConfig {
    /// The endpoint, when export is on.
    pub fn endpoint(&self) -> Option<&str> {
        self.otlp_endpoint
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
    }

    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS))
    }
}
