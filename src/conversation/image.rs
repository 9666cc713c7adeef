//! An image in the conversation: what the user attached (`--image`, a pasted path, an ACP image
//! block) or what `view_image` showed the model.
//!
//! The type is told by the file's first bytes, never by its name: a `.png` that is really a
//! text file is refused before a provider answers 400 for it. The bytes stay in memory for the
//! requests and are never written into transcript lines: a record keeps the type, the SHA-256
//! and the name, and the store keeps one copy of the bytes per session, named by the hash
//! (see `store::images`). Every line would otherwise carry megabytes of base64, again in each
//! compaction record, through the secret redactor that could alter it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The largest image sent, in bytes. Anthropic refuses an image whose base64 form passes 5 MB;
/// base64 takes 4 bytes for 3, so 3.75 MiB is what every provider accepts.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024 / 4 * 3;

/// The image types all three wire protocols take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MediaType {
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/gif")]
    Gif,
    #[serde(rename = "image/webp")]
    Webp,
}

impl MediaType {
    /// The type the bytes start with, if it is one of the four.
    pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(MediaType::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaType::Jpeg)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(MediaType::Gif)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(MediaType::Webp)
        } else {
            None
        }
    }

    /// `image/png` and so on, as the APIs name it.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Gif => "image/gif",
            MediaType::Webp => "image/webp",
        }
    }

    /// The file extension of a stored copy.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Png => "png",
            MediaType::Jpeg => "jpg",
            MediaType::Gif => "gif",
            MediaType::Webp => "webp",
        }
    }
}

/// Why bytes are not an image reins sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("`{name}` is {size} bytes, over the {max} bytes an image may have; make it smaller (crop it or lower its resolution)", max = MAX_IMAGE_BYTES)]
    TooLarge { name: String, size: u64 },
    #[error("`{name}` is not a PNG, JPEG, GIF or WebP image (told by its first bytes, not its name); only those are sent to models")]
    NotAnImage { name: String },
    #[error(
        "the stored copy of `{name}` does not match its hash; it was changed after it was saved"
    )]
    Altered { name: String },
}

/// One image. Equality compares the type, name and hash; the bytes follow from the hash.
#[derive(Clone, Serialize, Deserialize)]
pub struct Image {
    pub media_type: MediaType,
    /// Hex SHA-256 of the bytes: names the stored copy and checks it on resume.
    pub sha256: String,
    /// The path as the user or the model named it, for front ends and messages.
    pub name: String,
    /// The bytes; empty in an image read back from a transcript until the store loads them.
    #[serde(skip)]
    data: Arc<Vec<u8>>,
}

impl Image {
    /// An image from a file's bytes, refused when over [`MAX_IMAGE_BYTES`] or not one of the
    /// four types.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Result<Image, ImageError> {
        let name = name.into();
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(ImageError::TooLarge {
                name,
                size: bytes.len() as u64,
            });
        }
        let Some(media_type) = MediaType::sniff(&bytes) else {
            return Err(ImageError::NotAnImage { name });
        };
        Ok(Image {
            media_type,
            sha256: hex_sha256(&bytes),
            name,
            data: Arc::new(bytes),
        })
    }

    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Whether the bytes are here (an image read back from a transcript has none until loaded).
    pub fn is_loaded(&self) -> bool {
        !self.data.is_empty()
    }

    /// Gives an image read back from a transcript its bytes, checked against its hash.
    pub fn load(&mut self, bytes: Vec<u8>) -> Result<(), ImageError> {
        if hex_sha256(&bytes) != self.sha256 {
            return Err(ImageError::Altered {
                name: self.name.clone(),
            });
        }
        self.data = Arc::new(bytes);
        Ok(())
    }

    /// The bytes in standard base64, as every wire format carries them.
    pub fn base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.data.as_slice())
    }

    /// `data:image/png;base64,…`, the form OpenAI's `image_url` takes.
    pub fn data_url(&self) -> String {
        format!("data:{};base64,{}", self.media_type.mime(), self.base64())
    }

    /// `name (png, 12.3 KB)`, for notes and tool results.
    pub fn describe(&self) -> String {
        let kb = self.data.len() as f64 / 1024.0;
        format!(
            "{} ({}, {kb:.1} KB)",
            self.name,
            self.media_type.extension()
        )
    }
}

impl PartialEq for Image {
    fn eq(&self, other: &Self) -> bool {
        self.media_type == other.media_type
            && self.sha256 == other.sha256
            && self.name == other.name
    }
}

impl Eq for Image {}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("media_type", &self.media_type)
            .field("name", &self.name)
            .field("sha256", &self.sha256)
            .field("bytes", &self.data.len())
            .finish()
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn the_type_comes_from_the_bytes() {
        assert_eq!(MediaType::sniff(PNG), Some(MediaType::Png));
        assert_eq!(MediaType::sniff(b"\xFF\xD8\xFF\xE0"), Some(MediaType::Jpeg));
        assert_eq!(MediaType::sniff(b"GIF89a.."), Some(MediaType::Gif));
        assert_eq!(
            MediaType::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(MediaType::Webp)
        );
        assert_eq!(MediaType::sniff(b"RIFF\0\0\0\0WAVE"), None);
        let e = Image::from_bytes("notes.png", b"hello".to_vec()).unwrap_err();
        assert!(
            e.to_string().contains("not a PNG, JPEG, GIF or WebP"),
            "{e}"
        );
    }

    #[test]
    fn a_large_image_is_refused_with_its_size() {
        let mut big = PNG.to_vec();
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        let e = Image::from_bytes("shot.png", big).unwrap_err();
        assert!(matches!(e, ImageError::TooLarge { .. }), "{e}");
        assert!(e.to_string().contains("make it smaller"), "{e}");
    }

    #[test]
    fn a_transcript_keeps_the_reference_and_the_bytes_come_back_checked() {
        let img = Image::from_bytes("a.png", PNG.to_vec()).unwrap();
        let line = serde_json::to_string(&img).unwrap();
        assert!(line.contains("\"media_type\":\"image/png\""), "{line}");
        assert!(!line.contains(&img.base64()), "{line}");
        let mut back: Image = serde_json::from_str(&line).unwrap();
        assert!(!back.is_loaded());
        assert!(back.load(b"other".to_vec()).is_err());
        back.load(PNG.to_vec()).unwrap();
        assert_eq!(back.data_url(), img.data_url());
        assert!(back
            .data_url()
            .starts_with("data:image/png;base64,iVBORw0KGgo"));
    }
}
