//! Ignore-aware directory walks (the `ignore` crate, as ripgrep does), the ordered capped
//! collection the parallel ones share, and the `glob` tool.

use super::path_subject;
use super::{parse_args, BoxFuture, Reader, Tool, ToolContext, ToolError, ToolResult};
use crate::types::{Effects, Subject, ToolKind};
use ignore::{WalkBuilder, WalkState};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

const MAX_MATCHES: usize = 1000;

/// An unsorted walk (callers that want order sort it; the parallel ones cannot) that honours
/// .gitignore (also outside git repos), .ignore and global excludes, shows dotfiles such as
/// `.github/`, and never descends into `.git/`.
pub fn walker(dir: &Path) -> WalkBuilder {
    let mut b = WalkBuilder::new(dir);
    b.hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git");
    b
}

/// What a parallel walk found, kept as a sequential walk sorted by name would have kept it: the
/// entries holding the first `cap` units (matches, files) in path order, whatever order the
/// threads visit in. Callers that must say whether there is more ask for one unit beyond what
/// they show.
///
/// Once `cap` units are in, the path of the entry that reaches the cap is a threshold: entries
/// after it can never be kept, so the walk skips them, and does not enter directories after it
/// ([`FirstInOrder::beyond`]). A capped search thus stops early, as a sequential one would, and
/// still gives the same answer on every run.
pub(crate) struct FirstInOrder<T> {
    cap: usize,
    /// Set once the cap is reached, so the walk reads the threshold only from then on.
    capped: AtomicBool,
    state: Mutex<Kept<T>>,
}

struct Kept<T> {
    /// Path -> (units, item).
    items: BTreeMap<PathBuf, (usize, T)>,
    units: usize,
}

impl<T> FirstInOrder<T> {
    pub(crate) fn new(cap: usize) -> Self {
        FirstInOrder {
            cap: cap.max(1),
            capped: AtomicBool::new(false),
            state: Mutex::new(Kept {
                items: BTreeMap::new(),
                units: 0,
            }),
        }
    }

    /// Whether `path` sorts after every entry that can still be kept; a walk skips it (and,
    /// for a directory, everything beneath it: those paths sort after it too).
    /// The file a parallel walk's entry stands for, or what the walk does instead: go on past
    /// errors and non-files, skip what sorts after every entry that can still be kept.
    pub(crate) fn file_of<'e>(
        &self,
        entry: &'e Result<ignore::DirEntry, ignore::Error>,
    ) -> Result<&'e Path, WalkState> {
        let Ok(entry) = entry else {
            return Err(WalkState::Continue);
        };
        let path = entry.path();
        if self.beyond(path) {
            return Err(WalkState::Skip);
        }
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            return Err(WalkState::Continue);
        }
        Ok(path)
    }

    pub(crate) fn beyond(&self, path: &Path) -> bool {
        if !self.capped.load(Ordering::Acquire) {
            return false;
        }
        self.state.lock().is_ok_and(|kept| {
            kept.items
                .keys()
                .next_back()
                .is_some_and(|last| path > last)
        })
    }

    /// Adds an entry with `units` (at least one); drops the entries no longer within the cap.
    pub(crate) fn push(&self, path: PathBuf, units: usize, item: T) {
        let Ok(mut kept) = self.state.lock() else {
            return;
        };
        kept.units += units;
        kept.items.insert(path, (units, item));
        // Drop the last entries while the ones before them still reach the cap.
        while let Some((_, (last, _))) = kept.items.iter().next_back() {
            let last = *last;
            if kept.units - last < self.cap {
                break;
            }
            kept.items.pop_last();
            kept.units -= last;
        }
        if kept.units >= self.cap {
            self.capped.store(true, Ordering::Release);
        }
    }

    /// The entries kept, in path order: (path, units, item).
    pub(crate) fn finish(self) -> Vec<(PathBuf, usize, T)> {
        let kept = match self.state.into_inner() {
            Ok(k) => k,
            Err(poisoned) => poisoned.into_inner(),
        };
        kept.items
            .into_iter()
            .map(|(path, (units, item))| (path, units, item))
            .collect()
    }
}

