//! The `grep` tool, on ripgrep's own crates: a parallel ignore-aware walk, one searcher per thread,
//! results sorted by path so the model sees a stable order.

use super::files::Reader;
use super::path_subject;
use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolResult};
use crate::types::{Effects, Subject, ToolKind};
use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{
    BinaryDetection, Searcher, SearcherBuilder, Sink, SinkContext, SinkContextKind, SinkMatch,
};
use ignore::WalkState;
use serde::Deserialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

const DEFAULT_MAX_RESULTS: usize = 200;
const MAX_LINE_CHARS: usize = 500;

pub struct Grep;

#[derive(Deserialize)]
pub struct GrepArgs {
    pub pattern: String,
    pub path: Option<String>,
    pub glob: Option<String>,
    #[serde(default)]
    pub ignore_case: bool,
    pub context: Option<usize>,
    pub max_results: Option<usize>,
}

impl Tool for Grep {
    fn name(&self) -> &str {
        "grep"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/grep.md")
    }
    fn parameters(&self) -> serde_json::Value {
        json!({"type": "object", "properties": {
            "pattern": {"type": "string"}, "path": {"type": "string"}, "glob": {"type": "string"},
            "ignore_case": {"type": "boolean"}, "context": {"type": "integer"}, "max_results": {"type": "integer"}
        }, "required": ["pattern"]})
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects::of(ToolKind::Search)
    }
    fn subjects(&self, args: &serde_json::Value) -> Vec<Subject> {
        path_subject(args)
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: GrepArgs = parse_args(self.name(), args)?;
            let dir = ctx.resolve(a.path.as_deref().unwrap_or("."))?;
            let root = ctx.root.clone();
            let reader = ctx.reader();
            tokio::task::spawn_blocking(move || search(&root, &dir, &a, &reader))
                .await
                .map_err(|e| ToolError(format!("grep failed: {e}")))?
        })
    }
}

/// Searches `dir` and renders `path:line:text` lines relative to `root`. Files are opened
/// through `reader`, which skips what the file tools may not read (secrets, read-deny rules,
/// hard links, anything reached through a symlink swapped in during the walk).
pub fn search(root: &Path, dir: &Path, a: &GrepArgs, reader: &Reader) -> ToolResult {
    let matcher = RegexMatcherBuilder::new()
        .case_insensitive(a.ignore_case)
        .build(&a.pattern)
        .map_err(|e| ToolError(format!("bad regex `{}`: {e}", a.pattern)))?;
    let glob = match &a.glob {
        Some(g) => Some(
            globset::Glob::new(g)
                .map_err(|e| ToolError(format!("bad glob `{g}`: {e}")))?
                .compile_matcher(),
        ),
        None => None,
    };
    let max = a.max_results.unwrap_or(DEFAULT_MAX_RESULTS).max(1);
    let found = AtomicUsize::new(0);
    let results: Mutex<Vec<(PathBuf, String)>> = Mutex::new(Vec::new());
    let context = a.context.unwrap_or(0).min(20);
    super::walk::walker(dir).build_parallel().run(|| {
        let mut searcher = SearcherBuilder::new()
            .binary_detection(BinaryDetection::quit(0))
            .line_number(true)
            .before_context(context)
            .after_context(context)
            .build();
        let (matcher, glob, found, results) = (&matcher, &glob, &found, &results);
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let path = entry.path();
            let rel = path.strip_prefix(dir).unwrap_or(path);
            if glob.as_ref().is_some_and(|g| {
                !g.is_match(rel) && !rel.file_name().is_some_and(|n| g.is_match(n))
            }) {
                return WalkState::Continue;
            }
            let Some(file) = reader.open(path) else {
                return WalkState::Continue;
            };
            let found_in = Found {
                found,
                results,
                max,
            };
            search_file(&mut searcher, matcher, root, path, &file, found_in)
        })
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let total = found.load(Ordering::Relaxed);
    Ok(render(results, total, max, &a.pattern))
}

/// Where a search collects: the match count shared by all threads, the results, the limit.
struct Found<'a> {
    found: &'a AtomicUsize,
    results: &'a Mutex<Vec<(PathBuf, String)>>,
    max: usize,
}

fn search_file(
    searcher: &mut Searcher,
    matcher: &RegexMatcher,
    root: &Path,
    path: &Path,
    file: &std::fs::File,
    Found {
        found,
        results,
        max,
    }: Found<'_>,
) -> WalkState {
    let shown = crate::sandbox::paths::relative(root, path);
    let mut sink = Collect {
        shown: &shown,
        out: String::new(),
        matches: 0,
        found,
        max,
    };
    let _ = searcher.search_file(matcher, file, &mut sink);
    if sink.matches > 0 {
        if let Ok(mut r) = results.lock() {
            r.push((path.to_path_buf(), sink.out));
        }
    }
    if found.load(Ordering::Relaxed) >= max {
        WalkState::Quit
    } else {
        WalkState::Continue
    }
}

struct Collect<'a> {
    shown: &'a str,
    out: String,
    matches: usize,
    found: &'a AtomicUsize,
    max: usize,
}

impl Collect<'_> {
    fn push(&mut self, sep: char, line: Option<u64>, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim_end_matches(['\n', '\r']);
        let text: String = text.chars().take(MAX_LINE_CHARS).collect();
        self.out.push_str(&format!(
            "{}{sep}{}{sep}{text}\n",
            self.shown,
            line.unwrap_or(0)
        ));
    }
}

impl Sink for Collect<'_> {
    type Error = std::io::Error;

    fn matched(&mut self, _: &Searcher, m: &SinkMatch<'_>) -> Result<bool, Self::Error> {
        if self.found.fetch_add(1, Ordering::Relaxed) >= self.max {
            return Ok(false);
        }
        self.matches += 1;
        self.push(':', m.line_number(), m.bytes());
        Ok(true)
    }

    fn context(&mut self, _: &Searcher, c: &SinkContext<'_>) -> Result<bool, Self::Error> {
        if matches!(c.kind(), SinkContextKind::Before | SinkContextKind::After) {
            self.push('-', c.line_number(), c.bytes());
        }
        Ok(true)
    }

    fn context_break(&mut self, _: &Searcher) -> Result<bool, Self::Error> {
        self.out.push_str("--\n");
        Ok(true)
    }
}

fn render(results: Vec<(PathBuf, String)>, total: usize, max: usize, pattern: &str) -> String {
    if results.is_empty() {
        return format!("no matches for `{pattern}`");
    }
    let mut s: String = results.into_iter().map(|(_, out)| out).collect();
    if total >= max {
        s.push_str(&format!(
            "… stopped at {max} matches; narrow the pattern, path or glob, or raise max_results"
        ));
    }
    s
}
