//! `web_fetch`: reads a web page as markdown (or any text resource as it is). The call declares
//! that it talks to the network, with the URL's host as its subject, so the gate lets it run only
//! when the session's network is allowed, an allow rule names the host, or the user approves the
//! host (`always` approves it for the session). The tool itself refuses what no approval should
//! cover: other schemes, non-public addresses (see [`address`]), redirects to other hosts.

mod address;
mod fetch;
mod render;

use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolOutput, ToolResult};
use crate::types::{Effects, Subject, ToolKind};
use address::PrivateHosts;
use render::Kind;
use schemars::JsonSchema;
use serde::Deserialize;

/// The most text one call returns; `offset` reads on.
const MAX_TEXT_BYTES: usize = 64 * 1024;
/// How much of an error page's text the model sees.
const ERROR_PAGE_BYTES: usize = 2000;

pub struct WebFetch;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The absolute http:// or https:// URL to read.
    url: String,
    /// Where to start in the page's text, in bytes (the previous call's note gives it), to read
    /// past the first part of a long page.
    #[serde(default)]
    offset: Option<usize>,
}

impl Tool for WebFetch {
    fn name(&self) -> &str {
        "web_fetch"
    }
    fn description(&self) -> &str {
        include_str!("../../../prompts/tools/web_fetch.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<Args>()
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects {
            network: true,
            ..Effects::of(ToolKind::Fetch)
        }
    }
    /// The URL's host, as the tool will parse it: rules, `always` answers and the approval
    /// question are about the host, not the exact URL.
    fn subjects(&self, args: &serde_json::Value) -> Vec<Subject> {
        args.get("url")
            .and_then(|u| u.as_str())
            .and_then(|u| fetch::parse_url(u).ok())
            .and_then(|u| u.host_str().map(|h| Subject::Name(h.to_string())))
            .into_iter()
            .collect()
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: Args = parse_args(self.name(), args)?;
            let url = fetch::parse_url(&a.url).map_err(|e| ToolError(e.to_string()))?;
            let hosts = PrivateHosts::new(&ctx.settings.fetch_private_hosts);
            let fetched = tokio::select! {
                r = fetch::get(url, &hosts) => r.map_err(|e| ToolError(e.to_string()))?,
                _ = ctx.cancel.cancelled() => {
                    return Err(ToolError::new("not fetched: the user interrupted the turn"));
                }
            };
            let text = tokio::task::spawn_blocking(move || page(fetched, a.offset.unwrap_or(0)))
                .await
                .map_err(|e| ToolError(format!("reading the page failed: {e}")))??;
            Ok(ToolOutput::from(text))
        })
    }
}

/// The page's text for the model, with a header line saying what it is.
fn page(f: fetch::Fetched, offset: usize) -> Result<String, ToolError> {
    let (mime, charset) = match &f.content_type {
        Some(ct) => {
            let (m, c) = render::parse_content_type(ct);
            (Some(m), c)
        }
        None => (None, None),
    };
    let kind = render::kind(mime.as_deref(), &f.body);
    let shown_type = mime.as_deref().unwrap_or("no content type");
    if kind == Kind::Binary {
        return Err(ToolError(format!(
            "{} is {shown_type} ({} bytes{}), not text; web_fetch reads HTML and text only",
            f.url,
            f.body.len(),
            if f.truncated { " or more" } else { "" }
        )));
    }
    let decoded = render::decode(&f.body, charset.as_deref());
    let text = match kind {
        Kind::Html => render::html_to_markdown(&decoded),
        _ => decoded,
    };
    if !f.status.is_success() {
        let excerpt = &text[..floor_boundary(&text, ERROR_PAGE_BYTES)];
        return Err(ToolError(format!(
            "{} answered HTTP {}; the page says:\n{excerpt}",
            f.url, f.status
        )));
    }
    let cut_note = if f.truncated {
        format!(
            "; the download stopped at {} KiB, so the page's end is missing",
            fetch::MAX_BODY_BYTES / 1024
        )
    } else {
        String::new()
    };
    let header = format!("{} ({shown_type}{cut_note})", f.url);
    Ok(window(&header, &text, offset))
}

/// At most [`MAX_TEXT_BYTES`] of `text` from `offset`, saying where the rest starts.
fn window(header: &str, text: &str, offset: usize) -> String {
    let start = floor_boundary(text, offset);
    if start >= text.len() && !text.is_empty() {
        return format!(
            "{header}\n\n[offset {offset} is past the end: the text is {} bytes]",
            text.len()
        );
    }
    let end = floor_boundary(text, start.saturating_add(MAX_TEXT_BYTES));
    let end = text[start..end]
        .rfind('\n')
        .filter(|_| end < text.len())
        .map_or(end, |i| start + i + 1);
    let mut out = format!("{header}\n\n{}", &text[start..end]);
    if end < text.len() {
        out.push_str(&format!(
            "\n[... shown bytes {start}-{end} of {}; call web_fetch with offset {end} to read on ...]",
            text.len()
        ));
    }
    out
}

/// The largest char boundary of `s` at or below `at`.
fn floor_boundary(s: &str, at: usize) -> usize {
    let mut i = at.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_shown_in_windows_that_say_where_to_go_on() {
        let text: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
        let first = window("h", &text, 0);
        assert!(first.len() < MAX_TEXT_BYTES + 200);
        let next: usize = first
            .rsplit("offset ")
            .next()
            .and_then(|s| s.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(text[..next].ends_with('\n'));
        let second = window("h", &text, next);
        assert!(second.starts_with(&format!("h\n\n{}", &text[next..next + 10])));
        assert!(window("h", &text, text.len() + 5).contains("past the end"));
        assert_eq!(window("h", "short", 0), "h\n\nshort");
    }

    #[test]
    fn the_subject_is_the_host_the_tool_will_fetch() {
        let subjects = WebFetch.subjects(&serde_json::json!({"url": "HTTPS://Docs.RS:443/x?y"}));
        assert_eq!(subjects, vec![Subject::Name("docs.rs".into())]);
        assert!(WebFetch
            .subjects(&serde_json::json!({"url": "file:///etc/passwd"}))
            .is_empty());
        assert!(WebFetch.effects(&serde_json::json!({})).network);
    }
}
