//! The images of a session: one copy of each under `$REINS_HOME/sessions/<id>/images/`, named by
//! its SHA-256 (`<hash>.png`), written before the transcript line that names it.
//!
//! Why a copy beside the transcript rather than base64 in its lines: a 3 MB screenshot would be
//! 4 MB on its history line and again on every compaction record, every `reins sessions` scan
//! would read it, and the secret redactor that runs over each line could alter the payload.
//! Why a copy rather than the user's path: the file may change or go away before the session
//! is resumed, and the model must be shown what it saw. The hash in the line checks the copy
//! when it is read back.

use crate::conversation::{Image, Item};
use std::path::{Path, PathBuf};

/// Where the images of the transcript at `transcript` are kept: `<id>/images` beside
/// `<id>.jsonl`.
pub fn dir_for(transcript: &Path) -> PathBuf {
    transcript.with_extension("").join("images")
}

fn file_name(image: &Image) -> String {
    format!("{}.{}", image.sha256, image.media_type.extension())
}

/// Writes the copies of `items`' images not stored yet (an image sent twice is stored once).
pub fn save(dir: &Path, items: &[&Item]) -> std::io::Result<()> {
    for image in items.iter().flat_map(|i| i.images()) {
        let path = dir.join(file_name(image));
        if path.exists() || !image.is_loaded() {
            continue;
        }
        std::fs::create_dir_all(dir)?;
        crate::fsutil::write_atomic(&path, image.data())?;
    }
    Ok(())
}

/// Gives the images of a history read back their bytes. An image whose copy is missing or
/// altered is taken out of its item, with a note in the text the model reads and a warning
/// for the user, so the session still resumes.
pub fn load(dir: &Path, history: &mut [Item], warnings: &mut Vec<String>) {
    for item in history.iter_mut() {
        let mut lost = Vec::new();
        if let Some(images) = item.images_mut() {
            images.retain_mut(|image| match read_copy(dir, image) {
                Ok(()) => true,
                Err(why) => {
                    warnings.push(format!("the image {} is not restored: {why}", image.name));
                    lost.push(image.name.clone());
                    false
                }
            });
        }
        if lost.is_empty() {
            continue;
        }
        let note = format!("\n\n[images no longer available: {}]", lost.join(", "));
        match item {
            Item::User { text, .. } => text.push_str(&note),
            Item::ToolResult { output, .. } => output.push_str(&note),
            Item::Assistant { .. } => {}
        }
    }
}

/// Why an image of a resumed session is not restored; the warning names the file and the cause.
#[derive(Debug, thiserror::Error)]
enum NotRestored {
    #[error("{}: {source}", path.display())]
    Unreadable {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Invalid(#[from] crate::conversation::ImageError),
}

fn read_copy(dir: &Path, image: &mut Image) -> Result<(), NotRestored> {
    let path = dir.join(file_name(image));
    let bytes = std::fs::read(&path).map_err(|source| NotRestored::Unreadable { path, source })?;
    Ok(image.load(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn with_image() -> Item {
        Item::User {
            text: "look".into(),
            images: vec![Image::from_bytes("a.png", PNG.to_vec()).unwrap()],
        }
    }

    #[test]
    fn a_saved_image_comes_back_and_a_lost_one_leaves_a_note() {
        let home = tempfile::tempdir().unwrap();
        let dir = dir_for(&home.path().join("s1.jsonl"));
        let item = with_image();
        save(&dir, &[&item, &item]).unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let line = serde_json::to_string(&item).unwrap();
        let mut back: Vec<Item> = vec![serde_json::from_str(&line).unwrap()];
        let mut warnings = Vec::new();
        load(&dir, &mut back, &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(back[0].images()[0].data(), PNG);

        let mut lost: Vec<Item> = vec![serde_json::from_str(&line).unwrap()];
        std::fs::remove_dir_all(&dir).unwrap();
        load(&dir, &mut lost, &mut warnings);
        assert!(lost[0].images().is_empty());
        assert!(
            matches!(&lost[0], Item::User { text, .. } if text.contains("no longer available: a.png"))
        );
        assert_eq!(warnings.len(), 1);
    }
}
