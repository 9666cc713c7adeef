//! `@path` in a prompt attaches the file: its content goes to the model with the prompt, so the
//! model need not spend a step reading what the user already pointed at. The file is read like
//! `read_file` reads (inside the workspace, no secrets, no link out; see
//! [`crate::workspace_file`]) and capped at [`CAP_BYTES`]; a larger one is cut with a mark the
//! model sees, and the model can read the rest itself. A word after `@` that names no file
//! (`@alice`) is left as it is.

use crate::sandbox::SandboxPolicy;
use crate::workspace_file::{self, WorkspaceFileError};
use std::path::Path;

/// The most of one file attached.
pub const CAP_BYTES: usize = 64 * 1024;
/// The most files one prompt attaches.
const MAX_FILES: usize = 10;

const TEMPLATE: &str = include_str!("../../prompts/attached_file.md");

/// What `@` attached, for the note under the prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub path: String,
    /// Bytes sent (after the cap).
    pub bytes: usize,
    pub truncated: bool,
}

/// The prompt with the files it names appended, what was attached, and why some were not.
pub fn attach(policy: &SandboxPolicy, prompt: &str) -> (String, Vec<Attached>, Vec<String>) {
    let mut out = prompt.to_string();
    let mut attached: Vec<Attached> = Vec::new();
    let mut skipped = Vec::new();
    for path in mentions(prompt) {
        if attached.iter().any(|a| a.path == path) {
            continue;
        }
        if !names_a_file(&policy.workspace, &path) {
            continue;
        }
        if attached.len() == MAX_FILES {
            skipped.push(format!(
                "@{path} not attached: at most {MAX_FILES} files per prompt"
            ));
            continue;
        }
        match workspace_file::read(policy, Path::new(&path)) {
            Ok(text) => {
                let (content, truncated) = cap(&text);
                out.push_str("\n\n");
                out.push_str(
                    TEMPLATE
                        .trim_end()
                        .replace("{{path}}", &path)
                        .replace(
                            "{{truncated}}",
                            &if truncated {
                                format!(
                                    " truncated=\"first {} of {} bytes; read_file reads the rest\"",
                                    content.len(),
                                    text.len()
                                )
                            } else {
                                String::new()
                            },
                        )
                        .replace("{{content}}", content.trim_end_matches('\n'))
                        .as_str(),
                );
                attached.push(Attached {
                    path,
                    bytes: content.len(),
                    truncated,
                });
            }
            Err(WorkspaceFileError::TooBig(_)) => skipped.push(format!(
                "@{path} not attached: it is larger than {} KB; the model can read parts of it with read_file",
                workspace_file::MAX_BYTES / 1024
            )),
            Err(e) => skipped.push(format!("@{path} not attached: {e}")),
        }
    }
    (out, attached, skipped)
}

/// The words after `@`, trailing punctuation dropped (`see @src/a.rs, then` names `src/a.rs`).
fn mentions(prompt: &str) -> Vec<String> {
    prompt
        .split_whitespace()
        .filter_map(|w| w.strip_prefix('@'))
        .map(|p| {
            p.trim_end_matches(|c: char| ",.;:!?)]}'\"`".contains(c))
                .to_string()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// Whether `rel` names something that is a file (following links: where it leads is checked
/// when it is read). Absolute paths and `..` are left to the read, which refuses them.
fn names_a_file(root: &Path, rel: &str) -> bool {
    std::fs::metadata(root.join(rel)).is_ok_and(|m| m.is_file())
}

/// At most [`CAP_BYTES`], cut at a line end when one is near, else at a character boundary.
fn cap(text: &str) -> (&str, bool) {
    if text.len() <= CAP_BYTES {
        return (text, false);
    }
    let mut end = CAP_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = text[..end]
        .rfind('\n')
        .filter(|&i| i > end / 2)
        .map_or(end, |i| i + 1);
    (&text[..cut], true)
}

/// `1.2 KB`, `640 B`.
pub fn size(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_files_are_appended_and_other_mentions_left_alone() {
        let ws = tempfile::tempdir().unwrap();
        let root = ws.path().canonicalize().unwrap();
        std::fs::write(root.join("calc.py"), "def add(a, b):\n    return a - b\n").unwrap();
        std::fs::write(root.join(".env"), "TOKEN=SECRET_VALUE\n").unwrap();
        let policy = workspace_file::secrets_only(&root);
        let (prompt, attached, skipped) = attach(
            &policy,
            "fix @calc.py, ask @alice; not @.env and @calc.py again",
        );
        assert!(prompt.starts_with("fix @calc.py, ask @alice"), "{prompt}");
        assert!(
            prompt.contains("<attached_file path=\"calc.py\">\ndef add(a, b):\n    return a - b\n</attached_file>"),
            "{prompt}"
        );
        assert_eq!(attached.len(), 1);
        assert!(!prompt.contains("SECRET_VALUE"), "{prompt}");
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert!(skipped[0].starts_with("@.env not attached"), "{skipped:?}");
    }

    #[test]
    fn a_large_file_is_capped_with_a_mark() {
        let ws = tempfile::tempdir().unwrap();
        let root = ws.path().canonicalize().unwrap();
        let line = "x".repeat(99) + "\n";
        std::fs::write(root.join("big.log"), line.repeat(2000)).unwrap();
        let policy = workspace_file::secrets_only(&root);
        let (prompt, attached, _) = attach(&policy, "see @big.log");
        assert!(attached[0].truncated);
        assert!(attached[0].bytes <= CAP_BYTES);
        assert!(prompt.contains("truncated=\"first "), "{}", &prompt[..200]);
        assert!(prompt.len() < CAP_BYTES + 1000);
    }
}
