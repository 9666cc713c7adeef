//! An ACP prompt (text, links to files, embedded files) as the one text a reins turn takes.

use agent_client_protocol::v1::schema::{ContentBlock, EmbeddedResourceResource};

/// The prompt as text: text blocks as written, a link as `@uri`, an embedded text file as a
/// fenced block after its uri. Images, audio and binary attachments are refused with the reason
/// (the capabilities offer none of them): dropping one would have the model answer a question
/// about a picture it never saw.
pub fn to_text(blocks: &[ContentBlock]) -> Result<String, String> {
    let refuse = |what: &str| {
        Err(format!(
            "reins reads text only and cannot take {what} in a prompt yet; describe it in words or attach it as a text file"
        ))
    };
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
                    return refuse(&format!("the binary attachment {}", b.uri))
                }
                _ => return refuse("an attachment of an unknown kind"),
            },
            ContentBlock::Image(_) => return refuse("an image"),
            ContentBlock::Audio(_) => return refuse("audio"),
            _ => return refuse("content of an unknown kind"),
        }
    }
    Ok(parts.join("\n\n"))
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
        let text = to_text(&blocks).unwrap();
        assert!(
            text.starts_with("explain\n\n@file:///ws/lib.rs\n\n"),
            "{text}"
        );
        assert!(
            text.contains("file:///ws/a.md:\n````\na ``` b\n````"),
            "{text}"
        );
    }

    #[test]
    fn an_image_is_refused_not_dropped() {
        use agent_client_protocol::v1::schema::ImageContent;
        let blocks = vec![
            ContentBlock::from("what is wrong in this screenshot?"),
            ContentBlock::Image(ImageContent::new("aGk=", "image/png")),
        ];
        let why = to_text(&blocks).unwrap_err();
        assert!(why.contains("cannot take an image"), "{why}");
    }
}
