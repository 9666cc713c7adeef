//! Fuzzy filtering for the `@path` finder and the `/` command list (nucleo-matcher, the matcher
//! of the helix editor), and the workspace file list it searches. The list is walked once, in the
//! background, honouring `.gitignore` like every other walk in reins.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// Stop listing after this many files: the finder is for picking, not for inventories.
const MAX_FILES: usize = 50_000;

/// Indexes of `items` matching `query`, best first; all of them in order for an empty query.
pub fn rank<S: AsRef<str>>(query: &str, items: &[S], paths: bool, limit: usize) -> Vec<usize> {
    if query.trim().is_empty() {
        return (0..items.len().min(limit)).collect();
    }
    let config = if paths {
        Config::DEFAULT.match_paths()
    } else {
        Config::DEFAULT
    };
    let mut matcher = Matcher::new(config);
    let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let hay = Utf32Str::new(item.as_ref(), &mut buf);
            pattern.score(hay, &mut matcher).map(|s| (s, i))
        })
        .collect();
    // Higher score first; among equals the shorter (then earlier) item.
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| items[a.1].as_ref().len().cmp(&items[b.1].as_ref().len()))
            .then(a.1.cmp(&b.1))
    });
    scored.into_iter().take(limit).map(|(_, i)| i).collect()
}

/// The workspace's files, listed on a background thread.
#[derive(Clone, Default)]
pub struct FileIndex {
    files: Arc<OnceLock<Vec<String>>>,
}

impl FileIndex {
    /// Starts listing `root`.
    pub fn start(root: &Path) -> Self {
        let index = FileIndex::default();
        let (files, root) = (index.files.clone(), root.to_path_buf());
        std::thread::spawn(move || {
            let _ = files.set(list_files(&root));
        });
        index
    }

    /// A ready index over `files` (tests).
    pub fn fixed(files: Vec<String>) -> Self {
        let index = FileIndex::default();
        let _ = index.files.set(files);
        index
    }

    /// The files, once listed.
    pub fn get(&self) -> Option<&[String]> {
        self.files.get().map(Vec::as_slice)
    }
}

fn list_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in crate::tools::walk::walker(root).build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if let Ok(rel) = entry.path().strip_prefix(root) {
            out.push(rel.to_string_lossy().into_owned());
        }
        if out.len() >= MAX_FILES {
            break;
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_match_first() {
        let items = ["src/ui/tui/mod.rs", "src/lib.rs", "README.md", "src/cli.rs"];
        let r = rank("lib", &items, true, 10);
        assert_eq!(items[r[0]], "src/lib.rs");
        assert!(!r.iter().any(|&i| items[i] == "README.md"));
    }

    #[test]
    fn empty_query_keeps_order() {
        assert_eq!(rank("", &["b", "a"], false, 10), [0, 1]);
    }

    #[test]
    fn the_file_list_honours_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "target/\n").unwrap();
        std::fs::create_dir_all(dir.path().join("target")).unwrap();
        std::fs::write(dir.path().join("target/x.o"), "").unwrap();
        std::fs::write(dir.path().join("main.rs"), "").unwrap();
        assert_eq!(list_files(dir.path()), [".gitignore", "main.rs"]);
    }
}
