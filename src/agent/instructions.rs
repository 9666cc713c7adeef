//! Instruction files (AGENTS.md, the cross-tool convention): `$REINS_HOME/AGENTS.md`, then one per
//! directory from the repo root down to the working directory, root first. A directory without
//! AGENTS.md but with CLAUDE.md contributes that instead, so existing projects work unchanged.

use std::path::{Path, PathBuf};

pub const CAP_BYTES: usize = 32 * 1024;

/// The instructions text for the prompt, and warnings about what the cap cut.
pub fn load(reins_home: Option<&Path>, root: &Path, cwd: &Path) -> (String, Vec<String>) {
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(home) = reins_home {
        files.extend(existing(&home.join("AGENTS.md")));
    }
    for dir in dirs_from_root(root, cwd) {
        files.extend(existing(&dir.join("AGENTS.md")).or_else(|| existing(&dir.join("CLAUDE.md"))));
    }
    let mut out = String::new();
    let mut warnings = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            warnings.push(format!("cannot read {}; skipped", f.display()));
            continue;
        };
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

fn existing(p: &Path) -> Option<PathBuf> {
    p.is_file().then(|| p.to_path_buf())
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
        let (text, warnings) = load(None, root, &root.join("a/b"));
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
        let (text, warnings) = load(None, d.path(), d.path());
        assert!(text.len() <= CAP_BYTES);
        assert!(warnings[0].contains("was cut"), "{warnings:?}");
    }
}
