//! Where a `workspace-write` policy lets writes land: the writable roots (workspace, temp dirs,
//! configured extras) minus the protected paths inside them. Both the in-process check for file
//! tools and the kernel confinement of children are derived from this one computation, so they
//! cannot disagree.

use std::path::{Path, PathBuf};

use super::error::WriteRefusal;
use super::paths::canonicalize_existing_prefix;
use super::{private_tmp, SandboxMode, SandboxPolicy};

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
    /// Shared temp dirs that children see replaced by the session's private stand-ins.
    pub(crate) overlays: Vec<Overlay>,
    /// The directory children get as `TMPDIR`, when the temp dirs are confined.
    pub(crate) tmpdir: Option<PathBuf>,
}

/// A shared temp dir (`over`) and the private directory mounted over it in the child.
#[derive(Debug, Clone)]
pub(crate) struct Overlay {
    pub(crate) private: PathBuf,
    pub(crate) over: PathBuf,
}

impl WriteLayout {
    /// The layout of `policy`; empty (nothing writable) for `read-only`.
    pub(crate) fn of(policy: &SandboxPolicy) -> Self {
        Self::keeping_visible(policy, &[], false)
    }

    /// The layout of `policy` for a child that must still see `visible` (its working directory
    /// and program): a shared temp dir holding one of them is not covered by its stand-in.
    /// `overlay` says whether the child gets a mount namespace to cover temp dirs in (the caller
    /// probes it; the in-process checks, which only look at the roots, pass `false`).
    pub(crate) fn keeping_visible(
        policy: &SandboxPolicy,
        visible: &[PathBuf],
        overlay: bool,
    ) -> Self {
        let protected: Vec<PathBuf> = policy.protected.iter().map(|p| lenient(p)).collect();
        if policy.mode != SandboxMode::WorkspaceWrite {
            return WriteLayout {
                protected,
                ..WriteLayout::default()
            };
        }
        let mut candidates = vec![policy.workspace.clone()];
        candidates.extend(
            policy
                .extra_writable
                .iter()
                .filter_map(|p| p.canonicalize().ok()),
        );
        let keep: Vec<PathBuf> = candidates.iter().chain(visible).cloned().collect();
        let (temp, overlays, tmpdir) = private_temp(&keep, overlay);
        candidates.extend(temp);
        let roots = outermost(candidates.clone())
            .into_iter()
            .filter(|root| !protected.iter().any(|p| root.starts_with(p)))
            .collect();
        WriteLayout {
            roots,
            protected,
            bases: candidates,
            overlays,
            tmpdir,
        }
    }

    /// The writable roots as children see them: a private stand-in by the path it is mounted
    /// over.
    pub(crate) fn mount_roots(&self) -> Vec<PathBuf> {
        self.roots
            .iter()
            .map(|root| {
                self.overlays
                    .iter()
                    .find(|o| &o.private == root)
                    .map_or_else(|| root.clone(), |o| o.over.clone())
            })
            .collect()
    }

    /// `Err(reason)` when `path` (canonical) must not be written.
    pub(crate) fn check(&self, path: &Path) -> Result<(), WriteRefusal> {
        if !self.roots.iter().any(|root| path.starts_with(root)) {
            return Err(WriteRefusal::OutsideRoots);
        }
        match self.protected.iter().find(|p| path.starts_with(p)) {
            Some(p) => Err(WriteRefusal::Protected {
                protected: p.clone(),
            }),
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

/// The private temp dirs children may write, the shared temp dirs to cover with them, and the
/// `TMPDIR` to give children. With `overlay` (a mount namespace is available), each shared temp
/// dir that exists is covered by its stand-in, except one holding a path in `keep` (a workspace
/// under /tmp, a program's working directory there, must stay visible): that one stays
/// read-only outside the writable roots. Without, children
/// see the shared dirs read-only and write the stand-ins by their real path, via `TMPDIR`.
fn private_temp(keep: &[PathBuf], overlay: bool) -> (Vec<PathBuf>, Vec<Overlay>, Option<PathBuf>) {
    let mut writable = Vec::new();
    let mut overlays = Vec::new();
    for (shared, _) in private_tmp::SHARED {
        let over = PathBuf::from(shared);
        let Some(private) = private_tmp::stand_in(&over) else {
            continue;
        };
        writable.push(private.clone());
        let visible = over.is_dir() && !keep.iter().any(|r| r.starts_with(&over));
        if overlay && visible {
            overlays.push(Overlay { private, over });
        }
    }
    let tmp = Path::new("/tmp");
    let tmpdir = match overlays.iter().any(|o| o.over == tmp) {
        true => Some(tmp.to_path_buf()),
        false => private_tmp::stand_in(tmp),
    };
    (writable, overlays, tmpdir)
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
            ..WriteLayout::default()
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
            ..WriteLayout::default()
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
