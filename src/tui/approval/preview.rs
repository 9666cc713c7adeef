//! What an asked-for call would do, as the modal shows it: the command line for `shell`, the
//! diff an edit or write would make against the file as it is now, the patch, or the arguments.
//! Reading the file is bounded so a path the model chose cannot hang the UI thread.

use crate::sandbox::approval::Request;
use crate::tui::theme::Theme;
use crate::tui::wrap::{sanitize, Logical};
use ratatui::text::{Line, Span};
use std::path::Path;

/// The lines that show what the call would do.
pub fn preview(request: &Request, root: &Path, theme: &Theme) -> Vec<Logical> {
    let args = &request.arguments;
    let field = |k: &str| args.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let text = match request.tool.as_str() {
        "shell" => {
            let mut lines: Vec<Logical> = sanitize(field("command"))
                .lines()
                .enumerate()
                .map(|(i, l)| {
                    let lead = if i == 0 { "$ " } else { "  " };
                    Logical {
                        line: Line::from(vec![
                            Span::styled(lead, theme.dim),
                            Span::styled(l.to_string(), theme.bold),
                        ]),
                        hang: 2,
                    }
                })
                .collect();
            if !field("workdir").is_empty() {
                lines.push(Logical::styled(
                    format!("in {}", field("workdir")),
                    theme.dim,
                ));
            }
            return lines;
        }
        "edit_file" => edit_diff(
            root,
            field("path"),
            field("old_string"),
            field("new_string"),
        ),
        "write_file" => {
            let old = read_small(root, field("path"));
            crate::diff::unified(field("path"), old.as_deref(), Some(field("content")))
        }
        "apply_patch" => field("patch").to_string(),
        _ => serde_json::to_string_pretty(args).unwrap_or_default(),
    };
    sanitize(&text)
        .lines()
        .map(|l| Logical::styled(l.to_string(), theme.diff.line(l)))
        .collect()
}

/// A regular file inside the workspace, at most 1 MiB: the model chose the path, and a FIFO or
/// `/dev/zero` must not hang the UI thread.
fn read_small(root: &Path, path: &str) -> Option<String> {
    let root = root.canonicalize().ok()?;
    let resolved = crate::sandbox::paths::resolve(&root, path).ok()?;
    let meta = std::fs::metadata(&resolved).ok()?;
    (meta.is_file() && meta.len() <= 1 << 20).then(|| std::fs::read_to_string(&resolved).ok())?
}

/// The diff `edit_file` would make, against the file on disk when the old text is found there.
fn edit_diff(root: &Path, path: &str, old: &str, new: &str) -> String {
    if let Some(current) = read_small(root, path) {
        if !old.is_empty() && current.contains(old) {
            let after = current.replacen(old, new, 1);
            return crate::diff::unified(path, Some(&current), Some(&after));
        }
    }
    crate::diff::unified(path, Some(old), Some(new))
}
