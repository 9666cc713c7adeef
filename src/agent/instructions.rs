//! Instruction files (AGENTS.md, the cross-tool convention): `$REINS_HOME/AGENTS.md`, then one per
//! directory from the repo root down to the working directory, root first. A directory without
//! AGENTS.md but with CLAUDE.md contributes that instead, so existing projects work unchanged.

use crate::sandbox::SandboxPolicy;
use crate::workspace_file;
use std::path::{Path, PathBuf};

pub const CAP_BYTES: usize = 32 * 1024;

/// The instructions text for the prompt, and warnings about what was refused or cut. The
/// workspace's files come with the repository, so they are read under `policy` like `read_file`
/// reads ([`workspace_file::read`]): one that links out of the workspace, to a secret or to a
/// file a `read(...)` deny rule names, or that is hard-linked, is skipped with a warning.
pub fn load(
    reins_home: Option<&Path>,
    policy: &SandboxPolicy,
    cwd: &Path,
) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut warnings = Vec::new();
    let mut texts: Vec<(PathBuf, String)> = Vec::new();
    if let Some(home) = reins_home {
        let path = home.join("AGENTS.md");
        if let Ok(text) = std::fs::read_to_string(&path) {
            texts.push((path, text));
        }
    }
    let root = &policy.workspace;
    for dir in dirs_from_root(root, cwd) {
        let Some(rel) = pick(root, &dir) else {
            continue;
        };
        match workspace_file::read(policy, &rel) {
            Ok(text) => texts.push((root.join(&rel), text)),
            Err(e) => warnings.push(format!("{e}; skipped")),
        }
    }
    for (f, text) in texts {
        let section = format!("## {}\n{}\n\n", f.display(), text.trim());
        if out.len() + section.len() > CAP_BYTES {
            warnings.push(format!(
                "instructions over {CAP_BYTES} bytes: {} was cut",
                f.display()
            ));
            let room = CAP_BYTES.saturating_sub(out.len());
            let mut end = room.min(section.len());
            while !section.is_char_boundary(end) {
                end -= 1;
            }
            out.push_str(&section[..end]);
            break;
        }
        out.push_str(&section);
    }
    (out, warnings)
}

/// The workspace-relative instruction file of `dir`: its AGENTS.md if there is one (a link
/// counts, to be refused if it leads out), else its CLAUDE.md.
fn pick(root: &Path, dir: &Path) -> Option<PathBuf> {
    let rel = dir.strip_prefix(root).ok()?;
    ["AGENTS.md", "CLAUDE.md"]
        .into_iter()
        .map(|name| rel.join(name))
        .find(|p| root.join(p).symlink_metadata().is_ok())
}

/// `root`, then each directory on the way down to `cwd` (only `root` if `cwd` is outside it).
fn dirs_from_root(root: &Path, cwd: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![root.to_path_buf()];
    if let Ok(rel) = cwd.strip_prefix(root) {
        let mut cur = root.to_path_buf();
        for part in rel.components() {
            cur.push(part);
            dirs.push(cur.clone());
        }
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_first_with_claude_md_fallback() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("AGENTS.md"), "root rules").unwrap();
        std::fs::write(root.join("a/CLAUDE.md"), "claude rules").unwrap();
        std::fs::write(root.join("a/b/AGENTS.md"), "deep rules").unwrap();
        std::fs::write(root.join("a/b/CLAUDE.md"), "ignored").unwrap();
        let policy = workspace_file::secrets_only(root);
        let (text, warnings) = load(None, &policy, &policy.workspace.join("a/b"));
        let order: Vec<usize> = ["root rules", "claude rules", "deep rules"]
            .iter()
            .map(|s| text.find(s).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert!(!text.contains("ignored") && warnings.is_empty());
    }

    #[test]
    fn cap_cuts_with_a_warning() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("AGENTS.md"), "x".repeat(CAP_BYTES + 10)).unwrap();
        let policy = workspace_file::secrets_only(d.path());
        let (text, warnings) = load(None, &policy, d.path());
        assert!(text.len() <= CAP_BYTES);
        assert!(warnings[0].contains("was cut"), "{warnings:?}");
    }
}
