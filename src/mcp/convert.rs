//! An MCP tool result as text for the model: text as is, structured content as JSON, resource
//! links and embedded resources with their URIs, and images and audio as a note (the tool-result
//! channel carries text only; the note says what was there so the model does not assume nothing).
//!
//! Servers send their data twice: as `structuredContent` and, for older clients, as content
//! blocks (the spec asks for the serialized JSON in a text block; server-filesystem sends the
//! file as text and `{"content": text}`, server-memory the graph as pretty JSON and as an
//! object). The model gets each piece of data once: the content when it already carries every
//! value of the structured content, else the structured content in place of the text blocks
//! that only repeat part of it.

use crate::tools::output_cap::HeadTail;
use rmcp::model::{CallToolResult, ContentBlock, ResourceContents};
use serde_json::Value;
use std::collections::HashSet;

/// A result larger than this keeps its head and tail, as command output does.
const OUTPUT_LIMIT: usize = 64 * 1024;

/// The model-facing text of a result.
pub fn to_text(result: &CallToolResult) -> String {
    let parts: Vec<String> = match &result.structured_content {
        Some(data) if !covers(&result.content, data) => {
            let json = serde_json::to_string_pretty(data).unwrap_or_default();
            std::iter::once(json)
                .chain(
                    result
                        .content
                        .iter()
                        .filter(|c| !repeats_part(c, data))
                        .map(block),
                )
                .collect()
        }
        _ => result.content.iter().map(block).collect(),
    };
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

/// Whether the content blocks carry every value of `data`: a text block is its JSON, or each
/// scalar in it appears in a block (as a value of the block, inside a text, or in a text's JSON).
/// Numbers and booleans must stand as words in a text (`5` in "sum: 5", not in "15").
fn covers(content: &[ContentBlock], data: &Value) -> bool {
    let texts: Vec<&str> = content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect();
    if texts.iter().any(|t| parse(t).as_ref() == Some(data)) {
        return true;
    }
    let mut known = HashSet::new();
    for c in content {
        if let Ok(v) = serde_json::to_value(c) {
            scalars(&v, &mut |s| {
                known.insert(key(s));
            });
        }
    }
    for t in &texts {
        if let Some(v) = parse(t) {
            scalars(&v, &mut |s| {
                known.insert(key(s));
            });
        }
    }
    let mut all = true;
    scalars(data, &mut |s| {
        all = all && (known.contains(&key(s)) || in_texts(s, &texts));
    });
    all
}

/// Whether a block only repeats part of `data`: a text that is one of its strings, or the JSON
/// of it or of a part of it.
fn repeats_part(content: &ContentBlock, data: &Value) -> bool {
    let Some(text) = content.as_text().map(|t| t.text.trim()) else {
        return false;
    };
    let parsed = parse(text);
    let mut found = false;
    subtrees(data, &mut |v| {
        found = found || v.as_str() == Some(text) || parsed.as_ref() == Some(v);
    });
    found
}

/// A text's JSON, when it is an object or an array (a bare word that happens to parse, like
/// `true` or `5`, is a sentence, not data).
fn parse(text: &str) -> Option<Value> {
    let t = text.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    serde_json::from_str(t).ok()
}

fn key(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Calls `f` with every string, number and boolean in `v`.
fn scalars(v: &Value, f: &mut impl FnMut(&Value)) {
    match v {
        Value::Null => {}
        Value::Array(items) => items.iter().for_each(|i| scalars(i, f)),
        Value::Object(map) => map.values().for_each(|i| scalars(i, f)),
        scalar => f(scalar),
    }
}

/// Calls `f` with `v` and every value inside it.
fn subtrees(v: &Value, f: &mut impl FnMut(&Value)) {
    f(v);
    match v {
        Value::Array(items) => items.iter().for_each(|i| subtrees(i, f)),
        Value::Object(map) => map.values().for_each(|i| subtrees(i, f)),
        _ => {}
    }
}

/// Whether a scalar shows in one of the texts: a string anywhere (an empty one always), a
/// number or boolean as a word of its own.
fn in_texts(v: &Value, texts: &[&str]) -> bool {
    match v {
        Value::String(s) => s.is_empty() || texts.iter().any(|t| t.contains(s.as_str())),
        other => {
            let word = other.to_string();
            texts.iter().any(|t| has_word(t, &word))
        }
    }
}

/// `word` in `text` not glued to letters, digits or a decimal point (`5` is not in `15`, `5.2`
/// or `v5`; it is in `5.` at a sentence's end).
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let mut after = text[i + word.len()..].chars();
        let glued_before = before.is_some_and(|c| c.is_alphanumeric() || c == '.');
        let glued_after = match after.next() {
            Some('.') => after.next().is_some_and(|c| c.is_ascii_digit()),
            Some(c) => c.is_alphanumeric(),
            None => false,
        };
        !glued_before && !glued_after
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

    fn with_structured(content: Vec<ContentBlock>, data: Value) -> CallToolResult {
        let mut result = CallToolResult::success(content);
        result.structured_content = Some(data);
        result
    }

    #[test]
    fn a_file_sent_as_text_and_as_structured_content_is_sent_once_as_text() {
        // server-filesystem's read_text_file.
        let file = "line \"one\"\n\tline two\n";
        let result = with_structured(vec![ContentBlock::text(file)], json!({ "content": file }));
        assert_eq!(to_text(&result), file);
    }

    #[test]
    fn json_text_equal_to_the_structured_content_is_sent_once() {
        // server-memory's read_graph: pretty JSON text and the same object.
        let graph = json!({"entities": [{"name": "a", "observations": ["x"]}], "relations": []});
        let pretty = serde_json::to_string_pretty(&graph).unwrap();
        let result = with_structured(vec![ContentBlock::text(pretty.clone())], graph);
        assert_eq!(to_text(&result), pretty);
    }

    #[test]
    fn a_text_that_names_every_value_stands_for_the_structured_content() {
        let result = with_structured(vec![ContentBlock::text("5")], json!({"sum": 5}));
        assert_eq!(to_text(&result), "5");
        let result = with_structured(vec![ContentBlock::text("15")], json!({"sum": 5}));
        assert_eq!(to_text(&result), "{\n  \"sum\": 5\n}\n15");
    }

    #[test]
    fn a_text_that_repeats_only_part_gives_way_to_the_structured_content() {
        // server-memory's delete_entities: the message alone, without `success`.
        let result = with_structured(
            vec![ContentBlock::text("Entities deleted successfully")],
            json!({"success": true, "message": "Entities deleted successfully"}),
        );
        let text = to_text(&result);
        // Keys in the server's order (serde_json's `preserve_order` is on).
        assert_eq!(
            text,
            "{\n  \"success\": true,\n  \"message\": \"Entities deleted successfully\"\n}"
        );
    }

    #[test]
    fn a_text_with_news_of_its_own_is_kept_beside_the_structured_content() {
        let result = with_structured(
            vec![ContentBlock::text("3 results; more on the next page")],
            json!({"results": ["a", "b", "c"]}),
        );
        let text = to_text(&result);
        assert!(text.starts_with("{\n  \"results\""), "{text}");
        assert!(
            text.ends_with("\n3 results; more on the next page"),
            "{text}"
        );
    }

    #[test]
    fn structured_content_that_mirrors_an_image_block_is_not_sent_as_base64() {
        // server-filesystem's read_media_file: the block and `{"content": [block]}`.
        let image = ContentBlock::image("aGVsbG8=", "image/png");
        let data = json!({ "content": [serde_json::to_value(&image).unwrap()] });
        let text = to_text(&with_structured(vec![image], data));
        assert!(text.starts_with("[image: image/png, 5 bytes"), "{text}");
        assert!(!text.contains("aGVsbG8="), "{text}");
    }

    #[test]
    fn words_are_matched_whole() {
        assert!(has_word("sum: 5.", "5"));
        assert!(has_word("5", "5"));
        assert!(!has_word("15", "5"));
        assert!(!has_word("5.2", "5"));
        assert!(!has_word("v5", "5"));
        assert!(has_word("ok: true", "true"));
    }

    #[test]
    fn an_empty_result_says_so() {
        assert_eq!(
            to_text(&CallToolResult::success(vec![])),
            "(the tool returned no content)"
        );
    }
}
