//! rmcp's errors as a person reads them. Its own messages name Rust types (`Send message error
//! Transport [rmcp::transport::worker::WorkerTransport<…>] error: Client error: …`) and stop
//! before the cause (a refused connection is "error sending request for url"); these peel the
//! transport layers off and say what happened and why.

use super::http::HttpError;
use rmcp::service::ClientInitializeError;
use rmcp::transport::streamable_http_client::StreamableHttpError;
use rmcp::transport::DynamicTransportError;
use rmcp::ServiceError;
use std::error::Error;

/// Why the handshake failed.
pub(super) fn initialize(e: &ClientInitializeError) -> String {
    match e {
        ClientInitializeError::TransportError { error, .. } => readable(error),
        ClientInitializeError::ConnectionClosed(_) => "the server closed the connection".into(),
        ClientInitializeError::JsonRpcError(e) => {
            format!("the server refused the handshake: {}", e.message)
        }
        other => other.to_string(),
    }
}

/// Why a request failed, when it is not one of the cases a caller words itself.
pub(super) fn service(e: &ServiceError) -> String {
    match e {
        ServiceError::TransportSend(error) => readable(error),
        ServiceError::McpError(e) => e.message.to_string(),
        ServiceError::TransportClosed => "the server closed the connection".into(),
        other => other.to_string(),
    }
}

/// What the server said when a request failed because it no longer knows the session.
pub(super) fn lost_session(e: &ServiceError) -> Option<String> {
    let ServiceError::TransportSend(error) = e else {
        return None;
    };
    match error.error.downcast_ref::<StreamableHttpError<HttpError>>() {
        Some(StreamableHttpError::Client(HttpError::SessionLost(detail))) => Some(detail.clone()),
        _ => None,
    }
}

/// The error without the layers that only frame their source, and its first cause when that
/// adds something: "HTTP 404 Not Found: …", "Connection refused (os error 111)".
fn readable(e: &(dyn Error + 'static)) -> String {
    let mut e = e;
    loop {
        if let Some(t) = e.downcast_ref::<DynamicTransportError>() {
            e = t.error.as_ref();
        } else if let Some(StreamableHttpError::Client(c)) =
            e.downcast_ref::<StreamableHttpError<HttpError>>()
        {
            e = c;
        } else {
            break;
        }
    }
    let mut root = e.source();
    while let Some(next) = root.and_then(Error::source) {
        root = Some(next);
    }
    // reqwest's own message ("error sending request for url (…)") says less than its cause.
    if let (Some(HttpError::Request(_)), Some(root)) = (e.downcast_ref::<HttpError>(), root) {
        return root.to_string();
    }
    let head = e.to_string();
    match root.map(|r| r.to_string()) {
        Some(r) if !head.contains(&r) => format!("{head}: {r}"),
        _ => head,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_cause_that_adds_something_is_appended() {
        let e = Outer(std::io::Error::other("the disk is full"));
        assert_eq!(readable(&e), "outer: the disk is full");
    }

    #[test]
    fn rmcp_transport_frames_are_peeled_off() {
        let inner: StreamableHttpError<HttpError> = StreamableHttpError::Client(
            HttpError::SessionLost("Bad Request: No valid session ID provided".into()),
        );
        let framed = DynamicTransportError::from_parts(
            "rmcp::transport::worker::WorkerTransport<…>",
            std::any::TypeId::of::<()>(),
            Box::new(inner),
        );
        assert_eq!(
            readable(&framed),
            "Bad Request: No valid session ID provided"
        );
        let e = ServiceError::TransportSend(framed);
        assert_eq!(
            lost_session(&e).as_deref(),
            Some("Bad Request: No valid session ID provided")
        );
        assert!(!service(&e).contains("rmcp::"), "{}", service(&e));
    }
}
