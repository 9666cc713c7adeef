//! The user's own files about one workspace, under `$REINS_HOME/workspaces/<key>/`: the permission
//! rules the user approved from the TUI (`permissions.toml`) and the TUI's prompt history.
//!
//! They live in the user's home, not in the repository, for two reasons. A rule the user approved
//! must hold: written to the workspace's `.reins/config.toml` it would be ignored until the
//! workspace is trusted (an untrusted layer may only add deny, ask and protected entries), and
//! writing it there would itself change what `reins trust` vouched for. And what one user allowed
//! or typed is theirs, not something to commit for everyone who clones the repository.
//!
//! `permissions.toml` holds `[permissions]` lists like the other layers, but its entries are
//! *added* to the lists of the layers below it (built-in, user, project), and it is read after the
//! project layer, so a project config cannot drop the user's approvals, while the project's deny
//! and ask rules still beat an allow rule here (deny beats ask beats allow).

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The lists `permissions.toml` may add to.
const LISTS: &[&str] = &["allow", "ask", "deny"];

#[derive(Debug, thiserror::Error)]
pub enum UserWorkspaceError {
    #[error("cannot save the rule to {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid rules in {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("`{rule}` is not a valid rule: {why}")]
    BadRule { rule: String, why: String },
}

/// `$REINS_HOME/workspaces/<basename>-<16 hex digits of the SHA-1 of the path>`: stable across
/// runs and still readable when someone lists the directory. `workspace` is the canonical root.
pub fn dir(reins_home: &Path, workspace: &Path) -> PathBuf {
    let hex = git2::Oid::hash_object(git2::ObjectType::Blob, workspace.as_os_str().as_bytes())
        .map(|o| o.to_string())
        .unwrap_or_else(|_| "0".repeat(40));
    let base: String = workspace
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' => c,
            _ => '_',
        })
        .take(40)
        .collect();
    let base = if base.is_empty() { "root".into() } else { base };
    reins_home
        .join("workspaces")
        .join(format!("{base}-{}", &hex[..16]))
}

/// Where the user's approved rules for `workspace` are kept.
pub fn rules_path(reins_home: &Path, workspace: &Path) -> PathBuf {
    dir(reins_home, workspace).join("permissions.toml")
}

/// Adds `rule` to the allow list of the user's rules for `workspace`; returns the file. Saying
/// it twice is harmless.
pub fn add_allow_rule(
    reins_home: &Path,
    workspace: &Path,
    rule: &str,
) -> Result<PathBuf, UserWorkspaceError> {
    crate::sandbox::Rules::parse(&[rule.to_string()], &[], &[]).map_err(|e| {
        UserWorkspaceError::BadRule {
            rule: rule.to_string(),
            why: e.to_string(),
        }
    })?;
    let path = rules_path(reins_home, workspace);
    let mut table = read(&path)?.unwrap_or_default();
    let perms = table
        .entry("permissions")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(perms) = perms else {
        return Err(invalid(&path, "`permissions` must be a table"));
    };
    let allow = perms
        .entry("allow")
        .or_insert_with(|| toml::Value::Array(Vec::new()));
    let toml::Value::Array(allow) = allow else {
        return Err(invalid(&path, "`permissions.allow` must be a list"));
    };
    if !allow.iter().any(|v| v.as_str() == Some(rule)) {
        allow.push(toml::Value::String(rule.to_string()));
    }
    let body = toml::to_string(&table).map_err(|e| invalid(&path, e))?;
    let text = format!(
        "# Permission rules you approved in reins for {}.\n# Added to the other layers' lists; edit or delete freely.\n{body}",
        workspace.display()
    );
    crate::fsutil::write_atomic(&path, text.as_bytes()).map_err(|source| {
        UserWorkspaceError::Write {
            path: path.clone(),
            source,
        }
    })?;
    Ok(path)
}

