//! Which workspaces the user trusts to configure reins for themselves. A repository's
//! `.reins/config.toml`, workflows and slash commands arrive with the code, from whoever wrote it:
//! left unchecked they could point the provider's `base_url` at their own server (and receive the
//! user's API key), turn the sandbox off, run their own checks, or lift the user's budget. Until
//! the user trusts the workspace (`reins trust`), the project config may only tighten (see
//! [`super::untrusted`]) and the workflows' sensitive parts are ignored.
//!
//! Trust is tied to the content the user reviewed: a digest of the config, the workflows and the
//! commands. A change afterwards (the agent's own commands included, when `.reins/` did not exist
//! to be protected) is not something the user reviewed, so the trust does not carry over.

use crate::workspace_file;
use std::path::{Path, PathBuf};

/// The workspace files trust covers, besides `.reins/config.toml`: directory and extension.
pub const COVERED_DIRS: &[(&str, &str)] = &[
    (".reins/workflows", "toml"),
    (".reins/commands", "md"),
    (".reins/agents", "md"),
];

/// Where a repository's skills live (`NAME/SKILL.md` in each): reins's own folder first, then the
/// conventional ones other agents read, so teams that already have skills keep them. Each
/// `SKILL.md` is covered by trust: its body becomes instructions for the model.
pub const PROJECT_SKILL_DIRS: &[&str] = &[".reins/skills", ".agents/skills", ".claude/skills"];

/// The file listing trusted workspaces: one JSON object per line, `{"path": …, "digest": …}`.
/// JSON escapes every control character, so no path can spill into a line of its own; lines in
/// any other shape (the tab-separated format of older versions) are not trusted.
fn trust_file(reins_home: &Path) -> PathBuf {
    reins_home.join("trusted-workspaces")
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Entry {
    path: String,
    digest: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("cannot trust {0:?}: the path contains a control character (newline, tab, ...); rename the directory first")]
    ControlCharacter(String),
    #[error("cannot trust {0}: the path is not valid UTF-8; rename the directory first")]
    NotUtf8(PathBuf),
    #[error("cannot record trust in {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Whether a workspace's own configuration applies in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustState {
    Trusted,
    Untrusted,
    /// Trusted once, but the config, a workflow or a command changed since.
    Changed,
}

/// The workspace files trust covers that exist now, relative to the workspace, sorted.
pub fn covered_files(workspace: &Path) -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from(".reins/config.toml")];
    for (dir, ext) in COVERED_DIRS {
        files.extend(
            workspace_file::names(workspace, Path::new(dir), ext)
                .into_iter()
                .map(|n| Path::new(dir).join(format!("{n}.{ext}"))),
        );
    }
    for dir in PROJECT_SKILL_DIRS {
        files.extend(
            skill_folders(workspace, dir)
                .into_iter()
                .map(|name| Path::new(dir).join(name).join(SKILL_FILE)),
        );
    }
    files
}

/// The file that makes a folder a skill.
pub const SKILL_FILE: &str = "SKILL.md";

/// The folders of workspace directory `dir` that hold a `SKILL.md`, sorted; empty when `dir` is
/// absent. Whether each can be read safely is for [`workspace_file::read`] to say.
pub fn skill_folders(workspace: &Path, dir: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(workspace.join(dir)) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().join(SKILL_FILE).symlink_metadata().is_ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    out.sort();
    out
}

/// Identifies the content of every covered file as it is now (read under the workspace file
/// policy, so a file that is a link out counts as unreadable, not as its target).
pub fn digest(workspace: &Path) -> String {
    let policy = workspace_file::secrets_only(workspace);
    let mut listing = String::new();
    for rel in covered_files(workspace) {
        let id = match workspace_file::read(&policy, &rel) {
            Ok(text) => git2::Oid::hash_object(git2::ObjectType::Blob, text.as_bytes())
                .map_or_else(|_| "unreadable".into(), |o| o.to_string()),
            Err(e) if e.is_not_found() => "none".into(),
            Err(_) => "unreadable".into(),
        };
        listing.push_str(&format!("{}\t{id}\n", rel.display()));
    }
    git2::Oid::hash_object(git2::ObjectType::Blob, listing.as_bytes())
        .map_or_else(|_| "unreadable".into(), |o| o.to_string())
}

fn entries(reins_home: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(trust_file(reins_home)).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Entry>(l).ok())
        .collect()
}

/// The key a workspace is recorded under; `Err` for paths that cannot be recorded safely.
pub fn key(workspace: &Path) -> Result<String, TrustError> {
    let s = workspace
        .to_str()
        .ok_or_else(|| TrustError::NotUtf8(workspace.to_path_buf()))?;
    if s.chars().any(char::is_control) {
        return Err(TrustError::ControlCharacter(s.to_string()));
    }
    Ok(s.to_string())
}

