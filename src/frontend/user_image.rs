//! Images the user attaches by path: `--image FILE` (exec, run and the TUI's first prompt) and a
//! path pasted into the TUI composer. The user picked the file, so it may lie anywhere they can
//! read, unlike `view_image`, which the model calls and which stays inside the workspace under
//! its read rules; the size cap and the type check are the same.

use crate::conversation::{Image, ImageError, MAX_IMAGE_BYTES};
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum UserImageError {
    #[error("cannot attach {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot attach {0}: it is not a regular file")]
    NotAFile(PathBuf),
    #[error("cannot attach {0}")]
    Image(#[from] ImageError),
}

/// The image at `path`; its name is the path as given. The size is checked before the file is
/// read, and a pipe or device is refused rather than opened (it could block).
pub fn read(path: &Path) -> Result<Image, UserImageError> {
    let io = |source| UserImageError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(UserImageError::NotAFile(path.to_path_buf()));
    }
    if meta.len() > MAX_IMAGE_BYTES as u64 {
        return Err(ImageError::TooLarge {
            name,
            size: meta.len(),
        }
        .into());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_IMAGE_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    Ok(Image::from_bytes(name, bytes)?)
}

/// Every image of a repeated `--image`, in order; the first that cannot be attached fails all.
pub fn read_all(paths: &[PathBuf]) -> Result<Vec<Image>, UserImageError> {
    paths.iter().map(|p| read(p)).collect()
}
