//! An ACP prompt (text, images, links to files, embedded files) as the prompt a reins turn takes.

use crate::conversation::{Image, Prompt};
use agent_client_protocol::v1::schema::{ContentBlock, EmbeddedResourceResource, ImageContent};

/// Why a prompt was refused; sent to the client as the error of `session/prompt`.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// A kind of content reins has no way to show the model (audio, a binary attachment).
    #[error("reins cannot take {0} in a prompt; describe it in words or attach it as a text file")]
    Unsupported(String),
    #[error("{name} is not valid base64 ({source}); the image was not sent")]
    NotBase64 {
        name: String,
        source: base64::DecodeError,
    },
    /// The image's bytes are not an image reins can send (type, size).
    #[error(transparent)]
    Image(#[from] crate::conversation::ImageError),
}

/// The prompt: text blocks as written, a link as `@uri`, an embedded text file as a fenced block
/// after its uri, images as images (whether the model takes them is the engine's check, which
/// refuses the turn with the reason before anything reaches the history). Audio and binary
/// attachments are refused with the reason: dropping one would have the model answer a question
/// about something it never saw.
pub fn to_prompt(blocks: &[ContentBlock]) -> Result<Prompt, PromptError> {
    let refuse = |what: &str| Err(PromptError::Unsupported(what.to_string()));
    let mut parts: Vec<String> = Vec::new();
    let mut images = Vec::new();
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
            ContentBlock::Image(img) => images.push(image(img, images.len() + 1)?),
            ContentBlock::Audio(_) => return refuse("audio"),
            _ => return refuse("content of an unknown kind"),
        }
    }
    Ok(Prompt {
        text: parts.join("\n\n"),
        images,
    })
}

/// An image block decoded and checked as `--image` files are (type from the bytes, size cap);
/// named by its uri, else by its place in the prompt.
fn image(block: &ImageContent, n: usize) -> Result<Image, PromptError> {
    use base64::Engine as _;
    let name = block.uri.clone().unwrap_or_else(|| format!("image {n}"));
    match base64::engine::general_purpose::STANDARD.decode(block.data.trim()) {
        Ok(bytes) => Ok(Image::from_bytes(name, bytes)?),
        Err(source) => Err(PromptError::NotBase64 { name, source }),
    }
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
        let text = to_prompt(&blocks).unwrap().text;
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
    fn an_image_is_taken_and_audio_refused_not_dropped() {
        use agent_client_protocol::v1::schema::{AudioContent, ImageContent};
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
        let blocks = vec![
            ContentBlock::from("what is wrong in this screenshot?"),
            ContentBlock::Image(ImageContent::new(png, "image/png")),
        ];
        let prompt = to_prompt(&blocks).unwrap();
        assert_eq!(prompt.text, "what is wrong in this screenshot?");
        assert_eq!(prompt.images.len(), 1);
        assert_eq!(prompt.images[0].name, "image 1");
        let not_png = vec![ContentBlock::Image(ImageContent::new("aGk=", "image/png"))];
        let why = to_prompt(&not_png).unwrap_err().to_string();
        assert!(why.contains("not a PNG, JPEG, GIF or WebP"), "{why}");
        let audio = vec![ContentBlock::Audio(AudioContent::new("aGk=", "audio/wav"))];
        let why = to_prompt(&audio).unwrap_err().to_string();
        assert!(why.contains("cannot take audio"), "{why}");
    }
}
