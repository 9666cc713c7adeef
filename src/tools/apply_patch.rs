//! `apply_patch`: the patch format OpenAI models are trained on, applied atomically by
//! `crate::patch`; every path passes the same confinement and write check as the other tools.

use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolOutput, ToolResult};
use crate::patch::{ChangeKind, FileChange};
use crate::types::{Effects, Subject};
use schemars::JsonSchema;
use serde::Deserialize;

pub struct ApplyPatch;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    patch: String,
}

impl Tool for ApplyPatch {
    fn name(&self) -> &str {
        "apply_patch"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/apply_patch.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<Args>()
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects::edit()
    }
    /// Every file the patch adds, deletes, updates or moves to.
    fn subjects(&self, args: &serde_json::Value) -> Vec<Subject> {
        let patch = args.get("patch").and_then(|p| p.as_str()).unwrap_or("");
        crate::patch::paths(patch)
            .into_iter()
            .map(Subject::Path)
            .collect()
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: Args = parse_args(self.name(), args)?;
            apply_text(&a.patch, ctx)
        })
    }
}

/// Applies a patch under the workspace of `ctx` and reports each file's diff. Paths are resolved
/// and checked here, then read and written through the workspace handle by their
/// workspace-relative form.
pub fn apply_text(patch: &str, ctx: &ToolContext) -> ToolResult {
    let resolve = |p: &str| -> Result<std::path::PathBuf, crate::patch::Refusal> {
        let path = ctx.resolve(p)?;
        ctx.check_write(&path)?;
        // Updates, deletes and moves report the old content in their diff.
        let exists = ctx.mtime(&path).is_some();
        if exists {
            ctx.check_read(&path)?;
        }
        Ok(ctx.beneath(&path)?.to_path_buf())
    };
    let changes =
        crate::patch::apply(patch, &resolve, &ctx.fs).map_err(|e| ToolError(e.to_string()))?;
    for c in &changes {
        if let Ok(p) = ctx.resolve(&c.path) {
            ctx.mark_seen(&p);
        }
    }
    let mut changed: Vec<String> = changes.iter().map(|c| c.path.clone()).collect();
    changed.extend(changes.iter().filter_map(|c| match &c.kind {
        ChangeKind::Update {
            moved_from: Some(from),
        } => Some(from.clone()),
        _ => None,
    }));
    Ok(ToolOutput {
        text: render(&changes),
        exit: None,
        changed,
        plan: None,
        images: Vec::new(),
    })
}

fn render(changes: &[FileChange]) -> String {
    let mut out = String::new();
    for c in changes {
        let what = match &c.kind {
            ChangeKind::Add => format!("added {}", c.path),
            ChangeKind::Delete => format!("deleted {}", c.path),
            ChangeKind::Update {
                moved_from: Some(from),
            } => format!("moved {from} -> {}", c.path),
            ChangeKind::Update { moved_from: None } => format!("updated {}", c.path),
        };
        out.push_str(&what);
        out.push('\n');
        let diff = super::output_cap::cap_diff(c.diff.clone(), &c.path);
        out.push_str(&diff);
        if !diff.ends_with('\n') && !diff.is_empty() {
            out.push('\n');
        }
    }
    out
}
