//! The patch's effect on the file tree, staged in memory. Each section sees the state the earlier
//! sections left (so "add then update", "delete then add" or "update then move" in one patch
//! work), every check happens here, and nothing touches the disk until the whole patch is staged.

use std::fs::Permissions;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::commit::Step;
use super::hunks::{self, Updated};
use super::parse::{Chunk, FileOp};
use super::{ChangeKind, FileChange, PatchError};
use crate::diff;
use crate::sandbox::beneath::Beneath;

/// Maps a path as written in the patch to one relative to the handle's root, or refuses it with
/// a reason.
pub type Resolve<'r> = &'r dyn Fn(&str) -> Result<PathBuf, super::Refusal>;

/// What was at a path before the patch.
enum Disk {
    Absent,
    Dir,
    File { bytes: Vec<u8>, perms: Permissions },
}

/// What the patch leaves at a path.
enum Next {
    Absent,
    File(Vec<u8>),
}

/// A path the patch touches.
struct Entry {
    /// Relative to the root of the handle.
    rel: PathBuf,
    /// The path as first written in the patch, for messages and results.
    display: String,
    original: Disk,
    /// `None` while the patch has not changed the path.
    next: Option<Next>,
    /// Permissions for a file created here: a moved file keeps its mode.
    inherit: Option<Permissions>,
}

/// A path's state as the sections so far leave it.
enum Now<'e> {
    Absent,
    Dir,
    File(&'e [u8]),
}

/// The in-memory tree: every path the patch has touched, in first-touch order.
pub struct Stage<'r> {
    resolve: Resolve<'r>,
    fs: &'r Beneath,
    /// The current text of files an editor holds, by relative path: it stands for what is on
    /// disk (see [`super::stage_over`]).
    texts: &'r Texts,
    entries: Vec<Entry>,
}

/// Files' current text by path relative to the handle's root.
pub type Texts = std::collections::HashMap<PathBuf, String>;

impl<'r> Stage<'r> {
    pub fn new(resolve: Resolve<'r>, fs: &'r Beneath, texts: &'r Texts) -> Self {
        Self {
            resolve,
            fs,
            texts,
            entries: Vec::new(),
        }
    }

    /// Stages one section and describes its effect.
    pub fn run(&mut self, op: &FileOp) -> Result<FileChange, PatchError> {
        match op {
            FileOp::Add { path, contents } => self.add(path, contents),
            FileOp::Delete { path } => self.delete(path),
            FileOp::Update {
                path,
                move_to,
                chunks,
            } => self.update(path, move_to.as_deref(), chunks),
        }
    }

