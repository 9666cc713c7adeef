//! `apply_patch`: the patch format OpenAI models are trained on, applied atomically by
//! `crate::patch`; every path passes the same confinement and write check as the other tools.

use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolResult};
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
            match ctx.files.as_deref() {
                Some(editor) if editor.reads() || editor.writes() => {
                    super::apply_patch_editor::apply(&a.patch, ctx, editor).await
                }
                _ => apply_text(&a.patch, ctx),
            }
        })
    }
}

/// Applies a patch under the workspace of `ctx` and reports each file's diff. Paths are resolved
/// and checked here, then read and written through the workspace handle by their
/// workspace-relative form.
pub fn apply_text(patch: &str, ctx: &ToolContext) -> ToolResult {
    let changes = crate::patch::apply(patch, &|p| super::patch_shared::resolve(ctx, p), &ctx.fs)
        .map_err(|e| ToolError(e.to_string()))?;
    Ok(super::patch_shared::outcome(ctx, &changes))
}
