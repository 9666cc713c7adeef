//! The read side of the policy for file tools: files that look like credentials are not read
//! into the conversation (and so sent to a model provider) unless the user allowed them by name.
//! Child processes are not covered: Landlock cannot express "everything except", see the module
//! docs of [`super`].

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use globset::Candidate;

use super::pattern::PathGlobSet;
use super::SandboxError;

/// Gitignore-style patterns of files refused to `read_file` & co. by default, matched whatever
/// the letter case (`.ENV`, `server.PEM`).
pub const SECRET_PATTERNS: &[&str] = &[
    ".env*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".pgpass",
    "~/.ssh/**",
    "~/.aws/**",
    "~/.gnupg/**",
    "~/.kube/**",
    "~/.docker/config.json",
    "~/.config/gcloud/**",
];

/// The `read(PATTERN)` allow and deny rules of a policy, compiled together with
/// [`SECRET_PATTERNS`] on first use and then shared by every clone of the policy, so a walk
/// over a large tree checks each path against ready matchers.
#[derive(Default)]
pub(crate) struct ReadRules {
    allow: Vec<String>,
    deny: Vec<String>,
    compiled: OnceLock<Arc<ReadFilter>>,
}

impl ReadRules {
    pub(crate) fn new(allow: Vec<String>, deny: Vec<String>) -> Self {
        ReadRules {
            allow,
            deny,
            compiled: OnceLock::new(),
        }
    }

    /// Refuses `path` (canonical) if a deny rule names it, or if it matches
    /// [`SECRET_PATTERNS`] and no allow rule names it.
    pub(crate) fn check(&self, path: &Path, workspace: &Path) -> Result<(), SandboxError> {
        self.filter().check(path, workspace)
    }

    /// Compiles the rules now, if no one did yet, so that the first check finds them ready.
    pub(crate) fn compile(&self) {
        self.filter();
    }

    /// Whether the rules are compiled already.
    #[cfg(test)]
    pub(crate) fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
    }

    /// The compiled rules (a thread that asks while another compiles waits for that one).
    fn filter(&self) -> &ReadFilter {
        self.compiled
            .get_or_init(|| compiled(&self.allow, &self.deny))
    }
}

/// The filter for these rules and the current `$HOME`, compiled once per process: a session
/// builds a policy for each thing that reads files (the prompt's instruction files, memory,
/// skills, agents, the tools, hooks, checks), and compiling the secret patterns is the
/// expensive part of a policy (a few hundred microseconds of regex building each time).
fn compiled(allow: &[String], deny: &[String]) -> Arc<ReadFilter> {
    type Key = (Vec<String>, Vec<String>, Option<String>);
    static CACHE: Mutex<Vec<(Key, Arc<ReadFilter>)>> = Mutex::new(Vec::new());
    let key: Key = (allow.to_vec(), deny.to_vec(), std::env::var("HOME").ok());
    let Ok(mut cache) = CACHE.lock() else {
        return Arc::new(ReadFilter::compile(&key.0, &key.1, key.2));
    };
    if let Some((_, filter)) = cache.iter().find(|(k, _)| *k == key) {
        return filter.clone();
    }
    let filter = Arc::new(ReadFilter::compile(&key.0, &key.1, key.2.clone()));
    // A process sees a handful of rule sets (one per config); bound it anyway.
    if cache.len() >= 16 {
        cache.remove(0);
    }
    cache.push((key, filter.clone()));
    filter
}

impl std::fmt::Debug for ReadRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadRules")
            .field("allow", &self.allow)
            .field("deny", &self.deny)
            .finish()
    }
}

/// A rule list that did not compile, kept to refuse with it (fail closed) rather than ignored.
#[derive(Debug, Clone)]
struct BadRule {
    rule: String,
    reason: String,
}

impl BadRule {
    fn of(e: SandboxError) -> Self {
        match e {
            SandboxError::BadRule { rule, reason } => BadRule { rule, reason },
            other => BadRule {
                rule: String::new(),
                reason: other.to_string(),
            },
        }
    }

