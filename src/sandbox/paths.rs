//! Path confinement for the file tools. A path from the model is untrusted: it is resolved against
//! the workspace root, `..` is folded, and symlinks are followed (through the deepest existing
//! ancestor) before the check, so neither `../x` nor a link pointing outside can escape the root.

use std::path::{Component, Path, PathBuf};

/// Why a path was refused; the message is written for the model to act on.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("path `{0}` is outside the workspace; use a path relative to the workspace root")]
    Outside(String),
    #[error("path is empty")]
    Empty,
    #[error("cannot resolve `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Resolves `user_path` (relative to `root`, or absolute inside it) to a real path inside `root`.
/// `root` must already be canonical. The returned path need not exist (for writes).
pub fn resolve(root: &Path, user_path: &str) -> Result<PathBuf, PathError> {
    if user_path.trim().is_empty() {
        return Err(PathError::Empty);
    }
    let joined = root.join(user_path);
    let lexical = fold_dots(&joined).ok_or_else(|| PathError::Outside(user_path.to_string()))?;
    let real = canonicalize_existing_prefix(&lexical).map_err(|source| PathError::Io {
        path: user_path.to_string(),
        source,
    })?;
    if real.starts_with(root) {
        Ok(real)
    } else {
        Err(PathError::Outside(user_path.to_string()))
    }
}

/// `path` relative to `root`, as [`Path::strip_prefix`] gives it, but found on the bytes when
/// `path` is `root` followed by `/` and plain names (what a directory walk yields): a grep
/// does this for every file of the tree, and splitting both paths into components each time is
/// measurable there. Anything else takes [`Path::strip_prefix`] itself.
pub fn strip_root<'a>(path: &'a Path, root: &Path) -> Option<&'a Path> {
    use std::os::unix::ffi::OsStrExt;
    let (p, r) = (path.as_os_str().as_bytes(), root.as_os_str().as_bytes());
    if let Some(rest) = p.strip_prefix(r) {
        let rest = if r.ends_with(b"/") {
            Some(rest)
        } else {
            rest.strip_prefix(b"/")
        };
        // Only a rest made of plain names: `Path` drops `.` and empty components, bytes do not.
        let plain = |rest: &&[u8]| {
            rest.split(|b| *b == b'/')
                .all(|n| !n.is_empty() && n != b".")
        };
        if let Some(rest) = rest.filter(plain) {
            return Some(Path::new(std::ffi::OsStr::from_bytes(rest)));
        }
    }
    path.strip_prefix(root).ok()
}

/// The workspace-relative form of a resolved path, for messages and diffs.
pub fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Folds `.` and `..` without touching the filesystem; `None` if `..` climbs above `/`.
fn fold_dots(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

/// Canonicalizes `path` as far as it exists (resolving symlinks) and re-appends the rest, so a
/// path that is about to be created can be checked against the root before it exists.
///
/// A dangling symlink is followed by hand: `canonicalize` reports it as missing, and writing to
/// it would create its target, possibly outside the root, so its target is resolved instead of
/// the link's own name being trusted. Loops are cut after [`MAX_LINK_HOPS`] hops.
pub(crate) fn canonicalize_existing_prefix(path: &Path) -> std::io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINK_HOPS {
        match resolve_step(&path)? {
            Step::Done(real) => return Ok(real),
            Step::Retry(next) => path = next,
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "too many levels of symbolic links",
    ))
}

/// How many dangling symlinks [`canonicalize_existing_prefix`] follows before giving up, as the
/// kernel's own limit for path resolution.
const MAX_LINK_HOPS: usize = 40;

/// One round of [`canonicalize_existing_prefix`].
enum Step {
    /// The path is resolved.
    Done(PathBuf),
    /// A dangling symlink was met: resolve this path (its target plus the rest) instead.
    Retry(PathBuf),
}

