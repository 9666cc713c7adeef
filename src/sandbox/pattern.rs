//! Gitignore-style path globs, shared by the secret deny list and the `read(...)`/`write(...)`
//! permission rules, so that a pattern means the same thing wherever the user writes it:
//!
//! - `NAME` (no `/`): a file or directory called NAME at any depth, and everything beneath it;
//! - `dir/NAME` or `./x`: anchored at the workspace root (matched against relative paths);
//! - `/abs/path`: an absolute path;
//! - `~/x`: under the home directory;
//!
//! `*` and `?` never cross `/`; `**` does.

use globset::{Candidate, Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use super::SandboxError;

/// A `~/` pattern where the home directory is unknown (no `$HOME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("`~` is used but the home directory is unknown")]
struct UnknownHome;

/// One compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct PathGlob {
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
        let (globs, anchor) = compile(raw, home, false)?;
        let mut builder = GlobSetBuilder::new();
        for glob in globs {
            builder.add(glob);
        }
        let set = builder.build().map_err(|e| bad_rule(raw, e.to_string()))?;
        Ok(PathGlob { set, anchor })
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

/// The globs `raw` stands for, and what they are matched against.
fn compile(
    raw: &str,
    home: Option<&str>,
    fold_case: bool,
) -> Result<(Vec<Glob>, Anchor), SandboxError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(bad_rule(raw, "empty path pattern".into()));
    }
    let (anchored, anchor) = anchor(text, home).map_err(|r| bad_rule(raw, r.to_string()))?;
    let globs = expansions(&anchored)
        .iter()
        .map(|glob| {
            GlobBuilder::new(glob)
                .literal_separator(true)
                .backslash_escape(true)
                .case_insensitive(fold_case)
                .build()
                .map_err(|e| bad_rule(raw, e.kind().to_string()))
        })
        .collect::<Result<_, _>>()?;
    Ok((globs, anchor))
}

fn bad_rule(raw: &str, reason: String) -> SandboxError {
    SandboxError::BadRule {
        rule: raw.to_string(),
        reason,
    }
}

/// Several patterns compiled together, for the checks a walk runs on every path it visits:
/// each path is tested once per form against one set per anchor, not once per pattern (with a
/// glob compiled for each test, as this used to be, a grep of a 17k-file tree spent 50x
/// ripgrep's time on it).
#[derive(Debug, Clone)]
pub(crate) struct PathGlobSet {
    raws: Vec<String>,
    /// Globs matched against absolute paths (`/x`, `~/x`, bare names), and the pattern (index
    /// into `raws`) each came from.
    absolute: (GlobSet, Vec<usize>),
    /// Globs matched against workspace-relative paths (`a/b`, `./x`, bare names).
    relative: (GlobSet, Vec<usize>),
}

impl PathGlobSet {
    /// Compiles `raws`; the first pattern that does not compile is the error.
    pub(crate) fn new<S: AsRef<str>>(raws: &[S], home: Option<&str>) -> Result<Self, SandboxError> {
        Self::build(raws, home, false)
    }

    /// Compiles `raws` to match whatever the letter case: for names that mean the same file to
    /// a program reading them on a case-insensitive file system, or to a person (`.ENV`,
    /// `server.PEM`), where a miss leaks a secret.
    pub(crate) fn ignoring_case<S: AsRef<str>>(
        raws: &[S],
        home: Option<&str>,
    ) -> Result<Self, SandboxError> {
        Self::build(raws, home, true)
    }

    fn build<S: AsRef<str>>(
        raws: &[S],
        home: Option<&str>,
        fold_case: bool,
    ) -> Result<Self, SandboxError> {
        let (mut abs, mut rel) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        let (mut abs_owner, mut rel_owner) = (Vec::new(), Vec::new());
        for (i, raw) in raws.iter().enumerate() {
            let (globs, anchor) = compile(raw.as_ref(), home, fold_case)?;
            for glob in globs {
                if anchor != Anchor::Workspace {
                    abs.add(glob.clone());
                    abs_owner.push(i);
                }
                if anchor != Anchor::Root {
                    rel.add(glob);
                    rel_owner.push(i);
                }
            }
        }
        let built = |b: GlobSetBuilder| {
            b.build()
                .map_err(|e| bad_rule(&raws_text(raws), e.to_string()))
        };
        Ok(PathGlobSet {
            raws: raws.iter().map(|r| r.as_ref().to_string()).collect(),
            absolute: (built(abs)?, abs_owner),
            relative: (built(rel)?, rel_owner),
        })
    }

    /// The first pattern (in the order given) that the absolute form of a path, or its
    /// workspace-relative form, matches.
    pub(crate) fn first_match(
        &self,
        absolute: &Candidate<'_>,
        relative: Option<&Candidate<'_>>,
    ) -> Option<&str> {
        let hit = |(set, owner): &(GlobSet, Vec<usize>), c: &Candidate<'_>| {
            if !set.is_match_candidate(c) {
                return None;
            }
            set.matches_candidate(c).into_iter().map(|g| owner[g]).min()
        };
        let a = hit(&self.absolute, absolute);
        let r = relative.and_then(|c| hit(&self.relative, c));
        let first = match (a, r) {
            (Some(a), Some(r)) => a.min(r),
            (a, r) => a.or(r)?,
        };
        Some(&self.raws[first])
    }
}

fn raws_text<S: AsRef<str>>(raws: &[S]) -> String {
    raws.iter()
        .map(|r| r.as_ref())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rewrites `text` into a glob over whole paths, and says what it is matched against.
/// `Err` only when the pattern starts with `~/` and the home directory is unknown.
fn anchor(text: &str, home: Option<&str>) -> Result<(String, Anchor), UnknownHome> {
    let text = text.trim_end_matches('/');
    if let Some(rest) = text.strip_prefix("~/") {
        let home = home.ok_or(UnknownHome)?;
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

    fn first<'a>(set: &'a PathGlobSet, abs: &str, rel: Option<&str>) -> Option<&'a str> {
        let rel = rel.map(Candidate::new);
        set.first_match(&Candidate::new(abs), rel.as_ref())
    }

    #[test]
    fn a_set_names_the_first_pattern_in_order_with_each_anchor_kept() {
        let set = PathGlobSet::new(&["src/*.rs", "*.rs", "~/.ssh/**"], Some("/home/u")).unwrap();
        let ws = Some("src/main.rs");
        assert_eq!(first(&set, "/w/src/main.rs", ws), Some("src/*.rs"));
        assert_eq!(first(&set, "/w/lib/a.rs", Some("lib/a.rs")), Some("*.rs"));
        // Anchored relative patterns never match the absolute form, home ones never the relative.
        assert_eq!(first(&set, "/src/x.txt", None), None);
        assert_eq!(first(&set, "/home/u/.ssh/id", None), Some("~/.ssh/**"));
        assert_eq!(first(&set, "/w/.ssh/id", Some(".ssh/id")), None);
        assert_eq!(first(&set, "/w/README", Some("README")), None);
    }

    #[test]
    fn a_set_reports_the_pattern_that_does_not_compile() {
        let err = PathGlobSet::new(&["*.rs", "a["], None).unwrap_err();
        assert!(
            matches!(err, SandboxError::BadRule { ref rule, .. } if rule == "a["),
            "{err}"
        );
    }
}
