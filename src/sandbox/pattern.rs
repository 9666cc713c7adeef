//! Gitignore-style path globs, shared by the secret deny list and the `read(...)`/`write(...)`
//! permission rules, so that a pattern means the same thing wherever the user writes it:
//!
//! - `NAME` (no `/`): a file or directory called NAME at any depth, and everything beneath it;
//! - `dir/NAME` or `./x`: anchored at the workspace root (matched against relative paths);
//! - `/abs/path`: an absolute path;
//! - `~/x`: under the home directory;
//!
//! `*` and `?` never cross `/`; `**` does.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::SandboxError;

/// One compiled pattern, remembering the text it came from for messages.
#[derive(Debug, Clone)]
pub(crate) struct PathGlob {
    raw: String,
    set: GlobSet,
    anchor: Anchor,
}

/// What a pattern is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// Absolute paths only (`/x`, `~/x`).
    Root,
    /// Workspace-relative paths only (`a/b`, `./x`).
    Workspace,
    /// A name at any depth, in either form (`x`).
    Anywhere,
}

impl PathGlob {
    /// Compiles `raw`; `home` expands a leading `~/`.
    pub(crate) fn new(raw: &str, home: Option<&str>) -> Result<Self, SandboxError> {
        let bad = |reason: String| SandboxError::BadRule {
            rule: raw.to_string(),
            reason,
        };
        let text = raw.trim();
        if text.is_empty() {
            return Err(bad("empty path pattern".into()));
        }
        let (anchored, anchor) = anchor(text, home).map_err(bad)?;
        let mut builder = GlobSetBuilder::new();
        for glob in expansions(&anchored) {
            let compiled = GlobBuilder::new(&glob)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| bad(e.kind().to_string()))?;
            builder.add(compiled);
        }
        let set = builder.build().map_err(|e| bad(e.to_string()))?;
        Ok(PathGlob {
            raw: raw.to_string(),
            set,
            anchor,
        })
    }

    /// The pattern as written.
    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    /// Whether `path` (a `/`-separated relative or absolute path) matches. Absolute patterns only
    /// match absolute paths, anchored relative ones only relative paths.
    pub(crate) fn is_match(&self, path: &str) -> bool {
        let path = path.strip_prefix("./").unwrap_or(path);
        let fits = match self.anchor {
            Anchor::Root => path.starts_with('/'),
            Anchor::Workspace => !path.starts_with('/'),
            Anchor::Anywhere => true,
        };
        fits && self.set.is_match(path)
    }
}

/// Rewrites `text` into a glob over whole paths, and says what it is matched against.
fn anchor(text: &str, home: Option<&str>) -> Result<(String, Anchor), String> {
    let text = text.trim_end_matches('/');
    if let Some(rest) = text.strip_prefix("~/") {
        let home = home.ok_or("`~` is used but the home directory is unknown")?;
        let home = home.trim_end_matches('/');
        return Ok((format!("{}/{rest}", globset::escape(home)), Anchor::Root));
    }
    if text.starts_with('/') {
        return Ok((text.to_string(), Anchor::Root));
    }
    if let Some(rest) = text.strip_prefix("./") {
        return Ok((rest.to_string(), Anchor::Workspace));
    }
    if text.contains('/') {
        Ok((text.to_string(), Anchor::Workspace))
    } else {
        Ok((format!("**/{text}"), Anchor::Anywhere))
    }
}

/// The globs one pattern stands for: the path itself and, as in gitignore, everything beneath
/// it when it names a directory. A trailing `/**` also matches the directory itself, so that
/// listing `~/.ssh` is covered by `~/.ssh/**`.
fn expansions(anchored: &str) -> Vec<String> {
    let mut globs = vec![anchored.to_string()];
    match anchored.strip_suffix("/**") {
        Some(dir) if !dir.is_empty() => globs.push(dir.to_string()),
        _ => globs.push(format!("{anchored}/**")),
    }
    globs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(raw: &str) -> PathGlob {
        PathGlob::new(raw, Some("/home/u")).unwrap()
    }

    #[test]
    fn bare_name_matches_at_any_depth_in_both_forms() {
        let g = glob(".env*");
        assert!(g.is_match(".env"));
        assert!(g.is_match("app/.env.local"));
        assert!(g.is_match("/srv/app/.env"));
        assert!(!g.is_match("src/env.rs"));
        assert!(glob("*.pem").is_match("certs/server.pem"));
        assert!(!glob("*.pem").is_match("certs/server.pem.txt"));
    }

    #[test]
    fn directory_name_covers_its_contents() {
        let g = glob("secrets");
        assert!(g.is_match("secrets"));
        assert!(g.is_match("a/secrets/x/y.txt"));
    }

    #[test]
    fn slash_anchors_to_the_workspace() {
        let g = glob("src/*.rs");
        assert!(g.is_match("src/main.rs"));
        assert!(g.is_match("./src/main.rs"));
        assert!(!g.is_match("src/a/main.rs"));
        assert!(!g.is_match("lib/src/main.rs"));
        assert!(!g.is_match("/src/main.rs"));
        let dotted = glob("./Cargo.toml");
        assert!(dotted.is_match("Cargo.toml"));
        assert!(!dotted.is_match("sub/Cargo.toml"));
    }

    #[test]
    fn home_patterns_match_absolute_paths_under_home() {
        let g = glob("~/.ssh/**");
        assert!(g.is_match("/home/u/.ssh/id_ed25519"));
        assert!(g.is_match("/home/u/.ssh"));
        assert!(!g.is_match("/home/v/.ssh/id_ed25519"));
        assert!(!g.is_match(".ssh/id_ed25519"));
    }

    #[test]
    fn bad_globs_and_unknown_home_are_errors() {
        assert!(PathGlob::new("a[", None).is_err());
        assert!(PathGlob::new("~/.aws/**", None).is_err());
        assert!(PathGlob::new("  ", None).is_err());
    }
}
