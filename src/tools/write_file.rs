//! `write_file`: create or overwrite a whole file, reporting the change as a diff.

use super::fs_read::io_error;
use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolResult};
use serde::Deserialize;
use serde_json::json;

pub struct WriteFile;

#[derive(Deserialize)]
struct Args {
    path: String,
    content: String,
}

impl Tool for WriteFile {
    fn name(&self) -> &'static str {
        "write_file"
    }
    fn description(&self) -> &'static str {
        include_str!("../../prompts/tools/write_file.md")
    }
    fn parameters(&self) -> serde_json::Value {
        json!({"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}}, "required": ["path", "content"]})
    }
    fn mutates(&self) -> bool {
        true
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: Args = parse_args(self.name(), args)?;
            let path = ctx.resolve(&a.path)?;
            ctx.check_write(&path)?;
            if path.is_dir() {
                return Err(ToolError(format!("`{}` is a directory", a.path)));
            }
            if path.exists() {
                // The diff would show the old content: a secret stays unreadable this way too.
                ctx.check_read(&path)?;
            }
            let old = match std::fs::read(&path) {
                Ok(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(io_error(&a.path, &e)),
            };
            crate::fsutil::write_atomic(&path, a.content.as_bytes())
                .map_err(|e| ToolError(format!("cannot write `{}`: {e}", a.path)))?;
            ctx.mark_seen(&path);
            let rel = ctx.relative(&path);
            let diff = crate::diff::unified(&rel, old.as_deref(), Some(&a.content));
            Ok(match (old.is_some(), diff.is_empty()) {
                (_, true) => format!("`{rel}` unchanged (same content)"),
                (false, _) => format!("created `{rel}`\n{diff}"),
                (true, _) => format!("wrote `{rel}`\n{diff}"),
            })
        })
    }
}
