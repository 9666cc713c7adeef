//! The read side of the policy for file tools: files that look like credentials are not read
//! into the conversation (and so sent to a model provider) unless the user allowed them by name.
//! Child processes are not covered: Landlock cannot express "everything except", see the module
//! docs of [`super`].

use std::path::Path;

use super::pattern::PathGlob;
use super::SandboxError;

/// Gitignore-style patterns of files refused to `read_file` & co. by default.
pub const SECRET_PATTERNS: &[&str] = &[
    ".env*",
    "*.pem",
    "*.key",
    "id_rsa*",
    "~/.ssh/**",
    "~/.aws/**",
];

/// Refuses `path` (canonical) if it matches [`SECRET_PATTERNS`] and no `allow_read` pattern.
pub(crate) fn check_read(
    path: &Path,
    workspace: &Path,
    allow_read: &[String],
    deny_read: &[String],
) -> Result<(), SandboxError> {
    let home = std::env::var("HOME").ok();
    let forms = path_forms(path, workspace);
    // The user's own deny rules hold for every file a tool touches, also those a walk finds.
    for denied in deny_read {
        if PathGlob::new(denied, home.as_deref())?.is_match_any(&forms) {
            return Err(SandboxError::ReadDeniedByRule {
                path: display_form(path, workspace, home.as_deref()),
                rule: format!("read({denied})"),
            });
        }
    }
    let Some(pattern) = first_secret_match(&forms, home.as_deref()) else {
        return Ok(());
    };
    for allowed in allow_read {
        if PathGlob::new(allowed, home.as_deref())?.is_match_any(&forms) {
            return Ok(());
        }
    }
    Err(SandboxError::ReadDenied {
        path: display_form(path, workspace, home.as_deref()),
        pattern,
        suggestion: display_form(path, workspace, home.as_deref()),
    })
}

/// The deny pattern `forms` match, if any. `~` patterns are skipped when `$HOME` is unknown.
fn first_secret_match(forms: &[String], home: Option<&str>) -> Option<String> {
    SECRET_PATTERNS
        .iter()
        .filter_map(|raw| PathGlob::new(raw, home).ok())
        .find(|glob| glob.is_match_any(forms))
        .map(|glob| glob.raw().to_string())
}

/// The absolute form of `path` and, inside the workspace, its relative form.
fn path_forms(path: &Path, workspace: &Path) -> Vec<String> {
    let mut forms = vec![path.to_string_lossy().into_owned()];
    if let Ok(rel) = path.strip_prefix(workspace) {
        if !rel.as_os_str().is_empty() {
            forms.push(rel.to_string_lossy().into_owned());
        }
    }
    forms
}

/// How to name `path` to the user: workspace-relative, `~/`-relative, or absolute; this is also
/// the pattern suggested for an allow rule, which then matches exactly this file.
fn display_form(path: &Path, workspace: &Path, home: Option<&str>) -> String {
    if let Ok(rel) = path.strip_prefix(workspace) {
        return format!("./{}", rel.to_string_lossy());
    }
    if let Some(rel) = home.and_then(|h| path.strip_prefix(h).ok()) {
        return format!("~/{}", rel.to_string_lossy());
    }
    path.to_string_lossy().into_owned()
}

impl PathGlob {
    /// Whether any of `forms` matches.
    pub(crate) fn is_match_any(&self, forms: &[String]) -> bool {
        forms.iter().any(|f| self.is_match(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: &str = "/work/proj";

    fn check(path: &str, allow: &[&str]) -> Result<(), SandboxError> {
        let allow: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
        check_read(Path::new(path), Path::new(WS), &allow, &[])
    }

    #[test]
    fn secrets_in_the_workspace_are_refused_with_a_way_out() {
        let err = check("/work/proj/.env", &[]).unwrap_err().to_string();
        assert!(err.contains("not permitted"), "{err}");
        assert!(err.contains("read(./.env)"), "{err}");
        assert!(err.contains("[permissions].allow"), "{err}");
        assert!(check("/work/proj/certs/tls.key", &[]).is_err());
        assert!(check("/work/proj/deploy/id_rsa.pub", &[]).is_err());
    }

    #[test]
    fn ordinary_files_are_readable() {
        assert!(check("/work/proj/src/main.rs", &[]).is_ok());
        assert!(check("/work/proj/environment.md", &[]).is_ok());
    }

    #[test]
    fn an_allow_pattern_lifts_the_refusal() {
        assert!(check("/work/proj/.env.example", &[".env.example"]).is_ok());
        assert!(check("/work/proj/.env", &[".env.example"]).is_err());
        assert!(check("/work/proj/.env", &["./.env"]).is_ok());
    }

    #[test]
    fn home_credentials_are_refused() {
        let Ok(home) = std::env::var("HOME") else {
            return;
        };
        let path = format!("{home}/.aws/credentials");
        let err = check(&path, &[]).unwrap_err().to_string();
        assert!(err.contains("read(~/.aws/credentials)"), "{err}");
        assert!(check(&path, &["~/.aws/credentials"]).is_ok());
    }

    #[test]
    fn a_bad_allow_pattern_is_reported() {
        assert!(matches!(
            check("/work/proj/.env", &["[oops"]),
            Err(SandboxError::BadRule { .. })
        ));
    }
}
