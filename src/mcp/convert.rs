//! An MCP tool result as text for the model: text as is, structured content as JSON, resource
//! links and embedded resources with their URIs, and images and audio as a note (the tool-result
//! channel carries text only; the note says what was there so the model does not assume nothing).

use crate::tools::output_cap::HeadTail;
use rmcp::model::{CallToolResult, ContentBlock, ResourceContents};

/// A result larger than this keeps its head and tail, as command output does.
const OUTPUT_LIMIT: usize = 64 * 1024;

/// The model-facing text of a result.
pub fn to_text(result: &CallToolResult) -> String {
    let mut parts: Vec<String> = result.content.iter().map(block).collect();
    if let Some(structured) = &result.structured_content {
        if !repeats(&result.content, structured) {
            let json = serde_json::to_string_pretty(structured).unwrap_or_default();
            parts.push(format!("structured content:\n{json}"));
        }
    }
    let text = if parts.is_empty() {
        "(the tool returned no content)".to_string()
    } else {
        parts.join("\n")
    };
    let mut cap = HeadTail::new(OUTPUT_LIMIT);
    cap.push(text.as_bytes());
    cap.render()
}

fn block(content: &ContentBlock) -> String {
    match content {
        ContentBlock::Text(t) => t.text.clone(),
        ContentBlock::Image(i) => format!(
            "[image: {}, {} bytes; images from MCP tools are not shown to the model]",
            i.mime_type,
            decoded_len(&i.data)
        ),
        ContentBlock::Audio(a) => format!(
            "[audio: {}, {} bytes; audio from MCP tools is not passed to the model]",
            a.mime_type,
            decoded_len(&a.data)
        ),
        ContentBlock::ResourceLink(r) => {
            let mut line = format!("[resource link: {} <{}>", r.name, r.uri);
            if let Some(m) = &r.mime_type {
                line.push_str(&format!(" ({m})"));
            }
            if let Some(d) = &r.description {
                line.push_str(&format!(": {d}"));
            }
            line + "]"
        }
        ContentBlock::Resource(e) => embedded(&e.resource),
        other => format!(
            "[content of a kind reins does not know: {}]",
            serde_json::to_string(other).unwrap_or_default()
        ),
    }
}

fn embedded(resource: &ResourceContents) -> String {
    match resource {
        ResourceContents::TextResourceContents {
            uri,
            mime_type,
            text,
            ..
        } => format!("[resource <{uri}>{}]\n{text}", mime_note(mime_type)),
        ResourceContents::BlobResourceContents {
            uri,
            mime_type,
            blob,
            ..
        } => format!(
            "[resource <{uri}>{}: {} bytes of binary data, not shown]",
            mime_note(mime_type),
            decoded_len(blob)
        ),
        other => format!(
            "[resource: {}]",
            serde_json::to_string(other).unwrap_or_default()
        ),
    }
}

fn mime_note(mime: &Option<String>) -> String {
    mime.as_deref()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default()
}

/// The size of base64 data once decoded, without decoding it.
fn decoded_len(b64: &str) -> usize {
    let padding = b64.bytes().rev().take_while(|b| *b == b'=').count();
    (b64.len() / 4 * 3).saturating_sub(padding)
}

/// Whether a text block already carries the structured content (servers are asked to send both
/// for older clients), so it is not shown twice.
fn repeats(content: &[ContentBlock], structured: &serde_json::Value) -> bool {
    content.iter().any(|c| {
        c.as_text()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t.text).ok())
            .is_some_and(|v| &v == structured)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::Resource;
    use serde_json::json;

    #[test]
    fn text_images_and_links_become_text() {
        let mut link = Resource::new("file:///docs/a.md", "a.md");
        link.mime_type = Some("text/markdown".into());
        let result = CallToolResult::success(vec![
            ContentBlock::text("hello"),
            ContentBlock::image("aGVsbG8=", "image/png"),
            ContentBlock::resource_link(link),
            ContentBlock::embedded_text("mem://x", "inside"),
        ]);
        let text = to_text(&result);
        assert!(text.starts_with("hello\n"), "{text}");
        assert!(text.contains("[image: image/png, 5 bytes"), "{text}");
        assert!(
            text.contains("[resource link: a.md <file:///docs/a.md> (text/markdown)]"),
            "{text}"
        );
        assert!(
            text.contains("[resource <mem://x> (text/plain)]\ninside"),
            "{text}"
        );
    }

    #[test]
    fn structured_content_is_shown_once() {
        let mut result = CallToolResult::success(vec![ContentBlock::text("5")]);
        result.structured_content = Some(json!({"sum": 5}));
        assert!(to_text(&result).contains("structured content:\n{\n  \"sum\": 5\n}"));
        let mut echoed = CallToolResult::success(vec![ContentBlock::text("{\"sum\":5}")]);
        echoed.structured_content = Some(json!({"sum": 5}));
        assert_eq!(to_text(&echoed), "{\"sum\":5}");
    }

    #[test]
    fn an_empty_result_says_so() {
        assert_eq!(
            to_text(&CallToolResult::success(vec![])),
            "(the tool returned no content)"
        );
    }
}
