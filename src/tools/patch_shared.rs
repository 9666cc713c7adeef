//! What both ways of applying a patch (to disk, and through an editor) share: the checks every
//! path the patch names passes, and what the model and reins are told about the result.

use super::{ToolContext, ToolOutput};
use crate::patch::{ChangeKind, FileChange};

/// A path as the patch names it, checked (inside the workspace, writable, readable when it
/// exists), relative to the workspace root.
pub(super) fn resolve(
    ctx: &ToolContext,
    p: &str,
) -> Result<std::path::PathBuf, crate::patch::Refusal> {
    let path = ctx.resolve(p)?;
    ctx.check_write(&path)?;
    // Updates, deletes and moves report the old content in their diff.
    let exists = ctx.mtime(&path).is_some();
    if exists {
        ctx.check_read(&path)?;
    }
    Ok(ctx.beneath(&path)?.to_path_buf())
}

/// What the model and reins are told about applied changes.
pub(super) fn outcome(ctx: &ToolContext, changes: &[FileChange]) -> ToolOutput {
    for c in changes {
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
    ToolOutput {
        text: render(changes),
        exit: None,
        changed,
        plan: None,
        images: Vec::new(),
    }
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
