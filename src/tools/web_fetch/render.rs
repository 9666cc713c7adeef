//! Turning a fetched body into text the model can read: HTML becomes markdown (scripts, styles,
//! navigation and other page furniture dropped), other text stays as it is, anything else is
//! refused with what it was, since bytes of an image or an archive only waste the context.

/// How a body is read, from its `Content-Type` (or, without one, from its first bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Html,
    Text,
    /// Not text: the model gets the type and size only.
    Binary,
}

/// The kind of a body with media type `mime` (lowercase, parameters removed).
pub fn kind(mime: Option<&str>, body: &[u8]) -> Kind {
    match mime {
        Some("text/html" | "application/xhtml+xml") => Kind::Html,
        Some(m)
            if m.starts_with("text/")
                || m.ends_with("+json")
                || m.ends_with("+xml")
                || matches!(
                    m,
                    "application/json"
                        | "application/xml"
                        | "application/javascript"
                        | "application/x-javascript"
                        | "application/ecmascript"
                        | "application/toml"
                        | "application/yaml"
                        | "application/x-yaml"
                        | "application/x-sh"
                ) =>
        {
            Kind::Text
        }
        Some(_) => Kind::Binary,
        None => sniff(body),
    }
}

/// Without a declared type: markup that starts like a page is HTML, bytes without NULs that
/// decode as UTF-8 are text, the rest is binary.
fn sniff(body: &[u8]) -> Kind {
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        Kind::Html
    } else if !body.contains(&0) && std::str::from_utf8(body).is_ok() {
        Kind::Text
    } else {
        Kind::Binary
    }
}

/// The media type and charset of a `Content-Type` header value.
pub fn parse_content_type(value: &str) -> (String, Option<String>) {
    let mut parts = value.split(';');
    let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let charset = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("charset")).then(|| v.trim().trim_matches('"').to_string())
    });
    (mime, charset)
}

/// Decodes `body` in `charset` (UTF-8 when absent or unknown); a truncated last character is
/// replaced, not an error.
pub fn decode(body: &[u8], charset: Option<&str>) -> String {
    let encoding = charset
        .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    encoding.decode(body).0.into_owned()
}

/// Elements whose content is not the page's text.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed",
    "form", "button", "select", "nav", "footer", "head",
];

/// The page as markdown, with its `<title>` as the first heading when it has one. html5ever
/// parses any input (it recovers from broken markup as browsers do), so this cannot fail on
/// content; an error is an internal one and comes back as the page's plain text.
pub fn html_to_markdown(html: &str) -> String {
    let converter = htmd::HtmlToMarkdown::builder()
        .skip_tags(SKIPPED.to_vec())
        .build();
    let body = converter.convert(html).unwrap_or_else(|_| html.to_string());
    let body = squeeze_blank_lines(&body);
    match title(html) {
        Some(t) if !body.trim_start().starts_with(&format!("# {t}")) => format!("# {t}\n\n{body}"),
        _ => body,
    }
}

/// The text of the first `<title>` element, whitespace folded.
fn title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let text = html.get(start..end)?;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

/// At most one blank line in a row: pages full of empty wrappers leave runs of them.
fn squeeze_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_becomes_markdown_without_its_furniture() {
        let html = "<!doctype html><html><head><title> Guide\n to X </title><style>p{}</style></head>\
            <body><nav><a href=/>Home</a></nav><h2>Install</h2><p>Run <code>cargo add x</code>, then \
            <a href=\"https://x.rs/doc\">read the docs</a>.</p><ul><li>one</li><li>two</li></ul>\
            <script>alert(1)</script><footer>(c) X</footer></body></html>";
        let md = html_to_markdown(html);
        assert!(md.starts_with("# Guide to X\n"), "{md}");
        assert!(md.contains("## Install"), "{md}");
        assert!(md.contains("`cargo add x`"), "{md}");
        assert!(md.contains("[read the docs](https://x.rs/doc)"), "{md}");
        assert!(md.contains("one") && md.contains("two"), "{md}");
        for gone in ["alert", "p{}", "Home", "(c) X"] {
            assert!(!md.contains(gone), "{gone} left in {md}");
        }
    }

    #[test]
    fn kinds_come_from_the_type_or_the_first_bytes() {
        assert_eq!(kind(Some("text/html"), b""), Kind::Html);
        assert_eq!(kind(Some("application/json"), b"{}"), Kind::Text);
        assert_eq!(kind(Some("application/vnd.api+json"), b"{}"), Kind::Text);
        assert_eq!(kind(Some("image/png"), b"\x89PNG"), Kind::Binary);
        assert_eq!(kind(None, b"  <!DOCTYPE html><p>x"), Kind::Html);
        assert_eq!(kind(None, b"plain words"), Kind::Text);
        assert_eq!(kind(None, b"\x00\x01\x02"), Kind::Binary);
    }

    #[test]
    fn content_types_and_charsets_are_read() {
        assert_eq!(
            parse_content_type("Text/HTML; charset=\"ISO-8859-1\""),
            ("text/html".into(), Some("ISO-8859-1".into()))
        );
        assert_eq!(decode(b"caf\xe9", Some("iso-8859-1")), "café");
        assert_eq!(decode("café".as_bytes(), None), "café");
    }
}