fn invalid(path: &Path, message: impl ToString) -> UserWorkspaceError {
    UserWorkspaceError::Invalid {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

fn read(path: &Path) -> Result<Option<toml::Table>, UserWorkspaceError> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .map(Some)
            .map_err(|e| invalid(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(UserWorkspaceError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The layer of the user's rules for `workspace`: each list of `below` (the layers under it,
/// merged) followed by the file's new entries, with the file's name. `None` when there is no
/// file or nothing to add.
pub(super) fn layer(
    reins_home: &Path,
    workspace: &Path,
    below: impl FnOnce() -> toml::Table,
) -> Result<Option<(String, toml::Table)>, UserWorkspaceError> {
    let path = rules_path(reins_home, workspace);
    let Some(table) = read(&path)? else {
        return Ok(None);
    };
    let name = path.display().to_string();
    let invalid = |message: String| invalid(&path, message);
    let empty = toml::Table::new();
    let perms = match table.get("permissions") {
        None => &empty,
        Some(toml::Value::Table(t)) => t,
        Some(_) => return Err(invalid("`permissions` must be a table".into())),
    };
    if let Some(key) = table.keys().find(|k| *k != "permissions") {
        return Err(invalid(format!(
            "unknown key `{key}`: this file holds only [permissions] allow, ask and deny"
        )));
    }
    let below = below();
    let below = below.get("permissions").and_then(toml::Value::as_table);
    let mut out = toml::Table::new();
    for (key, value) in perms {
        if !LISTS.contains(&key.as_str()) {
            return Err(invalid(format!(
                "unknown key `permissions.{key}`: expected allow, ask or deny"
            )));
        }
        let entries = value
            .as_array()
            .filter(|a| a.iter().all(toml::Value::is_str))
            .ok_or_else(|| invalid(format!("`permissions.{key}` must be a list of rules")))?;
        let mut list: Vec<toml::Value> = below
            .and_then(|b| b.get(key))
            .and_then(toml::Value::as_array)
            .cloned()
            .unwrap_or_default();
        let before = list.len();
        for e in entries {
            if !list.contains(e) {
                list.push(e.clone());
            }
        }
        if list.len() > before {
            out.insert(key.clone(), toml::Value::Array(list));
        }
    }
    if out.is_empty() {
        return Ok(None);
    }
    let mut table = toml::Table::new();
    table.insert("permissions".into(), toml::Value::Table(out));
    Ok(Some((name, table)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_workspace_gets_its_own_readable_directory() {
        let home = Path::new("/h");
        let a = dir(home, Path::new("/src/my app"));
        let b = dir(home, Path::new("/other/my app"));
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("my_app-"), "{name}");
        assert!(dir(home, Path::new("/")).starts_with("/h/workspaces"));
    }

    #[test]
    fn a_rule_is_added_once_and_a_bad_one_refused() {
        let home = tempfile::tempdir().unwrap();
        let ws = Path::new("/w/proj");
        let path = add_allow_rule(home.path(), ws, "shell(cargo test*)").unwrap();
        add_allow_rule(home.path(), ws, "shell(cargo test*)").unwrap();
        add_allow_rule(home.path(), ws, "shell(npm run*)").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches("cargo test*").count(), 1, "{text}");
        assert!(text.contains("npm run*"), "{text}");
        assert!(text.contains("/w/proj"), "{text}");
        assert!(matches!(
            add_allow_rule(home.path(), ws, "nosuchtool(x)"),
            Err(UserWorkspaceError::BadRule { .. })
        ));
    }

    #[test]
    fn approved_rules_add_to_every_layer_and_survive_an_untrusted_project() {
        let home = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        let ws = ws.path().canonicalize().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            "[permissions]\nallow = [\"shell(ls*)\"]\n",
        )
        .unwrap();
        std::fs::create_dir_all(ws.join(".reins")).unwrap();
        std::fs::write(
            ws.join(".reins/config.toml"),
            "[permissions]\ndeny = [\"shell(cargo test --release*)\"]\n",
        )
        .unwrap();
        add_allow_rule(home.path(), &ws, "shell(cargo test*)").unwrap();
        let loaded = crate::config::load(&crate::config::LoadOptions {
            reins_home: Some(home.path().into()),
            workspace: Some(ws.clone()),
            overrides: vec![],
            workspace_trusted: false,
        })
        .unwrap();
        let p = &loaded.config.permissions;
        assert_eq!(p.allow, ["shell(ls*)", "shell(cargo test*)"]);
        assert_eq!(p.deny, ["shell(cargo test --release*)"]);
        assert_eq!(
            loaded.sources.get("permissions.allow"),
            Some(&rules_path(home.path(), &ws).display().to_string())
        );
    }
}
