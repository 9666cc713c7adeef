//! A paste that is the path of an image file: what a terminal sends when a file is dropped on
//! it (quoted when it has spaces, or with spaces escaped, or as a `file://` URL). Such a paste
//! attaches the image to the prompt being written instead of inserting the path.

use crate::conversation::Image;
use std::path::{Path, PathBuf};

const EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp"];

/// The image file `text` names (relative to `root` when not absolute), if it is one line naming
/// an existing file with an image extension. Whether it really is an image is for the reader to
/// say (from its bytes), with a message when it is not.
pub fn image_path(text: &str, root: &Path) -> Option<PathBuf> {
    let t = text.trim();
    if t.is_empty() || t.contains('\n') {
        return None;
    }
    let unquoted = ["'", "\""]
        .iter()
        .find_map(|q| t.strip_prefix(q).and_then(|r| r.strip_suffix(q)))
        .map(str::to_string)
        .unwrap_or_else(|| unescape(t));
    let plain = match unquoted.strip_prefix("file://") {
        Some(rest) => rest.replace("%20", " "),
        None => unquoted,
    };
    let path = Path::new(&plain);
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if !EXTENSIONS.contains(&ext.as_str()) {
        return None;
    }
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    };
    full.is_file().then_some(full)
}

/// The image a paste names, read, with the name its chip shows (the file's name): `None` when
/// the paste does not name an image file, an error when the file cannot be read as an image.
pub fn read(
    text: &str,
    root: &Path,
) -> Option<Result<(String, Image), crate::frontend::user_image::UserImageError>> {
    let path = image_path(text, root)?;
    Some(crate::frontend::user_image::read(&path).map(|image| {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| image.name.clone());
        (name, image)
    }))
}

/// `a\ b.png` → `a b.png`: the shell escaping some terminals apply to a dropped path.
fn unescape(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut chars = t.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_paths_are_read_in_the_forms_terminals_send() {
        let ws = tempfile::tempdir().unwrap();
        let root = ws.path();
        std::fs::write(root.join("a b.png"), "x").unwrap();
        std::fs::write(root.join("c.rs"), "x").unwrap();
        let abs = root.join("a b.png").display().to_string();
        for pasted in [
            format!("'{abs}'"),
            format!("\"{abs}\" "),
            abs.replace(' ', "\\ "),
            format!("file://{}", abs.replace(' ', "%20")),
            "a\\ b.png".to_string(),
        ] {
            assert_eq!(
                image_path(&pasted, root),
                Some(root.join("a b.png")),
                "{pasted}"
            );
        }
        assert_eq!(image_path("c.rs", root), None);
        assert_eq!(image_path("missing.png", root), None);
        assert_eq!(image_path("a b.png\nmore", root), None);
    }
}
