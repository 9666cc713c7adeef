//! Where a `workspace-write` policy lets writes land: the writable roots (workspace, temp dirs,
//! configured extras) minus the protected paths inside them. Both the in-process check for file
//! tools and the kernel confinement of children are derived from this one computation, so they
//! cannot disagree.

use std::path::{Path, PathBuf};

use super::paths::canonicalize_existing_prefix;
use super::{SandboxMode, SandboxPolicy};

/// Temp directories every confined child may write, besides `std::env::temp_dir()`.
const TEMP_DIRS: &[&str] = &["/tmp", "/var/tmp", "/dev/shm"];

/// The writable trees and the read-only exceptions inside them, all canonical.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteLayout {
    /// Directories writable with everything beneath them (no root contains another).
    pub(crate) roots: Vec<PathBuf>,
    /// Paths that stay read-only although a root contains them.
    pub(crate) protected: Vec<PathBuf>,
    /// Every writable directory before nesting was folded (the workspace may lie inside /tmp):
    /// a protected path is pinned relative to the deepest of these that holds it.
    pub(crate) bases: Vec<PathBuf>,
}

impl WriteLayout {
    /// The layout of `policy`; empty (nothing writable) for `read-only`.
    pub(crate) fn of(policy: &SandboxPolicy) -> Self {
        let protected: Vec<PathBuf> = policy.protected.iter().map(|p| lenient(p)).collect();
        if policy.mode != SandboxMode::WorkspaceWrite {
            return WriteLayout {
                roots: Vec::new(),
                protected,
                bases: Vec::new(),
            };
        }
        let mut candidates = vec![policy.workspace.clone()];
        candidates.extend(temp_dirs());
        candidates.extend(
            policy
                .extra_writable
                .iter()
                .filter_map(|p| p.canonicalize().ok()),
        );
        let roots = outermost(candidates.clone())
            .into_iter()
            .filter(|root| !protected.iter().any(|p| root.starts_with(p)))
            .collect();
        WriteLayout {
            roots,
            protected,
            bases: candidates,
        }
    }

    /// `Err(reason)` when `path` (canonical) must not be written.
    pub(crate) fn check(&self, path: &Path) -> Result<(), String> {
        if !self.roots.iter().any(|root| path.starts_with(root)) {
            return Err("writes are limited to the workspace and the temp directories".into());
        }
        match self.protected.iter().find(|p| path.starts_with(p)) {
            Some(p) => Err(format!(
                "`{}` is protected and stays read-only (the repository internals and the reins \
                 project config cannot be changed by the agent; ask the user to do it)",
                p.display()
            )),
            None => Ok(()),
        }
    }

    /// The protected paths under `root`.
    pub(crate) fn protected_under(&self, root: &Path) -> Vec<&Path> {
        self.protected
            .iter()
            .filter(|p| p.starts_with(root))
            .map(PathBuf::as_path)
            .collect()
    }

    /// The directories between each pin and the writable root holding it (the root included,
    /// the pin excluded), outermost first, deduplicated: bind-mounted over themselves so that
    /// they cannot be renamed away from the pin (see `linux::mounts`). The root, not the
    /// workspace: a workspace inside /tmp must not be movable by renaming one of its parents.
    pub(crate) fn anchors(&self, pins: &[PathBuf]) -> Vec<PathBuf> {
        let mut anchors: Vec<PathBuf> = pins
            .iter()
            .filter_map(|pin| {
                let root = self.roots.iter().find(|r| pin.starts_with(r))?;
                let chain = pin.ancestors().skip(1).take_while(|a| a.starts_with(root));
                Some(chain.map(Path::to_path_buf).collect::<Vec<_>>())
            })
            .flatten()
            .collect();
        anchors.sort_by_key(|a| a.components().count());
        let mut seen = std::collections::HashSet::new();
        anchors.retain(|a| seen.insert(a.clone()));
        anchors
    }

    /// The deepest writable directory holding `path`: a workspace inside /tmp is the base of its
    /// own `.git`, not /tmp.
    fn deepest_base(&self, path: &Path) -> Option<&PathBuf> {
        self.bases
            .iter()
            .filter(|r| path.starts_with(r))
            .max_by_key(|r| r.components().count())
    }

