//! One fetch: GET the URL with a client that resolves only to allowed addresses, follow
//! redirects by hand (each hop checked, and only within the host the gate approved), and read at
//! most [`MAX_BODY_BYTES`] of the body.

use super::address::{check_literal, GuardedResolver, PrivateHosts};
use futures_util::StreamExt;
use reqwest::Url;
use std::time::Duration;

/// The most of a body that is downloaded; the rest is not read at all.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Same-host redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole exchange, each hop.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What came back.
pub struct Fetched {
    /// The URL of the last hop.
    pub url: Url,
    pub status: reqwest::StatusCode,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// The body was longer than [`MAX_BODY_BYTES`]; `body` holds its start.
    pub truncated: bool,
}

/// Why nothing usable came back, worded for the model.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("`{0}` is not a URL web_fetch can read: give an absolute http:// or https:// URL")]
    Scheme(String),
    #[error(transparent)]
    Private(#[from] super::address::PrivateAddress),
    #[error("{from} redirects to {to}, another host; web_fetch does not follow redirects to other hosts: call it with that URL if you want it (the user may have to approve the host)")]
    OtherHost { from: Url, to: String },
    #[error("{url} answered a redirect without a usable Location")]
    BadRedirect { url: Url },
    #[error("{url} redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects { url: Url },
    #[error("fetching {url} failed: {reason}")]
    Request { url: Url, reason: String },
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
}

/// Refuses URLs that are not plain http(s) with a host.
pub fn parse_url(raw: &str) -> Result<Url, FetchError> {
    let url = Url::parse(raw.trim()).map_err(|_| FetchError::Scheme(raw.to_string()))?;
    match (url.scheme(), url.host_str()) {
        ("http" | "https", Some(h)) if !h.is_empty() => Ok(url),
        _ => Err(FetchError::Scheme(raw.to_string())),
    }
}

/// GETs `url`, following same-host redirects; every hop's address is checked.
pub async fn get(url: Url, hosts: &PrivateHosts) -> Result<Fetched, FetchError> {
    // reqwest is built without a default TLS provider; the model client installs the same one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve the name itself, out of the resolver's sight.
        .no_proxy()
        .dns_resolver(GuardedResolver::shared(hosts.clone()))
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("reins/", env!("CARGO_PKG_VERSION"), " (web_fetch)"))
        .build()
        .map_err(|e| FetchError::Client(e.to_string()))?;
    let host = url.host_str().unwrap_or_default().to_string();
    let mut url = url;
    for _ in 0..=MAX_REDIRECTS {
        check_literal(hosts, url.host_str().unwrap_or_default())?;
        let response = client
            .get(url.clone())
            .header(
                reqwest::header::ACCEPT,
                "text/html, text/*;q=0.9, */*;q=0.5",
            )
            .send()
            .await
            .map_err(|e| request_error(&url, e))?;
        if response.status().is_redirection() {
            url = next_hop(&url, &response, &host)?;
            continue;
        }
        return read_capped(url, response).await;
    }
    Err(FetchError::TooManyRedirects { url })
}

/// The target of a redirect, if it stays on `host` over http(s).
fn next_hop(from: &Url, response: &reqwest::Response, host: &str) -> Result<Url, FetchError> {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| FetchError::BadRedirect { url: from.clone() })?;
    let to = from
        .join(location)
        .map_err(|_| FetchError::BadRedirect { url: from.clone() })?;
    if !matches!(to.scheme(), "http" | "https") || to.host_str() != Some(host) {
        return Err(FetchError::OtherHost {
            from: from.clone(),
            to: to.to_string(),
        });
    }
    Ok(to)
}

async fn read_capped(url: Url, response: reqwest::Response) -> Result<Fetched, FetchError> {
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = Vec::new();
    let mut truncated = false;
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| request_error(&url, e))?;
        let room = MAX_BODY_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        url,
        status,
        content_type,
        body,
        truncated,
    })
}

/// The request error with its causes (reqwest's own message hides them, e.g. the resolver's
/// refusal of a private address).
fn request_error(url: &Url, e: reqwest::Error) -> FetchError {
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if !reason.contains(&text) {
            reason = format!("{reason}: {text}");
        }
        source = s.source();
    }
    FetchError::Request {
        url: url.clone(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_are_fetched() {
        assert!(parse_url("https://docs.rs/x").is_ok());
        assert!(parse_url(" http://127.0.0.1:8080/a ").is_ok());
        for bad in [
            "file:///etc/passwd",
            "ftp://x/y",
            "docs.rs/x",
            "data:text/plain,hi",
            "",
        ] {
            assert!(
                matches!(parse_url(bad), Err(FetchError::Scheme(_))),
                "{bad}"
            );
        }
    }
}
