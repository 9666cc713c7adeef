//! Writing a staged patch to disk so that it lands whole or not at all. Each file is written to a
//! temporary sibling and renamed over the target (a reader never sees half a file, and the file
//! keeps its permissions); if any step fails, the steps already taken are undone from the
//! original contents kept in memory. Every operation goes through the workspace handle, by
//! workspace-relative path.

use std::fs::Permissions;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::PatchError;
use crate::sandbox::beneath::Beneath;

/// One disk operation of a patch.
pub struct Step<'a> {
    /// Relative to the root of the handle.
    pub rel: &'a Path,
    pub display: &'a str,
    /// The new contents, or `None` to remove the file.
    pub write: Option<&'a [u8]>,
    /// The mode to give the written file; `None` keeps the default for new files.
    pub perms: Option<&'a Permissions>,
    /// The file as it was, to restore on rollback; `None` if it did not exist.
    pub original: Option<(&'a [u8], &'a Permissions)>,
}

/// Performs `steps` in order; on failure undoes those done and reports the failing one.
pub fn commit(fs: &Beneath, steps: &[Step<'_>]) -> Result<(), PatchError> {
    let mut journal = Journal {
        fs,
        done: Vec::new(),
        created_dirs: Vec::new(),
    };
    for step in steps {
        if let Err(source) = journal.perform(step) {
            let path = step.display.to_string();
            return Err(match journal.rollback() {
                Ok(()) => PatchError::Write { path, source },
                Err(unrestored) => PatchError::RollbackFailed {
                    path,
                    source,
                    unrestored: unrestored.join(", "),
                },
            });
        }
    }
    Ok(())
}

/// What has been done so far, to undo it.
struct Journal<'s, 'a> {
    fs: &'s Beneath,
    done: Vec<&'s Step<'a>>,
    created_dirs: Vec<PathBuf>,
}

impl<'s, 'a> Journal<'s, 'a> {
    fn perform(&mut self, step: &'s Step<'a>) -> io::Result<()> {
        match step.write {
            Some(bytes) => {
                if let Some(parent) = step.rel.parent() {
                    self.created_dirs.extend(self.fs.create_dir_all(parent)?);
                }
                write(self.fs, step.rel, bytes, step.perms)?;
            }
            None => self.fs.remove_file(step.rel)?,
        }
        self.done.push(step);
        Ok(())
    }

    /// Restores every step done, newest first; the paths that could not be restored, if any.
    fn rollback(self) -> Result<(), Vec<String>> {
        let mut failed = Vec::new();
        for step in self.done.iter().rev() {
            let undone = match step.original {
                Some((bytes, perms)) => write(self.fs, step.rel, bytes, Some(perms)),
                None => self.fs.remove_file(step.rel),
            };
            if undone.is_err() {
                failed.push(format!("`{}`", step.display));
            }
        }
        for dir in self.created_dirs.iter().rev() {
            // Only empty directories go; one that is not empty was not ours alone.
            let _ = self.fs.remove_dir(dir);
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed)
        }
    }
}

/// Replaces `rel` with `bytes` atomically, with the mode of `perms` (or the usual one for a new
/// file); synced at the end of the turn (see [`Beneath::write_edit`]).
fn write(fs: &Beneath, rel: &Path, bytes: &[u8], perms: Option<&Permissions>) -> io::Result<()> {
    fs.write_edit(rel, bytes, perms.map(|p| p.mode() & 0o7777))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn a_failing_step_rolls_back_the_earlier_ones() {
        let dir = tempfile::tempdir().unwrap();
        let handle = Beneath::open(dir.path()).unwrap();
        let a = dir.path().join("a.txt");
        let blocker = dir.path().join("file");
        fs::write(&a, "old").unwrap();
        fs::write(&blocker, "x").unwrap();
        let perms = fs::metadata(&a).unwrap().permissions();
        let (a_rel, under_file, fresh) = (
            Path::new("a.txt"),
            Path::new("file/child.txt"),
            Path::new("new/deep/n.txt"),
        );
        let steps = [
            Step {
                rel: a_rel,
                display: "a.txt",
                write: Some(b"new"),
                perms: Some(&perms),
                original: Some((b"old", &perms)),
            },
            Step {
                rel: fresh,
                display: "new/deep/n.txt",
                write: Some(b"n"),
                perms: None,
                original: None,
            },
            Step {
                rel: under_file,
                display: "file/child.txt",
                write: Some(b"c"),
                perms: None,
                original: None,
            },
        ];
        let err = commit(&handle, &steps).unwrap_err();
        assert!(
            matches!(err, PatchError::Write { ref path, .. } if path == "file/child.txt"),
            "{err}"
        );
        assert_eq!(fs::read_to_string(&a).unwrap(), "old");
        assert!(!dir.path().join("new").exists());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn written_file_keeps_the_given_mode() {
        let dir = tempfile::tempdir().unwrap();
        let handle = Beneath::open(dir.path()).unwrap();
        let p = dir.path().join("run.sh");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, Permissions::from_mode(0o755)).unwrap();
        let perms = fs::metadata(&p).unwrap().permissions();
        write(&handle, Path::new("run.sh"), b"new", Some(&perms)).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o755
        );
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
    }
}
