//! `write_file`: create or overwrite a whole file, reporting the change as a diff.

use super::path_subject;
use super::{parse_args, BoxFuture, Tool, ToolContext, ToolOutput, ToolResult};
use crate::types::{Effects, Subject};
use schemars::JsonSchema;
use serde::Deserialize;

pub struct WriteFile;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    path: String,
    content: String,
}

impl Tool for WriteFile {
    fn name(&self) -> &str {
        "write_file"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/write_file.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<Args>()
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects::edit()
    }
    fn subjects(&self, args: &serde_json::Value) -> Vec<Subject> {
        path_subject(args)
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: Args = parse_args(self.name(), args)?;
            let path = ctx.resolve(&a.path)?;
            ctx.check_write(&path)?;
            // The diff shows the old content: a secret stays unreadable this way too.
            let old = ctx
                .read_for_change(&path, &a.path)
                .await?
                .map(|(text, _)| text);
            ctx.write_whole(&path, &a.content, &a.path).await?;
            ctx.mark_seen(&path);
            let rel = ctx.relative(&path);
            let diff = super::output_cap::cap_diff(
                crate::diff::unified(&rel, old.as_deref(), Some(&a.content)),
                &rel,
            );
            let text = match (old.is_some(), diff.is_empty()) {
                (_, true) => return Ok(format!("`{rel}` unchanged (same content)").into()),
                (false, _) => format!("created `{rel}`\n{diff}"),
                (true, _) => format!("wrote `{rel}`\n{diff}"),
            };
            Ok(ToolOutput {
                text,
                exit: None,
                changed: vec![rel],
                plan: None,
                images: Vec::new(),
            })
        })
    }
}