/// Walks up from `path` to its deepest existing ancestor, canonicalizes that, and re-appends the
/// missing components; a dangling symlink on the way turns into a [`Step::Retry`].
fn resolve_step(path: &Path) -> std::io::Result<Step> {
    let mut existing = path.to_path_buf();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(real) => return Ok(Step::Done(append_rest(real, &rest))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(target) = dangling_link_target(&existing)? {
                    let next = fold_dots(&append_rest(target, &rest)).ok_or(e)?;
                    return Ok(Step::Retry(next));
                }
                let Some(name) = existing.file_name().map(|n| n.to_os_string()) else {
                    return Err(e);
                };
                rest.push(name);
                if !existing.pop() {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// If `path` is itself a symlink (one whose target does not exist), its target as an absolute
/// path; `None` if `path` does not exist at all.
fn dangling_link_target(path: &Path) -> std::io::Result<Option<PathBuf>> {
    match path.symlink_metadata() {
        Ok(meta) if meta.file_type().is_symlink() => {
            let target = std::fs::read_link(path)?;
            let base = path.parent().unwrap_or(Path::new("/"));
            Ok(Some(base.join(target)))
        }
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// `base` with the components in `rest` (collected deepest first) appended.
fn append_rest(mut base: PathBuf, rest: &[std::ffi::OsString]) -> PathBuf {
    for part in rest.iter().rev() {
        base.push(part);
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        (dir, real)
    }

    #[test]
    fn dotdot_and_absolute_paths_outside_are_refused() {
        let (_d, root) = root();
        assert!(matches!(resolve(&root, "../x"), Err(PathError::Outside(_))));
        assert!(matches!(
            resolve(&root, "a/../../x"),
            Err(PathError::Outside(_))
        ));
        assert!(matches!(
            resolve(&root, "/etc/passwd"),
            Err(PathError::Outside(_))
        ));
        assert_eq!(resolve(&root, "a/../b").unwrap(), root.join("b"));
    }

    #[test]
    fn symlink_to_outside_is_refused() {
        let (_d, root) = root();
        let (_o, outside) = self::root();
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
        assert!(matches!(
            resolve(&root, "link/f"),
            Err(PathError::Outside(_))
        ));
    }

    #[test]
    fn dangling_symlink_to_outside_is_refused() {
        let (_d, root) = root();
        let (_o, outside) = self::root();
        let target = outside.join("created-through-link");
        std::os::unix::fs::symlink(&target, root.join("dangling")).unwrap();
        assert!(matches!(
            resolve(&root, "dangling"),
            Err(PathError::Outside(_))
        ));
        std::os::unix::fs::symlink("../../nowhere/x", root.join("rel")).unwrap();
        assert!(matches!(resolve(&root, "rel"), Err(PathError::Outside(_))));
    }

    #[test]
    fn dangling_symlink_inside_resolves_to_its_target() {
        let (_d, root) = root();
        std::os::unix::fs::symlink("sub/new.txt", root.join("alias")).unwrap();
        assert_eq!(resolve(&root, "alias").unwrap(), root.join("sub/new.txt"));
    }

    #[test]
    fn symlink_loop_is_an_error() {
        let (_d, root) = root();
        std::os::unix::fs::symlink("b", root.join("a")).unwrap();
        std::os::unix::fs::symlink("a", root.join("b")).unwrap();
        assert!(resolve(&root, "a").is_err());
    }

    #[test]
    fn strip_root_agrees_with_strip_prefix() {
        let cases = [
            ("/w/a/b.rs", "/w"),
            ("/w", "/w"),
            ("/w/", "/w"),
            ("/wx/a", "/w"),
            ("/w//a", "/w"),
            ("/a/b", "/"),
            ("/w/./a", "/w"),
            ("rel/a", "rel"),
        ];
        for (path, root) in cases {
            let (path, root) = (Path::new(path), Path::new(root));
            assert_eq!(
                strip_root(path, root),
                path.strip_prefix(root).ok(),
                "{} under {}",
                path.display(),
                root.display()
            );
        }
    }
}
