//! Model clients. Each provider converts the neutral conversation to its wire format, streams the
//! answer, and reports text as it arrives; `retry` wraps any of them with backoff.

mod answer_format;
mod anthropic;
mod anthropic_body;
mod anthropic_stream;
mod anthropic_thinking;
mod claude_schema;
mod openai;
mod openai_body;
mod replay;
mod responses;
mod responses_body;
mod retry;
mod schema_subset;
mod sse;
mod strict_schema;
mod tls;

pub use answer_format::{AnswerFormat, FormatUse};
pub use tls::blocking_client as blocking_http_client;
pub use tls::client_builder as http_client_builder;

use crate::config::model::Endpoint;
use crate::config::{ProviderKind, ResolvedModel, RetryConfig};
use crate::conversation::{Completion, Item, ToolSpec};
use crate::types::{BoxFuture, Effort};
use std::time::Duration;

pub use retry::{with_retries, Policy as RetryPolicy, RetryNotice};

/// The parts of a request that stay the same for a whole session, then the growing history.
#[derive(Default)]
pub struct Request<'a> {
    pub system: &'a str,
    pub tools: &'a [ToolSpec],
    pub history: &'a [Item],
    /// How hard to think on this request; `None` leaves the model's default.
    pub effort: Option<Effort>,
    /// Names the session to the provider's prompt cache (OpenAI `prompt_cache_key`), so its
    /// requests land where their shared prefix is cached; empty for none.
    pub cache_key: &'a str,
    /// The schema the final answer must meet, sent as the wire's native structured output when
    /// the model has it (see [`ModelClient::answer_format`]); `None` for free text.
    pub format: Option<&'a AnswerFormat>,
}

#[cfg(test)]
impl<'a> Request<'a> {
    /// System prompt "sys", no effort, cache key or answer format: what the body tests send.
    pub(crate) fn for_tests(
        tools: &'a [crate::conversation::ToolSpec],
        history: &'a [crate::conversation::Item],
    ) -> Self {
        Request {
            system: "sys",
            tools,
            history,
            effort: None,
            cache_key: "",
            format: None,
        }
    }
}

/// A piece of the reply as it streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delta<'a> {
    Text(&'a str),
    /// Readable reasoning: a summary (OpenAI) or thinking text (Anthropic).
    Reasoning(&'a str),
}

/// Receives the reply as it streams, for front ends that show it live.
pub type DeltaSink<'a> = &'a mut (dyn FnMut(Delta<'_>) + Send);

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("HTTP {status} from {provider}: {message}")]
    Status {
        provider: String,
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("connection to {provider} failed: {message}")]
    Connect { provider: String, message: String },
    #[error("the stream from {provider} ended before the reply was complete")]
    Truncated { provider: String },
    #[error("{provider} sent a stream reins cannot read: {message}")]
    Protocol { provider: String, message: String },
    #[error(
        "the reply from {provider} stopped early ({reason}){}",
        incomplete_hint(reason)
    )]
    Incomplete { provider: String, reason: String },
    #[error("{0}")]
    Replay(String),
}

