//! The HTTP client of streamable HTTP servers: rmcp's reqwest client with one change, for a
//! server that restarted and no longer knows the session.
//!
//! Such a server answers the old session's POSTs with a 4xx. The TypeScript SDK sends 400 and a
//! JSON-RPC error without an id, which rmcp hands on as a message that matches no request, so
//! the call waited for its whole timeout while the server was long back. Here any 4xx to a POST
//! in a session is [`HttpError::SessionLost`] at once: the call fails with it, the server drops
//! the connection, and the next call starts a new session (and reads the tool list again, since
//! a restarted server may offer other tools). rmcp's own quiet re-initialisation on 404 is
//! turned off ([`transport`]), so every server's lost session takes this one path.

use futures_util::stream::BoxStream;
use reqwest::header::{HeaderName, HeaderValue};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpClientTransportConfig, StreamableHttpError,
    StreamableHttpPostResponse, StreamableHttpResponseLimits,
};
use rmcp::transport::StreamableHttpClientTransport;
use std::collections::HashMap;
use std::sync::Arc;

/// What went wrong talking to the server, besides what rmcp itself names.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The request did not get an answer (refused, reset, TLS); the source says why.
    #[error("{0}")]
    Request(#[source] reqwest::Error),
    /// A 4xx to a POST in a session: the server does not know the session any more.
    #[error("{0}")]
    SessionLost(String),
    /// An rmcp error of a kind this version does not know, as text.
    #[error("{0}")]
    Other(String),
}

/// The transport for `url`: this client, without rmcp's re-initialisation on 404.
pub(super) fn transport(
    url: &str,
) -> std::result::Result<StreamableHttpClientTransport<Client>, reqwest::Error> {
    let config = StreamableHttpClientTransportConfig::with_uri(url.to_string())
        .reinit_on_expired_session(false);
    let http = crate::provider::http_client_builder().build()?;
    Ok(StreamableHttpClientTransport::with_client(
        Client(http),
        config,
    ))
}

#[derive(Clone)]
pub(super) struct Client(reqwest::Client);

type Result<T> = std::result::Result<T, StreamableHttpError<HttpError>>;

impl StreamableHttpClient for Client {
    type Error = HttpError;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse> {
        let limits = StreamableHttpResponseLimits::default();
        self.post_message_with_response_limits(
            uri,
            message,
            session_id,
            auth_header,
            custom_headers,
            limits,
        )
        .await
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse> {
        let in_session = session_id.is_some();
        let request_id = match &message {
            ClientJsonRpcMessage::Request(r) => Some(r.id.clone()),
            _ => None,
        };
        let answer = self
            .0
            .post_message_with_response_limits(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                limits,
            )
            .await
            .map_err(lift);
        if !in_session {
            return answer;
        }
        match answer {
            // A JSON-RPC error that answers some other request (or none) came with a 4xx:
            // rmcp reads JSON error bodies of any status as messages.
            Ok(StreamableHttpPostResponse::Json(ServerJsonRpcMessage::Error(e), _))
                if e.id.is_none() || e.id != request_id =>
            {
                Err(lost(e.error.message.to_string()))
            }
            Err(StreamableHttpError::UnexpectedServerResponse(text)) if is_4xx(&text) => {
                Err(lost(text.to_string()))
            }
            other => other,
        }
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<()> {
        self.0
            .delete_session(uri, session_id, auth_header, custom_headers)
            .await
            .map_err(lift)
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, std::result::Result<sse_stream::Sse, SseError>>> {
        self.0
            .get_stream(uri, session_id, last_event_id, auth_header, custom_headers)
            .await
            .map_err(lift)
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<BoxStream<'static, std::result::Result<sse_stream::Sse, SseError>>> {
        self.0
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await
            .map_err(lift)
    }
}

fn lost(detail: String) -> StreamableHttpError<HttpError> {
    StreamableHttpError::Client(HttpError::SessionLost(detail))
}

/// rmcp names a non-JSON error answer `HTTP 400 Bad Request: body`.
fn is_4xx(text: &str) -> bool {
    text.strip_prefix("HTTP 4").is_some_and(|rest| {
        let b = rest.as_bytes();
        b.len() >= 2
            && b[..2].iter().all(u8::is_ascii_digit)
            && !b.get(2).is_some_and(u8::is_ascii_digit)
    })
}

/// The reqwest client's error as this client's: the same variant (rmcp acts on several, such as
/// "no SSE" or "no DELETE"), with reqwest's own errors wrapped and a 404 in a session lost.
fn lift(e: StreamableHttpError<reqwest::Error>) -> StreamableHttpError<HttpError> {
    use StreamableHttpError as E;
    match e {
        E::Client(e) => E::Client(HttpError::Request(e)),
        E::SessionExpired => lost("HTTP 404 Not Found".to_string()),
        E::Sse(e) => E::Sse(e),
        E::Io(e) => E::Io(e),
        E::HttpStatus(e) => E::HttpStatus(e),
        E::UnexpectedEndOfStream => E::UnexpectedEndOfStream,
        E::UnexpectedServerResponse(s) => E::UnexpectedServerResponse(s),
        E::ResponseBodyTooLarge { max_size } => E::ResponseBodyTooLarge { max_size },
        E::UnexpectedContentType(t) => E::UnexpectedContentType(t),
        E::ServerDoesNotSupportSse => E::ServerDoesNotSupportSse,
        E::ServerDoesNotSupportDeleteSession => E::ServerDoesNotSupportDeleteSession,
        E::TokioJoinError(e) => E::TokioJoinError(e),
        E::Deserialize(e) => E::Deserialize(e),
        E::TransportChannelClosed => E::TransportChannelClosed,
        E::MissingSessionIdInResponse => E::MissingSessionIdInResponse,
        E::AuthRequired(e) => E::AuthRequired(e),
        E::InsufficientScope(e) => E::InsufficientScope(e),
        E::ReservedHeaderConflict(h) => E::ReservedHeaderConflict(h),
        E::SessionRecoveryTimeout => E::SessionRecoveryTimeout,
        E::ReinitializationFailed(e) => E::ReinitializationFailed(e),
        E::ControlRequestTimeout => E::ControlRequestTimeout,
        other => E::Client(HttpError::Other(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_client_errors_count_as_4xx() {
        assert!(is_4xx("HTTP 400 Bad Request: no session"));
        assert!(is_4xx("HTTP 410 Gone"));
        assert!(!is_4xx("HTTP 500 Internal Server Error"));
        assert!(!is_4xx("HTTP 4"));
        assert!(!is_4xx("unexpected content"));
    }
}
