//! `view_image`: an image file of the workspace shown to the model. The file is opened like
//! `read_file` opens one (the read check with its secret patterns and deny rules, then the
//! workspace handle with no symlink and no second hard link), refused before it is read when
//! over [`MAX_IMAGE_BYTES`], and its type told by its first bytes.

use super::files::{io_error, off_runtime};
use super::path_subject;
use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolOutput, ToolResult};
use crate::conversation::{Image, ImageError, MAX_IMAGE_BYTES};
use crate::types::{Effects, Subject, ToolKind};
use schemars::JsonSchema;
use serde::Deserialize;
use std::io::Read;

pub struct ViewImage;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The image file, relative to the workspace root.
    path: String,
}

impl Tool for ViewImage {
    fn name(&self) -> &str {
        "view_image"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/view_image.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<Args>()
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects::of(ToolKind::Read)
    }
    fn subjects(&self, args: &serde_json::Value) -> Vec<Subject> {
        path_subject(args)
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: Args = parse_args(self.name(), args)?;
            let (_, file, meta) = ctx.open_shown(&a.path)?;
            let too_large = |size| ImageError::TooLarge {
                name: a.path.clone(),
                size,
            };
            if meta.len() > MAX_IMAGE_BYTES as u64 {
                return Err(ToolError(too_large(meta.len()).to_string()));
            }
            let shown = a.path.clone();
            let bytes = off_runtime(self.name(), move || {
                let mut bytes = Vec::new();
                file.take(MAX_IMAGE_BYTES as u64 + 1)
                    .read_to_end(&mut bytes)
                    .map(|_| bytes)
                    .map_err(|e| io_error(&shown, &e))
            })
            .await?;
            let image =
                Image::from_bytes(a.path.clone(), bytes).map_err(|e| ToolError(e.to_string()))?;
            Ok(ToolOutput {
                text: format!("{} follows as an image", image.describe()),
                images: vec![image],
                ..ToolOutput::default()
            })
        })
    }
}
