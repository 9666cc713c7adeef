//! Writing a staged patch to disk so that it lands whole or not at all. Each file is written to a
//! temporary sibling and renamed over the target (a reader never sees half a file, and the file
//! keeps its permissions); if any step fails, the steps already taken are undone from the
//! original contents kept in memory.

use std::fs::{self, OpenOptions, Permissions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::PatchError;

/// One disk operation of a patch.
pub struct Step<'a> {
    pub abs: &'a Path,
    pub display: &'a str,
    /// The new contents, or `None` to remove the file.
    pub write: Option<&'a [u8]>,
    /// The mode to give the written file; `None` keeps the default for new files.
    pub perms: Option<&'a Permissions>,
    /// The file as it was, to restore on rollback; `None` if it did not exist.
    pub original: Option<(&'a [u8], &'a Permissions)>,
}

/// Performs `steps` in order; on failure undoes those done and reports the failing one.
pub fn commit(steps: &[Step<'_>]) -> Result<(), PatchError> {
    let mut journal = Journal::default();
    for step in steps {
        if let Err(source) = journal.perform(step) {
            let path = step.display.to_string();
            return Err(match journal.rollback() {
                Ok(()) => PatchError::Write { path, source },
                Err(unrestored) => PatchError::RollbackFailed {
                    path,
                    source,
                    unrestored,
                },
            });
        }
    }
    Ok(())
}

/// What has been done so far, to undo it.
#[derive(Default)]
struct Journal<'s, 'a> {
    done: Vec<&'s Step<'a>>,
    created_dirs: Vec<PathBuf>,
}

impl<'s, 'a> Journal<'s, 'a> {
    fn perform(&mut self, step: &'s Step<'a>) -> io::Result<()> {
        match step.write {
            Some(bytes) => {
                create_parents(step.abs, &mut self.created_dirs)?;
                write_atomic(step.abs, bytes, step.perms)?;
            }
            None => fs::remove_file(step.abs)?,
        }
        self.done.push(step);
        Ok(())
    }

    /// Restores every step done, newest first; the paths that could not be restored, if any.
    fn rollback(self) -> Result<(), String> {
        let mut failed = Vec::new();
        for step in self.done.iter().rev() {
            let undone = match step.original {
                Some((bytes, perms)) => write_atomic(step.abs, bytes, Some(perms)),
                None => fs::remove_file(step.abs),
            };
            if undone.is_err() {
                failed.push(format!("`{}`", step.display));
            }
        }
        for dir in self.created_dirs.iter().rev() {
            // Only empty directories go; one that is not empty was not ours alone.
            let _ = fs::remove_dir(dir);
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed.join(", "))
        }
    }
}

/// Creates the missing ancestors of `path`, recording each one created (outermost first).
fn create_parents(path: &Path, created: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        missing.push(d.to_path_buf());
        dir = d.parent();
    }
    for d in missing.into_iter().rev() {
        fs::create_dir(&d)?;
        created.push(d);
    }
    Ok(())
}

/// Replaces `path` with `bytes` through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8], perms: Option<&Permissions>) -> io::Result<()> {
    let tmp = temp_sibling(path);
    let result = write_new(&tmp, bytes, perms).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_new(tmp: &Path, bytes: &[u8], perms: Option<&Permissions>) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    file.write_all(bytes)?;
    if let Some(perms) = perms {
        file.set_permissions(perms.clone())?;
    }
    Ok(())
}

/// A hidden name next to `path` that no other writer (or concurrent patch) uses.
fn temp_sibling(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.{n}.reins-tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_step_rolls_back_the_earlier_ones() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let blocker = dir.path().join("file");
        fs::write(&a, "old").unwrap();
        fs::write(&blocker, "x").unwrap();
        let perms = fs::metadata(&a).unwrap().permissions();
        let under_file = blocker.join("child.txt");
        let fresh = dir.path().join("new/deep/n.txt");
        let steps = [
            Step {
                abs: &a,
                display: "a.txt",
                write: Some(b"new"),
                perms: Some(&perms),
                original: Some((b"old", &perms)),
            },
            Step {
                abs: &fresh,
                display: "new/deep/n.txt",
                write: Some(b"n"),
                perms: None,
                original: None,
            },
            Step {
                abs: &under_file,
                display: "file/child.txt",
                write: Some(b"c"),
                perms: None,
                original: None,
            },
        ];
        let err = commit(&steps).unwrap_err();
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
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("run.sh");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, Permissions::from_mode(0o755)).unwrap();
        let perms = fs::metadata(&p).unwrap().permissions();
        write_atomic(&p, b"new", Some(&perms)).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o755
        );
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
    }
}
