//! `apply_patch` when an editor serves the files ([`FileAccess`]): the files the patch touches
//! are read from the editor first, the patch is staged against that text with every check the
//! disk path makes, and only then written, through the editor (or to disk, for an editor that
//! serves reads only). A file the patch deletes, or moves away, is removed on disk: the protocol
//! has no delete. A write the editor refuses restores the files already written.

use super::patch_shared::{outcome, resolve};
use super::{FileAccess, ToolContext, ToolError, ToolResult};
use crate::patch::{Texts, Write};

pub(super) async fn apply(patch: &str, ctx: &ToolContext, editor: &dyn FileAccess) -> ToolResult {
    let texts = if editor.reads() {
        current_texts(patch, ctx, editor).await?
    } else {
        Texts::new()
    };
    let check = |p: &str| resolve(ctx, p);
    if !editor.writes() {
        let changes = crate::patch::apply_over(patch, &check, &ctx.fs, &texts)
            .map_err(|e| ToolError(e.to_string()))?;
        return Ok(outcome(ctx, &changes));
    }
    let (changes, writes) = crate::patch::stage_over(patch, &check, &ctx.fs, &texts)
        .map_err(|e| ToolError(e.to_string()))?;
    write_all(ctx, editor, &writes).await?;
    Ok(outcome(ctx, &changes))
}

/// The editor's text of every existing file the patch names that passes the checks; a path they
/// refuse is never asked for (staging then refuses it with the reason).
async fn current_texts(
    patch: &str,
    ctx: &ToolContext,
    editor: &dyn FileAccess,
) -> Result<Texts, ToolError> {
    let mut texts = Texts::new();
    for p in crate::patch::paths(patch) {
        let Ok(rel) = resolve(ctx, &p) else {
            continue;
        };
        let is_file = matches!(ctx.fs.metadata(&rel), Ok(Some(m)) if m.is_file());
        if texts.contains_key(&rel) || !is_file || ctx.check_plain_target(&rel, &p).is_err() {
            continue;
        }
        let text = editor.read_text(&ctx.root.join(&rel)).await?;
        texts.insert(rel, text);
    }
    Ok(texts)
}

/// Performs the writes in order; on a failure, restores those done and says which could not be.
async fn write_all(
    ctx: &ToolContext,
    editor: &dyn FileAccess,
    writes: &[Write],
) -> Result<(), ToolError> {
    for (i, w) in writes.iter().enumerate() {
        if let Err(e) = perform(ctx, editor, w, w.content.as_deref()).await {
            let mut unrestored = Vec::new();
            for done in writes[..i].iter().rev() {
                if perform(ctx, editor, done, done.original.as_deref())
                    .await
                    .is_err()
                {
                    unrestored.push(format!("`{}`", done.display));
                }
            }
            let after = if unrestored.is_empty() {
                "the files written before it were restored".to_string()
            } else {
                format!("these could not be restored: {}", unrestored.join(", "))
            };
            return Err(ToolError(format!(
                "the patch was not applied: writing `{}` failed ({e}); {after}",
                w.display
            )));
        }
    }
    Ok(())
}

/// Puts `content` at the write's path (through the editor), or removes the file (on disk).
async fn perform(
    ctx: &ToolContext,
    editor: &dyn FileAccess,
    w: &Write,
    content: Option<&[u8]>,
) -> Result<(), ToolError> {
    let cannot = |e: std::io::Error| ToolError(format!("cannot change `{}`: {e}", w.display));
    match content {
        Some(bytes) => {
            if let Some(parent) = w.rel.parent() {
                ctx.fs.create_dir_all(parent).map_err(cannot)?;
            }
            ctx.check_plain_target(&w.rel, &w.display)?;
            let text = String::from_utf8_lossy(bytes);
            editor.write_text(&ctx.root.join(&w.rel), &text).await
        }
        None => match ctx.fs.remove_file(&w.rel) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(cannot(e)),
            _ => Ok(()),
        },
    }
}