    /// The disk operations that turn the original tree into the staged one: writes first, so
    /// that a moved file exists at its destination before its source is removed.
    pub fn steps(&self) -> Vec<Step<'_>> {
        let (mut writes, removes): (Vec<_>, Vec<_>) = self
            .entries
            .iter()
            .filter_map(step)
            .partition(|s| s.write.is_some());
        writes.extend(removes);
        writes
    }

    fn add(&mut self, path: &str, contents: &str) -> Result<FileChange, PatchError> {
        let i = self.entry(path)?;
        let display = self.entries[i].display.clone();
        match self.now(i) {
            Now::Absent => {}
            Now::Dir => {
                return Err(PatchError::IsDirectory {
                    path: display,
                    action: "add",
                })
            }
            Now::File(_) => return Err(PatchError::AddExisting { path: display }),
        }
        self.entries[i].next = Some(Next::File(contents.as_bytes().to_vec()));
        let diff = diff::unified(&display, None, Some(contents));
        Ok(FileChange {
            path: display,
            kind: ChangeKind::Add,
            diff,
        })
    }

    fn delete(&mut self, path: &str) -> Result<FileChange, PatchError> {
        let i = self.entry(path)?;
        let display = self.entries[i].display.clone();
        let diff = match self.now(i) {
            Now::Absent => return Err(PatchError::DeleteMissing { path: display }),
            Now::Dir => {
                return Err(PatchError::IsDirectory {
                    path: display,
                    action: "delete",
                })
            }
            Now::File(bytes) => {
                diff::unified(&display, Some(&String::from_utf8_lossy(bytes)), None)
            }
        };
        self.entries[i].next = Some(Next::Absent);
        Ok(FileChange {
            path: display,
            kind: ChangeKind::Delete,
            diff,
        })
    }

    fn update(
        &mut self,
        path: &str,
        move_to: Option<&str>,
        chunks: &[Chunk],
    ) -> Result<FileChange, PatchError> {
        let i = self.entry(path)?;
        let display = self.entries[i].display.clone();
        let dest = match move_to {
            Some(to) => self.move_target(i, to)?,
            None => None,
        };
        let target = dest.unwrap_or(i);
        let final_path = self.entries[target].display.clone();
        let updated = {
            let old = self.text(i)?;
            if chunks.is_empty() {
                Updated {
                    text: old.to_string(),
                    diff: String::new(),
                }
            } else {
                hunks::apply_chunks(&display, &final_path, old, chunks)?
            }
        };
        if let Some(j) = dest {
            self.entries[j].inherit = self.perms(i);
            self.entries[i].next = Some(Next::Absent);
        }
        self.entries[target].next = Some(Next::File(updated.text.into_bytes()));
        let kind = ChangeKind::Update {
            moved_from: dest.map(|_| display),
        };
        Ok(FileChange {
            path: final_path,
            kind,
            diff: updated.diff,
        })
    }

    /// The entry a file moves to, `None` when it "moves" onto itself; it must not exist.
    fn move_target(&mut self, from: usize, to: &str) -> Result<Option<usize>, PatchError> {
        let j = self.entry(to)?;
        if j == from {
            return Ok(None);
        }
        match self.now(j) {
            Now::Absent => Ok(Some(j)),
            Now::Dir | Now::File(_) => Err(PatchError::MoveOntoExisting {
                from: self.entries[from].display.clone(),
                to: self.entries[j].display.clone(),
            }),
        }
    }

    /// The text an update starts from.
    fn text(&self, i: usize) -> Result<&str, PatchError> {
        let path = || self.entries[i].display.clone();
        match self.now(i) {
            Now::Absent => Err(PatchError::UpdateMissing { path: path() }),
            Now::Dir => Err(PatchError::IsDirectory {
                path: path(),
                action: "update",
            }),
            Now::File(bytes) => {
                std::str::from_utf8(bytes).map_err(|_| PatchError::NotText { path: path() })
            }
        }
    }

    /// The mode the file at `i` has (or will be created with).
    fn perms(&self, i: usize) -> Option<Permissions> {
        match &self.entries[i].original {
            Disk::File { perms, .. } => Some(perms.clone()),
            _ => self.entries[i].inherit.clone(),
        }
    }

    fn now(&self, i: usize) -> Now<'_> {
        let entry = &self.entries[i];
        match (&entry.next, &entry.original) {
            (Some(Next::Absent), _) => Now::Absent,
            (Some(Next::File(bytes)), _) => Now::File(bytes),
            (None, Disk::Absent) => Now::Absent,
            (None, Disk::Dir) => Now::Dir,
            (None, Disk::File { bytes, .. }) => Now::File(bytes),
        }
    }

    /// How results and messages name `path`: as the model wrote it, minus a leading `./`, so it
    /// recognises its own words; an absolute path is shown relative to the workspace root (what
    /// `.` resolves to) when it lies inside it.
    fn display(&self, path: &str, rel: &Path) -> String {
        if Path::new(path).is_absolute() && !rel.as_os_str().is_empty() {
            return rel.to_string_lossy().replace('\\', "/");
        }
        let mut path = path;
        while let Some(rest) = path.strip_prefix("./") {
            path = rest;
        }
        path.to_string()
    }

    /// The entry for `path`, resolving and reading it on first touch. Paths are compared after
    /// resolution, so `./a` and `a` are the same file.
    fn entry(&mut self, path: &str) -> Result<usize, PatchError> {
        let rel = (self.resolve)(path).map_err(|reason| PatchError::Refused {
            path: path.to_string(),
            reason,
        })?;
        if let Some(i) = self.entries.iter().position(|e| e.rel == rel) {
            return Ok(i);
        }
        let display = self.display(path, &rel);
        let original =
            load(self.fs, &rel, self.texts.get(&rel)).map_err(|source| PatchError::Read {
                path: display.clone(),
                source,
            })?;
        self.entries.push(Entry {
            rel,
            display,
            original,
            next: None,
            inherit: None,
        });
        Ok(self.entries.len() - 1)
    }
}

/// What is on disk at `rel`, with a file's bytes kept for diffs and for rolling back. Only
/// regular files with one link are read: a FIFO would hang the read, a symlink is refused by the
/// handle, and writing a hard-linked file by rename would silently split it from its twin.
/// `text`, an editor's current text of the file, stands for its bytes once those checks pass.
fn load(fs: &Beneath, rel: &Path, text: Option<&String>) -> io::Result<Disk> {
    match fs.metadata(rel)? {
        None => Ok(Disk::Absent),
        Some(meta) if meta.is_dir() => Ok(Disk::Dir),
        Some(_) => {
            let (mut file, meta) = fs.open_regular(rel)?;
            if std::os::unix::fs::MetadataExt::nlink(&meta) > 1 {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "the file has several hard links, which may be outside the workspace",
                ));
            }
            let bytes = match text {
                Some(text) => text.as_bytes().to_vec(),
                None => {
                    let mut bytes = Vec::new();
                    file.read_to_end(&mut bytes)?;
                    bytes
                }
            };
            Ok(Disk::File {
                bytes,
                perms: meta.permissions(),
            })
        }
    }
}

/// The disk operation an entry needs, if its final state differs from the original.
fn step(entry: &Entry) -> Option<Step<'_>> {
    let original = match &entry.original {
        Disk::File { bytes, perms } => Some((bytes.as_slice(), perms)),
        Disk::Absent => None,
        Disk::Dir => return None,
    };
    let write = match entry.next.as_ref()? {
        Next::Absent if original.is_none() => return None,
        Next::Absent => None,
        Next::File(bytes) if original.is_some_and(|(old, _)| old == bytes.as_slice()) => {
            return None
        }
        Next::File(bytes) => Some(bytes.as_slice()),
    };
    Some(Step {
        rel: &entry.rel,
        display: &entry.display,
        write,
        perms: original.map(|(_, perms)| perms).or(entry.inherit.as_ref()),
        original,
    })
}
