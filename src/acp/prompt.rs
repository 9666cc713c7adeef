//! An ACP prompt (text, links to files, embedded files) as the one text a reins turn takes.

use agent_client_protocol::v1::schema::{ContentBlock, EmbeddedResourceResource};

/// The prompt as text: text blocks as written, a link as `@uri`, an embedded text file as a
/// fenced block after its uri. Images and audio are not offered in the capabilities; a client
/// that sends them anyway gets a line saying they were left out, so the model is not misled.
pub fn to_text(blocks: &[ContentBlock]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for block in blocks {
        match block {
            ContentBlock::Text(t) => parts.push(t.text.clone()),
            ContentBlock::ResourceLink(link) => parts.push(format!("@{}", link.uri)),
            ContentBlock::Resource(res) => match &res.resource {
                EmbeddedResourceResource::TextResourceContents(t) => {
                    parts.push(format!("{}:\n{}", t.uri, fenced(&t.text)))
                }
                EmbeddedResourceResource::BlobResourceContents(b) => {
                    parts.push(format!("({}: binary content left out)", b.uri))
                }
                _ => parts.push("(an attachment of an unknown kind was left out)".into()),
            },
            ContentBlock::Image(_) => {
                parts.push("(an image was left out: reins reads text only)".into())
            }
            ContentBlock::Audio(_) => {
                parts.push("(audio was left out: reins reads text only)".into())
            }
            _ => parts.push("(content of an unknown kind was left out)".into()),
        }
    }
    parts.join("\n\n")
}

/// A fence longer than any backtick run inside, so the file cannot close it early.
pub(super) fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let nl = if text.ends_with('\n') { "" } else { "\n" };
    format!("{fence}\n{text}{nl}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_client_protocol::v1::schema::{EmbeddedResource, ResourceLink, TextResourceContents};

    #[test]
    fn links_and_embedded_files_reach_the_model() {
        let blocks = vec![
            ContentBlock::from("explain"),
            ContentBlock::ResourceLink(ResourceLink::new("lib.rs", "file:///ws/lib.rs")),
            ContentBlock::Resource(EmbeddedResource::new(
                EmbeddedResourceResource::TextResourceContents(TextResourceContents::new(
                    "a ``` b",
                    "file:///ws/a.md",
                )),
            )),
        ];
        let text = to_text(&blocks);
        assert!(
            text.starts_with("explain\n\n@file:///ws/lib.rs\n\n"),
            "{text}"
        );
        assert!(
            text.contains("file:///ws/a.md:\n````\na ``` b\n````"),
            "{text}"
        );
    }
}