pub fn trust_state(reins_home: &Path, workspace: &Path) -> TrustState {
    let Ok(want) = key(workspace) else {
        return TrustState::Untrusted;
    };
    match entries(reins_home).into_iter().find(|e| e.path == want) {
        None => TrustState::Untrusted,
        Some(e) if e.digest == digest(workspace) => TrustState::Trusted,
        Some(_) => TrustState::Changed,
    }
}

/// The trust of a linked git worktree (`--worktree`) whose main checkout is `main`: its own
/// entry when the user trusted it by its path, else the main checkout's, but only while the
/// covered files here are the very ones the user reviewed there (same digest). A worktree whose
/// branch changed them is untrusted until trusted by itself.
pub fn trust_state_via(reins_home: &Path, workspace: &Path, main: Option<&Path>) -> TrustState {
    let own = trust_state(reins_home, workspace);
    let Some(main) = main.filter(|_| own == TrustState::Untrusted) else {
        return own;
    };
    let Ok(want) = key(main) else {
        return own;
    };
    match entries(reins_home).into_iter().find(|e| e.path == want) {
        Some(e) if e.digest == digest(workspace) => TrustState::Trusted,
        _ => own,
    }
}

pub fn is_trusted(reins_home: &Path, workspace: &Path) -> bool {
    trust_state(reins_home, workspace) == TrustState::Trusted
}

/// Records the workspace as trusted with `digest` (of what the user reviewed), or with `None`
/// removes it.
pub fn set_trusted(
    reins_home: &Path,
    workspace: &Path,
    digest: Option<String>,
) -> Result<(), TrustError> {
    let want = key(workspace)?;
    let path = trust_file(reins_home);
    let mut kept: Vec<Entry> = entries(reins_home)
        .into_iter()
        .filter(|e| e.path != want)
        .collect();
    if let Some(digest) = digest {
        kept.push(Entry { path: want, digest });
    }
    let mut text = String::new();
    for e in &kept {
        let line = serde_json::to_string(e).map_err(|e| TrustError::Io {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        text.push_str(&line);
        text.push('\n');
    }
    crate::fsutil::write_atomic(&path, text.as_bytes())
        .map_err(|source| TrustError::Io { path, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trust(home: &Path, ws: &Path) {
        set_trusted(home, ws, Some(digest(ws))).unwrap();
    }

    #[test]
    fn a_config_workflow_or_command_changed_after_trust_is_not_trusted() {
        let home = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(ws.path().join(".reins/workflows")).unwrap();
        std::fs::write(ws.path().join(".reins/config.toml"), "max_steps = 3\n").unwrap();
        trust(home.path(), ws.path());
        assert_eq!(trust_state(home.path(), ws.path()), TrustState::Trusted);
        std::fs::write(ws.path().join(".reins/config.toml"), "sandbox = \"full\"\n").unwrap();
        assert_eq!(trust_state(home.path(), ws.path()), TrustState::Changed);
        trust(home.path(), ws.path());
        std::fs::write(
            ws.path().join(".reins/workflows/w.toml"),
            "prompt = \"p\"\n",
        )
        .unwrap();
        assert_eq!(trust_state(home.path(), ws.path()), TrustState::Changed);
        trust(home.path(), ws.path());
        std::fs::create_dir_all(ws.path().join(".reins/commands")).unwrap();
        std::fs::write(ws.path().join(".reins/commands/c.md"), "x").unwrap();
        assert_eq!(trust_state(home.path(), ws.path()), TrustState::Changed);
    }

    #[test]
    fn trust_is_recorded_and_revoked() {
        let home = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        assert!(!is_trusted(home.path(), ws.path()));
        trust(home.path(), ws.path());
        assert!(is_trusted(home.path(), ws.path()));
        set_trusted(home.path(), ws.path(), None).unwrap();
        assert!(!is_trusted(home.path(), ws.path()));
    }

    #[test]
    fn control_characters_are_refused_and_old_lines_are_not_trusted() {
        let home = tempfile::tempdir().unwrap();
        let err = set_trusted(home.path(), Path::new("/a\n/b\tx"), Some("d".into())).unwrap_err();
        assert!(err.to_string().contains("control character"), "{err}");
        let ws = tempfile::tempdir().unwrap();
        let legacy = format!("{}\t{}\n", ws.path().display(), digest(ws.path()));
        std::fs::write(home.path().join("trusted-workspaces"), legacy).unwrap();
        assert!(!is_trusted(home.path(), ws.path()));
    }
}