pub struct Glob;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GlobArgs {
    pattern: String,
    /// Directory to search under (default: the workspace root).
    path: Option<String>,
}

impl Tool for Glob {
    fn name(&self) -> &str {
        "glob"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/glob.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<GlobArgs>()
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects::of(ToolKind::Search)
    }
    fn subjects(&self, args: &serde_json::Value) -> Vec<Subject> {
        path_subject(args)
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: GlobArgs = parse_args(self.name(), args)?;
            let matcher = globset::Glob::new(&a.pattern)
                .map_err(|e| ToolError(format!("bad glob `{}`: {e}", a.pattern)))?
                .compile_matcher();
            let dir = ctx.resolve(a.path.as_deref().unwrap_or("."))?;
            let reader = ctx.reader();
            let found = tokio::task::spawn_blocking(move || find(&dir, &matcher, &reader))
                .await
                .map_err(|e| ToolError(format!("glob failed: {e}")))?;
            Ok(render(found, &a.pattern).into())
        })
    }
}

/// The files under `dir` whose path relative to it matches, as the model may see them
/// (workspace-relative, read check passed, really where the walk saw them), in path order;
/// walked in parallel and stopped at [`MAX_MATCHES`].
fn find(dir: &Path, matcher: &globset::GlobMatcher, reader: &Reader) -> Vec<String> {
    // One more than is shown, to know whether there are more.
    let kept = FirstInOrder::new(MAX_MATCHES + 1);
    walker(dir).build_parallel().run(|| {
        let kept = &kept;
        Box::new(move |entry| {
            let path = match kept.file_of(&entry) {
                Ok(path) => path,
                Err(state) => return state,
            };
            let rel = path.strip_prefix(dir).unwrap_or(path);
            if matcher.is_match(rel) && reader.may_list(path) {
                kept.push(path.to_path_buf(), 1, reader.relative(path));
            }
            WalkState::Continue
        })
    });
    kept.finish().into_iter().map(|(_, _, p)| p).collect()
}

fn render(mut paths: Vec<String>, pattern: &str) -> String {
    if paths.is_empty() {
        return format!("no files match `{pattern}`");
    }
    let more = paths.len() > MAX_MATCHES;
    paths.truncate(MAX_MATCHES);
    let mut s = paths.join("\n");
    if more {
        s.push_str(&format!(
            "\n… more than {MAX_MATCHES} matches; narrow the pattern or path"
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(cap: usize, pushes: &[(&str, usize)]) -> Vec<(String, usize)> {
        let f = FirstInOrder::new(cap);
        for (p, n) in pushes {
            f.push(PathBuf::from(p), *n, ());
        }
        f.finish()
            .into_iter()
            .map(|(p, n, ())| (p.display().to_string(), n))
            .collect()
    }

    #[test]
    fn the_first_entries_in_path_order_are_kept_whatever_the_arrival_order() {
        let pushes = [("b/x", 2), ("a", 1), ("c", 5), ("a/z", 1), ("b", 1)];
        let want = vec![
            ("a".into(), 1),
            ("a/z".into(), 1),
            ("b".into(), 1),
            ("b/x".into(), 2),
        ];
        assert_eq!(kept(4, &pushes), want);
        let mut reversed = pushes;
        reversed.reverse();
        assert_eq!(kept(4, &reversed), want);
    }

    #[test]
    fn paths_after_the_threshold_are_skipped_once_the_cap_is_reached() {
        let f = FirstInOrder::new(2);
        f.push(PathBuf::from("m"), 1, ());
        assert!(!f.beyond(Path::new("z")), "not capped yet");
        f.push(PathBuf::from("k"), 1, ());
        assert!(f.beyond(Path::new("z")));
        assert!(
            f.beyond(Path::new("m/inner")),
            "beneath the last kept entry"
        );
        assert!(!f.beyond(Path::new("a")));
    }
}
