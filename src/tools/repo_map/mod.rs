//! The repository map: the definitions the code base leans on most, read with tree-sitter
//! (Rust, Python, JavaScript, TypeScript, Go), ranked over the reference graph toward what the
//! session works on, and printed within a token budget. The `repo_map` tool, `reins map` and the
//! optional map in the first request all come from [`build`].

pub mod index;
pub mod rank;
pub mod render;
pub mod tags;

use super::{parse_args, BoxFuture, Reader, Tool, ToolContext, ToolError, ToolResult};
use crate::types::{Effects, Subject, ToolKind};
use rank::Focus;
use schemars::JsonSchema;
use serde::Deserialize;
use std::path::Path;

pub use index::ScanStats;

/// The tool's budget when the model names none, and the bounds it may ask for.
pub const DEFAULT_TOKENS: usize = 1024;
const MIN_TOKENS: usize = 64;
const MAX_TOKENS: usize = 8192;

/// A map built: the text and what the scan did.
pub struct Map {
    pub text: String,
    pub stats: ScanStats,
}

/// Scans `root` (reusing the cache at `cache` where files have not changed, and refreshing it),
/// ranks toward `focus` (paths or names; a string naming an indexed file is a path) and renders
/// within `max_tokens`.
pub fn build(
    root: &Path,
    reader: &Reader,
    cache: Option<&Path>,
    focus: &[String],
    max_tokens: usize,
) -> Map {
    let old = cache.map(index::load).unwrap_or_default();
    let (idx, stats) = index::scan(root, reader, &old);
    if let Some(cache) = cache {
        if idx != old {
            // A cache that cannot be written costs speed next time, not this map.
            let _ = index::save(cache, &idx);
        }
    }
    let mut f = Focus::default();
    for s in focus {
        let s = s.trim().trim_start_matches("./");
        if idx.files.contains_key(s) {
            f.files.insert(s.to_string());
        } else if !s.is_empty() {
            f.names.insert(s.to_string());
        }
    }
    let ranking = rank::rank(&idx, &f);
    let body = render::render(&idx, &ranking, max_tokens);
    let text = if idx.files.is_empty() {
        "no source files this map reads (Rust, Python, JavaScript, TypeScript, Go) in the workspace"
            .to_string()
    } else {
        body
    };
    Map { text, stats }
}

pub struct RepoMap;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RepoMapArgs {
    /// Paths or names you are working on, to rank toward them.
    #[serde(default)]
    focus: Vec<String>,
    /// The map's size in tokens.
    #[schemars(range(min = 64, max = 8192))]
    max_tokens: Option<usize>,
}

impl Tool for RepoMap {
    fn name(&self) -> &str {
        "repo_map"
    }
    fn description(&self) -> &str {
        include_str!("../../../prompts/tools/repo_map.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<RepoMapArgs>()
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects::of(ToolKind::Search)
    }
    /// The whole workspace is read, each file through the read check, so a deny rule on a path
    /// keeps that file out of the map; there is no one path to match rules against.
    fn subjects(&self, _args: &serde_json::Value) -> Vec<Subject> {
        Vec::new()
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: RepoMapArgs = parse_args(self.name(), args)?;
            let budget = a
                .max_tokens
                .unwrap_or(DEFAULT_TOKENS)
                .clamp(MIN_TOKENS, MAX_TOKENS);
            let mut focus = a.focus;
            if let Ok(touched) = ctx.traces.touched.lock() {
                focus.extend(touched.iter().cloned());
            }
            let root = ctx.root.clone();
            let reader = ctx.reader();
            let cache = ctx
                .reins_home
                .as_deref()
                .map(|h| index::cache_path(h, &root));
            let map = tokio::task::spawn_blocking(move || {
                build(&root, &reader, cache.as_deref(), &focus, budget)
            })
            .await
            .map_err(|e| ToolError(format!("repo_map failed: {e}")))?;
            Ok(map.text.into())
        })
    }
}
