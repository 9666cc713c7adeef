//! Ignore-aware directory walks (the `ignore` crate, as ripgrep does) and the `glob` tool.

use super::path_subject;
use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolResult};
use crate::types::{Effects, Subject, ToolKind};
use ignore::WalkBuilder;
use serde::Deserialize;
use serde_json::json;
use std::path::Path;

const MAX_MATCHES: usize = 1000;

/// An unsorted walk (callers that want order sort it; the parallel grep cannot) that honours .gitignore (also outside git repos), .ignore and global excludes, shows
/// dotfiles such as `.github/`, and never descends into `.git/`.
pub fn walker(dir: &Path) -> WalkBuilder {
    let mut b = WalkBuilder::new(dir);
    b.hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git");
    b
}

pub struct Glob;

#[derive(Deserialize)]
struct GlobArgs {
    pattern: String,
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
        json!({"type": "object", "properties": {"pattern": {"type": "string"}, "path": {"type": "string"}}, "required": ["pattern"]})
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
            let mut out = Vec::new();
            for entry in walker(&dir)
                .sort_by_file_name(|a, b| a.cmp(b))
                .build()
                .flatten()
            {
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    continue;
                }
                let rel = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
                if matcher.is_match(rel) && ctx.may_list(entry.path()) {
                    out.push(ctx.relative(entry.path()));
                    if out.len() > MAX_MATCHES {
                        break;
                    }
                }
            }
            Ok(render(out, &a.pattern))
        })
    }
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
