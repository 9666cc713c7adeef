//! What the prompt carries besides its typed text: long pastes collapsed to placeholders, and
//! images shown as chips. Each lives as long as its marker is in the text, so deleting the
//! marker drops it, and both are resolved only when the prompt is sent.

use crate::conversation::Image;

/// A paste of at least this many lines, or more than [`COLLAPSE_CHARS`] characters, shows as a
/// placeholder: a 300-line log would otherwise push the prompt out of the composer.
const COLLAPSE_LINES: usize = 20;
const COLLAPSE_CHARS: usize = 2000;

/// The pastes and images of the prompt being written, keyed by the marker in its text.
#[derive(Default)]
pub struct Attachments {
    /// Placeholders of collapsed pastes and their text, until the prompt is sent.
    pastes: Vec<(String, String)>,
    /// Attached images and their chips (`[image 1: shot.png]`) in the text, until sent.
    images: Vec<(String, Image)>,
}

impl Attachments {
    /// The placeholder for a long paste (`[pasted 300 lines]`, numbered when repeated), which
    /// is then remembered; `None` for a paste short enough to insert as it is.
    pub fn collapse(&mut self, text: &str) -> Option<String> {
        let lines = text.trim_end_matches('\n').lines().count();
        let chars = text.chars().count();
        if lines < COLLAPSE_LINES && chars <= COLLAPSE_CHARS {
            return None;
        }
        let what = if lines > 1 {
            format!("{lines} lines")
        } else {
            format!("{chars} chars")
        };
        let mut placeholder = format!("[pasted {what}]");
        let mut n = 1;
        while self.pastes.iter().any(|(p, _)| *p == placeholder) {
            n += 1;
            placeholder = format!("[pasted {what} #{n}]");
        }
        self.pastes.push((placeholder.clone(), text.to_string()));
        Some(placeholder)
    }

    /// The chip `[image N: NAME]` for `image`, unique among the attached ones; the image is
    /// sent with the prompt as long as its chip is in the text.
    pub fn attach_image(&mut self, shown_name: &str, image: Image) -> String {
        let mut n = self.images.len() + 1;
        let chip = loop {
            let chip = format!("[image {n}: {shown_name}]");
            if !self.images.iter().any(|(c, _)| *c == chip) {
                break chip;
            }
            n += 1;
        };
        self.images.push((chip.clone(), image));
        chip
    }

    /// The attached images whose chip is still in the sent `text`; all are forgotten.
    pub fn take_images(&mut self, text: &str) -> Vec<Image> {
        self.images
            .drain(..)
            .filter(|(chip, _)| text.contains(chip.as_str()))
            .map(|(_, image)| image)
            .collect()
    }

    /// The sent `text` with each paste placeholder replaced by what was pasted; the pastes are
    /// forgotten. A placeholder the user edited is no longer one and stays as typed.
    pub fn expand(&mut self, text: &str) -> String {
        let mut out = text.to_string();
        for (placeholder, pasted) in self.pastes.drain(..) {
            if let Some(at) = out.find(&placeholder) {
                out.replace_range(at..at + placeholder.len(), &pasted);
            }
        }
        out
    }

    /// Forgets everything (a discarded draft).
    pub fn clear(&mut self) {
        self.pastes.clear();
        self.images.clear();
    }
}