impl ProviderError {
    /// 429, 5xx (and 529 overloaded), connection failures and cut streams are worth another try;
    /// anything else (401, 400, a bad script) will fail the same way again.
    pub fn is_retryable(&self) -> bool {
        match self {
            ProviderError::Status { status, .. } => {
                *status == 429 || *status == 408 || *status >= 500
            }
            ProviderError::Connect { .. } | ProviderError::Truncated { .. } => true,
            ProviderError::Protocol { .. }
            | ProviderError::Incomplete { .. }
            | ProviderError::Replay(_) => false,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// What the user can do about a reply cut short.
fn incomplete_hint(reason: &str) -> &'static str {
    match reason {
        "max_output_tokens" => {
            ": raise max_output_tokens in the model's [models.*] table or lower its effort"
        }
        "content_filter" => ": the provider's content filter stopped it",
        _ => "",
    }
}

/// A model that can complete a conversation.
pub trait ModelClient: Send + Sync {
    fn complete<'a>(
        &'a self,
        req: &'a Request<'a>,
        sink: DeltaSink<'a>,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>>;

    /// What a request carrying `format` sends of it, and what the trace should say. The
    /// default, for clients without native structured output, sends nothing.
    fn answer_format(&self, _format: &AnswerFormat) -> FormatUse {
        FormatUse::none()
    }
}

/// Builds the client for a resolved model.
pub fn client_for(model: &ResolvedModel) -> Result<Box<dyn ModelClient>, ProviderError> {
    match &model.endpoint {
        Endpoint::Replay(path) => Ok(Box::new(replay::ReplayClient::load(path)?)),
        Endpoint::Http {
            kind,
            provider,
            base_url,
            api_key,
            headers,
            timeout_s,
            ..
        } => {
            let http = http_client(*timeout_s).map_err(|e| ProviderError::Connect {
                provider: provider.clone(),
                message: e.to_string(),
            })?;
            let conn = HttpEndpoint {
                http,
                provider: provider.clone(),
                base_url: base_url.clone(),
                api_key: api_key.clone(),
                headers: headers.clone(),
                model: model.wire_name.clone(),
                max_output_tokens: model.max_output_tokens,
                capabilities: model.capabilities,
            };
            Ok(match kind {
                ProviderKind::Openai => Box::new(openai::OpenAiClient::new(conn)),
                ProviderKind::OpenaiResponses => Box::new(responses::ResponsesClient::new(conn)),
                ProviderKind::Anthropic => Box::new(anthropic::AnthropicClient::new(conn)),
            })
        }
    }
}

/// Connection details shared by the HTTP providers.
pub(crate) struct HttpEndpoint {
    pub http: reqwest::Client,
    pub provider: String,
    pub base_url: String,
    pub api_key: Option<String>,
    pub headers: std::collections::BTreeMap<String, String>,
    pub model: String,
    pub max_output_tokens: Option<u64>,
    pub capabilities: crate::config::model::Capabilities,
}

impl HttpEndpoint {
    /// `PROVIDER/MODEL-ID`: the origin stamped on the reasoning this endpoint produces, and the
    /// only origin whose reasoning it sends back.
    pub fn origin(&self) -> String {
        format!("{}/{}", self.provider, self.model)
    }

    /// Two results of `read_file` calls `c1` (text "one" and `image`) and `c2` (text "two"):
    /// what the request body tests send.
    #[cfg(test)]
    pub(crate) fn read_results_for_tests(
        image: &crate::conversation::Image,
    ) -> [crate::conversation::Item; 2] {
        let result = |call_id: &str, output: &str, images| crate::conversation::Item::ToolResult {
            call_id: call_id.into(),
            name: "read_file".into(),
            output: output.into(),
            is_error: false,
            images,
        };
        [
            result("c1", "one", vec![image.clone()]),
            result("c2", "two", Vec::new()),
        ]
    }

    /// Provider `p`, model `m`, 77 output tokens: what the request body tests build on.
    #[cfg(test)]
    pub(crate) fn for_body_tests(capabilities: crate::config::model::Capabilities) -> Self {
        install_crypto_provider();
        HttpEndpoint {
            http: reqwest::Client::new(),
            provider: "p".into(),
            base_url: "http://127.0.0.1:1".into(),
            api_key: None,
            headers: Default::default(),
            model: "m".into(),
            max_output_tokens: Some(77),
            capabilities,
        }
    }
}

fn http_client(timeout_s: u64) -> reqwest::Result<reqwest::Client> {
    http_client_builder()
        .connect_timeout(Duration::from_secs(20))
        .read_timeout(Duration::from_secs(timeout_s))
        .build()
}

/// reqwest is built without a default TLS crypto provider (ring is far cheaper to build than
/// aws-lc); it must be installed once per process before the first client.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Retry budget for a model request.
pub fn retry_policy(cfg: &RetryConfig) -> RetryPolicy {
    RetryPolicy {
        max_tries: cfg.max_tries.max(1),
        base_delay: Duration::from_millis(cfg.base_delay_ms),
        max_delay: Duration::from_millis(cfg.max_delay_ms),
    }
}
