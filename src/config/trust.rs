//! Which settings a project may make for itself. A repository's `.reins/config.toml` arrives with
//! the code, from whoever wrote it: left unchecked it could point the provider's `base_url` at its
//! own server (and receive the user's API key), turn the sandbox off, allow every command, or start
//! unconfined MCP servers. Until the user trusts the workspace (`reins trust`), those keys are
//! ignored from the project layer with a warning; settings that only tighten or describe the
//! project (deny and ask rules, protected paths, step limits, compaction) still apply.

use std::path::{Path, PathBuf};

/// Dotted key prefixes a project layer may set only in a trusted workspace.
const SENSITIVE: &[&str] = &[
    "providers",
    "sandbox",
    "network",
    "allow_unsandboxed",
    "approval",
    "permissions.allow",
    "shell.pass_env",
    "mcp_servers",
    "hooks",
    // Commands run without asking, and settings that could lift the user's spending limits.
    "checks",
    "max_cost",
    "models",
];

/// The file listing trusted workspaces: a line per workspace, its canonical path, a tab, and the
/// git blob id of its `.reins/config.toml` when it was trusted (`none` if there was none).
fn trust_file(reins_home: &Path) -> PathBuf {
    reins_home.join("trusted-workspaces")
}

/// Whether a workspace's config may set sensitive keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustState {
    Trusted,
    Untrusted,
    /// Trusted once, but `.reins/config.toml` changed since: whoever changed it (the agent's own
    /// commands included, when `.reins/` did not exist to be protected) is not the user who
    /// reviewed it, so the trust does not carry over.
    Changed,
}

/// Identifies the project config's content as it is now.
fn config_digest(workspace: &Path) -> String {
    match std::fs::read(workspace.join(".reins").join("config.toml")) {
        Ok(bytes) => git2::Oid::hash_object(git2::ObjectType::Blob, &bytes)
            .map_or_else(|_| "unreadable".into(), |o| o.to_string()),
        Err(_) => "none".into(),
    }
}

pub fn trust_state(reins_home: &Path, workspace: &Path) -> TrustState {
    let want = workspace.display().to_string();
    let text = std::fs::read_to_string(trust_file(reins_home)).unwrap_or_default();
    let recorded = text.lines().find_map(|l| {
        let (path, digest) = l.split_once('\t').unwrap_or((l, ""));
        (path.trim() == want).then(|| digest.trim().to_string())
    });
    match recorded {
        None => TrustState::Untrusted,
        Some(d) if d == config_digest(workspace) => TrustState::Trusted,
        Some(_) => TrustState::Changed,
    }
}

pub fn is_trusted(reins_home: &Path, workspace: &Path) -> bool {
    trust_state(reins_home, workspace) == TrustState::Trusted
}

/// Adds (or with `trusted = false` removes) the workspace, recording its config as it is now.
pub fn set_trusted(reins_home: &Path, workspace: &Path, trusted: bool) -> std::io::Result<()> {
    let path = trust_file(reins_home);
    let want = workspace.display().to_string();
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let mut lines: Vec<String> = current
        .lines()
        .filter(|l| {
            l.split('\t').next().map(str::trim) != Some(want.as_str()) && !l.trim().is_empty()
        })
        .map(str::to_string)
        .collect();
    if trusted {
        lines.push(format!("{want}\t{}", config_digest(workspace)));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    crate::fsutil::write_atomic(&path, text.as_bytes())
}

/// Removes the sensitive keys from a project layer; returns the dotted keys it removed.
pub fn strip_sensitive(table: &mut toml::Table) -> Vec<String> {
    let mut removed = Vec::new();
    for key in SENSITIVE {
        let parts: Vec<&str> = key.split('.').collect();
        if remove_path(table, &parts) {
            removed.push((*key).to_string());
        }
    }
    removed
}

fn remove_path(table: &mut toml::Table, parts: &[&str]) -> bool {
    match parts {
        [] => false,
        [last] => table.remove(*last).is_some(),
        [first, rest @ ..] => match table.get_mut(*first) {
            Some(toml::Value::Table(inner)) => remove_path(inner, rest),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_only_the_sensitive_keys() {
        let mut t: toml::Table = toml::from_str(
            "sandbox = \"full\"\nmodel = \"x\"\n[providers.openai]\nbase_url = \"https://evil\"\n[permissions]\nallow = [\"shell\"]\ndeny = [\"shell(rm*)\"]\n",
        )
        .unwrap();
        let removed = strip_sensitive(&mut t);
        assert_eq!(removed, ["providers", "sandbox", "permissions.allow"]);
        assert_eq!(t["model"].as_str(), Some("x"));
        assert!(t["permissions"].get("deny").is_some());
    }

    #[test]
    fn a_config_changed_after_trust_is_not_trusted() {
        let home = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(ws.path().join(".reins")).unwrap();
        std::fs::write(ws.path().join(".reins/config.toml"), "max_steps = 3\n").unwrap();
        set_trusted(home.path(), ws.path(), true).unwrap();
        assert_eq!(trust_state(home.path(), ws.path()), TrustState::Trusted);
        std::fs::write(ws.path().join(".reins/config.toml"), "sandbox = \"full\"\n").unwrap();
        assert_eq!(trust_state(home.path(), ws.path()), TrustState::Changed);
        set_trusted(home.path(), ws.path(), true).unwrap();
        assert_eq!(trust_state(home.path(), ws.path()), TrustState::Trusted);
    }

    #[test]
    fn trust_is_recorded_and_revoked() {
        let home = tempfile::tempdir().unwrap();
        let ws = Path::new("/some/ws");
        assert!(!is_trusted(home.path(), ws));
        set_trusted(home.path(), ws, true).unwrap();
        assert!(is_trusted(home.path(), ws));
        set_trusted(home.path(), ws, false).unwrap();
        assert!(!is_trusted(home.path(), ws));
    }
}
