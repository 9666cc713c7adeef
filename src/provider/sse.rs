//! Sending a JSON request and reading its server-sent-event stream, shared by the HTTP providers.

use super::{HttpEndpoint, ProviderError};
use eventsource_stream::{Event, Eventsource};
use futures_util::{Stream, StreamExt};
use std::time::Duration;

/// What a server answered a streaming request with.
pub(super) enum Answer<S> {
    /// Server-sent events, as asked.
    Stream(S),
    /// A complete JSON reply: some proxies ignore `stream: true`. Each protocol reads it whole.
    Json(serde_json::Value),
}

/// POSTs `body` to `url` and returns the event stream (or a whole JSON reply), or the error the
/// status line and body carry.
pub(super) async fn post_stream<B: serde::Serialize + ?Sized>(
    ep: &HttpEndpoint,
    url: &str,
    headers: &[(&str, String)],
    body: &B,
) -> Result<Answer<impl Stream<Item = Result<Event, ProviderError>> + use<B>>, ProviderError> {
    let mut req = ep.http.post(url).json(body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    for (k, v) in &ep.headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.map_err(|e| ProviderError::Connect {
        provider: ep.provider.clone(),
        message: error_chain(&e),
    })?;
    let status = resp.status();
    if !status.is_success() {
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let text = resp.text().await.unwrap_or_default();
        return Err(ProviderError::Status {
            provider: ep.provider.clone(),
            status: status.as_u16(),
            message: error_message(&text),
            retry_after,
        });
    }
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        let text = resp.text().await.map_err(|e| ProviderError::Truncated {
            provider: format!("{} ({})", ep.provider, error_chain(&e)),
        })?;
        return match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) if content_type.starts_with("application/json") => Ok(Answer::Json(v)),
            _ => Err(ProviderError::Protocol {
                provider: ep.provider.clone(),
                message: format!(
                    "a streaming request was answered with `{content_type}` instead of `text/event-stream`: {}",
                    text.trim().chars().take(200).collect::<String>()
                ),
            }),
        };
    }
    let provider = ep.provider.clone();
    Ok(Answer::Stream(resp.bytes_stream().eventsource().map(
        move |r| {
            r.map_err(|e| ProviderError::Truncated {
                provider: format!("{provider} ({e})"),
            })
        },
    )))
}

/// The error a complete JSON reply carries instead of an answer (`{"error": {...}}`), if any.
pub(super) fn json_error(provider: &str, v: &serde_json::Value) -> Option<ProviderError> {
    let err = v.get("error").filter(|e| !e.is_null())?;
    let message = err
        .get("message")
        .and_then(|m| m.as_str())
        .unwrap_or("error without a message")
        .to_string();
    Some(ProviderError::Status {
        provider: provider.to_string(),
        status: 502,
        message,
        retry_after: None,
    })
}

/// An event's data as JSON; a server sending something else gets a protocol error quoting it.
pub(super) fn event_json(provider: &str, data: &str) -> Result<serde_json::Value, ProviderError> {
    serde_json::from_str(data).map_err(|e| ProviderError::Protocol {
        provider: provider.to_string(),
        message: format!(
            "bad event ({e}): {}",
            data.chars().take(200).collect::<String>()
        ),
    })
}

/// `retry-after` in seconds (possibly fractional); HTTP dates are rare from model APIs and ignored.
fn parse_retry_after(v: &str) -> Option<Duration> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(300.0)))
}

/// The human part of a provider's JSON error body (both OpenAI and Anthropic nest it under
/// `error.message`), else the body itself, cut short.
fn error_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let msg = parsed
        .as_ref()
        .and_then(|v| v.pointer("/error/message").or_else(|| v.get("message")))
        .and_then(|m| m.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| body.trim().to_string());
    if msg.is_empty() {
        "(empty body)".into()
    } else {
        msg.chars().take(2000).collect()
    }
}

/// reqwest's top-level message hides the cause (`error sending request`); the chain names it.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_parse() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn error_message_digs_into_json() {
        assert_eq!(
            error_message(r#"{"error":{"message":"bad key"}}"#),
            "bad key"
        );
        assert_eq!(error_message("plain"), "plain");
    }
}