    /// What to mount read-only so that the protected paths inside writable roots stay
    /// read-only: each such path if it exists, else its deepest existing ancestor strictly
    /// below the root. A path whose nearest existing ancestor is the root itself cannot be
    /// pinned (nothing exists to mount over) and is left out.
    pub(crate) fn pins(&self) -> Vec<PathBuf> {
        let mut pins: Vec<PathBuf> = self
            .protected
            .iter()
            .filter_map(|p| {
                // The deepest root holding the path: a workspace inside /tmp must be pinned
                // relative to the workspace, or the whole workspace would be pinned read-only.
                pin_point(p, self.deepest_base(p)?)
            })
            .collect();
        pins.sort();
        pins.dedup();
        let all = pins.clone();
        pins.retain(|p| !all.iter().any(|q| q != p && p.starts_with(q)));
        pins
    }
}

/// The deepest existing ancestor-or-self of `path` strictly below `root`.
fn pin_point(path: &Path, root: &Path) -> Option<PathBuf> {
    let mut candidate = path;
    while candidate.symlink_metadata().is_err() {
        candidate = candidate.parent()?;
    }
    (candidate != root && candidate.starts_with(root)).then(|| candidate.to_path_buf())
}

/// The temp directories that exist, canonical. One that is `/` or contains the home directory
/// (say `TMPDIR=$HOME`) is skipped: it would make the whole home writable.
fn temp_dirs() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut dirs = vec![std::env::temp_dir()];
    dirs.extend(TEMP_DIRS.iter().map(PathBuf::from));
    dirs.into_iter()
        .filter_map(|d| d.canonicalize().ok())
        .filter(|d| d.is_dir() && d.parent().is_some())
        .filter(|d| home.as_ref().is_none_or(|h| !h.starts_with(d)))
        .collect()
}

/// `paths` without duplicates and without those inside another one.
fn outermost(mut paths: Vec<PathBuf>) -> Vec<PathBuf> {
    paths.sort();
    paths.dedup();
    let all = paths.clone();
    paths.retain(|p| !all.iter().any(|q| q != p && p.starts_with(q)));
    paths
}

/// `path` canonicalized as far as it exists; unchanged if that fails.
fn lenient(path: &Path) -> PathBuf {
    canonicalize_existing_prefix(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(roots: &[&Path], protected: &[&Path]) -> WriteLayout {
        WriteLayout {
            roots: roots.iter().map(|p| p.to_path_buf()).collect(),
            protected: protected.iter().map(|p| p.to_path_buf()).collect(),
            bases: roots.iter().map(|p| p.to_path_buf()).collect(),
        }
    }

    #[test]
    fn a_workspace_inside_a_temp_dir_is_pinned_relative_to_itself() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().canonicalize().unwrap();
        let ws = tmp.join("ws");
        std::fs::create_dir_all(&ws).unwrap();
        let l = WriteLayout {
            roots: vec![tmp.clone()],
            protected: vec![ws.join(".git")],
            bases: vec![ws.clone(), tmp],
        };
        assert!(
            l.pins().is_empty(),
            "the workspace itself must not be pinned read-only"
        );
    }

    #[test]
    fn protected_paths_refuse_writes_inside_roots() {
        let l = layout(&[Path::new("/ws")], &[Path::new("/ws/.git")]);
        assert!(l.check(Path::new("/ws/src/a.rs")).is_ok());
        assert!(l.check(Path::new("/ws/.git/config")).is_err());
        assert!(l.check(Path::new("/ws/.gitignore")).is_ok());
        assert!(l.check(Path::new("/etc/passwd")).is_err());
    }

    #[test]
    fn pins_are_existing_paths_or_their_nearest_ancestor_below_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(ws.join(".git/hooks")).unwrap();
        std::fs::create_dir_all(ws.join(".reins")).unwrap();
        let l = layout(
            &[&ws],
            &[
                &ws.join(".git"),
                &ws.join(".git/hooks"),
                &ws.join(".reins/config.toml"),
                &ws.join("missing/file"),
            ],
        );
        assert_eq!(l.pins(), vec![ws.join(".git"), ws.join(".reins")]);
    }

    #[test]
    fn anchors_run_from_the_base_to_each_pins_parent() {
        let l = layout(&[Path::new("/ws")], &[]);
        let pins = [PathBuf::from("/ws/a/b/secret"), PathBuf::from("/ws/.git")];
        assert_eq!(
            l.anchors(&pins),
            vec![
                PathBuf::from("/ws"),
                PathBuf::from("/ws/a"),
                PathBuf::from("/ws/a/b")
            ]
        );
    }

    #[test]
    fn nested_roots_collapse_to_the_outermost() {
        let got = outermost(vec![
            "/tmp/a".into(),
            "/tmp".into(),
            "/ws".into(),
            "/ws".into(),
        ]);
        assert_eq!(got, vec![PathBuf::from("/tmp"), PathBuf::from("/ws")]);
    }
}
