//! Anthropic's native Messages API over SSE. The stable prefix (system prompt and tool schemas)
//! carries `cache_control` so repeated steps read it from the prompt cache; so does the newest
//! message, which makes each step's history a cache hit for the next. Thinking is in
//! `anthropic_thinking`, the request body in `anthropic_body`, the stream's reassembly in
//! `anthropic_stream`.

use super::answer_format::{AnswerFormat, FormatUse};
use super::anthropic_body::{Body, Settings};
use super::anthropic_stream::Accumulator;
use super::anthropic_thinking as thinking;
use super::sse::{event_json, json_error, post_stream, Answer};
use super::{BoxFuture, DeltaSink, HttpEndpoint, ModelClient, ProviderError, Request};
use crate::conversation::Completion;
use futures_util::StreamExt;
use serde_json::json;

const API_VERSION: &str = "2023-06-01";
const DEFAULT_MAX_TOKENS: u64 = 8192;

pub(super) struct AnthropicClient {
    ep: HttpEndpoint,
}

impl AnthropicClient {
    pub fn new(ep: HttpEndpoint) -> Self {
        AnthropicClient { ep }
    }

    async fn run(
        &self,
        req: &Request<'_>,
        sink: DeltaSink<'_>,
    ) -> Result<Completion, ProviderError> {
        let base = self.ep.base_url.trim_end_matches("/v1");
        let url = format!("{base}/v1/messages");
        let mut headers = vec![("anthropic-version", API_VERSION.to_string())];
        // Filled below; the thinking plan may add a beta.
        if let Some(k) = &self.ep.api_key {
            headers.push(("x-api-key", k.clone()));
        }
        let origin = self.ep.origin();
        let max_tokens = self.ep.max_output_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
        let plan = thinking::plan(
            self.ep.capabilities.thinking,
            req.effort,
            max_tokens,
            req.history,
            &origin,
        );
        if plan.as_ref().is_some_and(|p| p.interleaved_beta) {
            headers.push(("anthropic-beta", thinking::INTERLEAVED_BETA.to_string()));
        }
        let format = req.format.and_then(|f| format_use(&self.ep, f).sent);
        let body = Body::new(
            req,
            Settings {
                model: &self.ep.model,
                max_tokens,
                plan: plan.as_ref(),
                origin: &origin,
                format,
            },
        );
        let mut acc = Accumulator::new(origin.clone());
        let stream = match post_stream(&self.ep, &url, &headers, &body).await? {
            Answer::Stream(s) => s,
            Answer::Json(v) => {
                if let Some(e) = json_error(&self.ep.provider, &v) {
                    return Err(e);
                }
                acc.absorb_message(&v, sink);
                return acc.finish(&self.ep.provider);
            }
        };
        let mut stream = Box::pin(stream);
        while let Some(event) = stream.next().await {
            let event = event?;
            let data = event_json(&self.ep.provider, &event.data)?;
            if acc.absorb(&event.event, &data, &self.ep.provider, sink)? {
                break;
            }
        }
        acc.finish(&self.ep.provider)
    }
}

impl ModelClient for AnthropicClient {
    fn complete<'a>(
        &'a self,
        req: &'a Request<'a>,
        sink: DeltaSink<'a>,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>> {
        Box::pin(self.run(req, sink))
    }

    fn answer_format(&self, format: &AnswerFormat) -> FormatUse {
        format_use(&self.ep, format)
    }
}

/// `output_config.format` of the Messages API: `{type: "json_schema", schema}`, the schema cut
/// to what the decoder takes ([`super::claude_schema`]). There is no non-strict mode, so a
/// schema it cannot take is not sent.
fn format_use(ep: &HttpEndpoint, format: &AnswerFormat) -> FormatUse {
    if !ep.capabilities.structured_output {
        return FormatUse::none();
    }
    match super::claude_schema::adapt(&format.schema) {
        Ok((schema, removed)) => FormatUse {
            sent: Some(json!({"type": "json_schema", "schema": schema})),
            note: (!removed.is_empty()).then(|| {
                let names: Vec<String> = removed.iter().map(|k| format!("`{k}`")).collect();
                format!(
                    "the output schema is sent as native structured output without {}, which Claude's decoder does not enforce; the answer is still validated against them",
                    names.join(", ")
                )
            }),
        },
        Err(reason) => FormatUse::not_sent(&reason.to_string()),
    }
}