    fn error(&self) -> SandboxError {
        SandboxError::BadRule {
            rule: self.rule.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// The compiled form of [`ReadRules`], with `$HOME` as it was when compiled.
struct ReadFilter {
    home: Option<String>,
    deny: Result<PathGlobSet, BadRule>,
    secrets: Result<PathGlobSet, BadRule>,
    allow: Result<PathGlobSet, BadRule>,
}

impl ReadFilter {
    fn compile(allow: &[String], deny: &[String], home: Option<String>) -> Self {
        let h = home.as_deref();
        // `~` patterns are skipped when `$HOME` is unknown: they cannot name anything then.
        let secrets: Vec<&str> = SECRET_PATTERNS
            .iter()
            .copied()
            .filter(|p| h.is_some() || !p.starts_with('~'))
            .collect();
        ReadFilter {
            deny: PathGlobSet::new(deny, h).map_err(BadRule::of),
            secrets: PathGlobSet::ignoring_case(&secrets, h).map_err(BadRule::of),
            allow: PathGlobSet::new(allow, h).map_err(BadRule::of),
            home,
        }
    }

    fn check(&self, path: &Path, workspace: &Path) -> Result<(), SandboxError> {
        let home = self.home.as_deref();
        let absolute = Candidate::new(path);
        let rel = super::paths::strip_root(path, workspace).filter(|r| !r.as_os_str().is_empty());
        let relative = rel.map(Candidate::new);
        // The user's own deny rules hold for every file a tool touches, also those a walk finds.
        let deny = self.deny.as_ref().map_err(BadRule::error)?;
        if let Some(rule) = deny.first_match(&absolute, relative.as_ref()) {
            return Err(SandboxError::ReadDeniedByRule {
                path: display_form(path, workspace, home),
                rule: format!("read({rule})"),
            });
        }
        let secrets = self.secrets.as_ref().map_err(BadRule::error)?;
        let Some(pattern) = secrets.first_match(&absolute, relative.as_ref()) else {
            return Ok(());
        };
        let allow = self.allow.as_ref().map_err(BadRule::error)?;
        if allow.first_match(&absolute, relative.as_ref()).is_some() {
            return Ok(());
        }
        Err(SandboxError::ReadDenied {
            path: display_form(path, workspace, home),
            pattern: pattern.to_string(),
            suggestion: display_form(path, workspace, home),
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const WS: &str = "/work/proj";

    fn check(path: &str, allow: &[&str]) -> Result<(), SandboxError> {
        let allow: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
        ReadRules::new(allow, Vec::new()).check(Path::new(path), Path::new(WS))
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
    fn secrets_are_refused_whatever_their_letter_case_and_key_type() {
        for path in [
            "/work/proj/.ENV",
            "/work/proj/.Env.local",
            "/work/proj/certs/server.PEM",
            "/work/proj/certs/tls.Key",
            "/work/proj/keys/id_ed25519",
            "/work/proj/keys/id_ecdsa.pub",
            "/work/proj/store.p12",
            "/work/proj/.netrc",
        ] {
            assert!(check(path, &[]).is_err(), "{path}");
        }
        assert!(check("/work/proj/.ENV", &["./.ENV"]).is_ok());
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

    #[test]
    fn deny_rules_refuse_any_file_and_name_the_first_rule_that_matches() {
        let deny = vec!["vendor/**".to_string(), "*.lock".to_string()];
        let rules = ReadRules::new(Vec::new(), deny);
        let err = rules
            .check(Path::new("/work/proj/vendor/x.lock"), Path::new(WS))
            .unwrap_err();
        assert!(err.to_string().contains("read(vendor/**)"), "{err}");
        let err = rules
            .check(Path::new("/work/proj/Cargo.lock"), Path::new(WS))
            .unwrap_err();
        assert!(
            matches!(err, SandboxError::ReadDeniedByRule { .. }),
            "{err}"
        );
        assert!(rules
            .check(Path::new("/work/proj/src/vendor.rs"), Path::new(WS))
            .is_ok());
    }

    #[test]
    fn a_bad_deny_rule_refuses_every_read() {
        let rules = ReadRules::new(Vec::new(), vec!["[oops".to_string()]);
        let err = rules
            .check(Path::new("/work/proj/src/main.rs"), Path::new(WS))
            .unwrap_err();
        assert!(matches!(err, SandboxError::BadRule { .. }), "{err}");
    }
}
