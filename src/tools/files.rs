//! File access for the tools, through the session's workspace handle ([`Beneath`]): every open,
//! write and stat resolves the checked path beneath the workspace root with no symlink allowed,
//! so what is checked is what is touched, even while another process swaps links around.

use super::{ToolContext, ToolError};
use crate::sandbox::beneath::Beneath;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

impl ToolContext {
    /// The workspace-relative form of a resolved path, as the handle takes it.
    pub(crate) fn beneath<'p>(&self, path: &'p Path) -> Result<&'p Path, ToolError> {
        path.strip_prefix(&self.root).map_err(|_| {
            ToolError(format!(
                "`{}` is outside the workspace; use a path relative to the workspace root",
                path.display()
            ))
        })
    }

    /// Opens a resolved path for reading after the read check: only regular files (a FIFO or
    /// device would hang the session), and never one with several hard links (another name of
    /// it may be a secret, or outside the workspace, that the path-based rules would refuse).
    pub(crate) fn open_read(
        &self,
        path: &Path,
        shown: &str,
    ) -> Result<(File, Metadata), ToolError> {
        self.check_read(path)?;
        let (file, meta) = open_regular(&self.fs, self.beneath(path)?, shown)?;
        refuse_hard_links(&meta, shown)?;
        Ok((file, meta))
    }

    /// The whole text of a file about to be changed (lossy UTF-8; an editor's current text
    /// when one serves reads), with its metadata when it is on disk; `None` when nothing is
    /// there yet, on disk or in the editor. Refuses directories and everything
    /// [`Self::open_read`] does.
    pub(crate) async fn read_for_change(
        &self,
        path: &Path,
        shown: &str,
    ) -> Result<Option<(String, Option<Metadata>)>, ToolError> {
        match self.fs.metadata(self.beneath(path)?) {
            Ok(None) => return Ok(self.unsaved_text(path).await?.map(|t| (t, None))),
            Ok(Some(m)) if m.is_dir() => {
                return Err(ToolError(format!("`{shown}` is a directory")));
            }
            Ok(Some(_)) => {}
            Err(e) => return Err(io_error(shown, &e)),
        }
        let (mut file, meta) = self.open_read(path, shown)?;
        if let Some(text) = self.editor_text(path).await? {
            return Ok(Some((text, Some(meta))));
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| io_error(shown, &e))?;
        Ok(Some((
            String::from_utf8_lossy(&bytes).into_owned(),
            Some(meta),
        )))
    }

    /// The editor's text of a file that is not on disk (a buffer not saved yet), when an editor
    /// serves reads and the read check passes; `None`: the file exists nowhere (or on disk,
    /// where the caller reads it). Nothing is asked of the editor for a refused path, or for a
    /// name the workspace handle cannot reach (a symlink on the way).
    pub(crate) async fn unsaved_text(&self, path: &Path) -> Result<Option<String>, ToolError> {
        let Some(editor) = self.files.as_deref().filter(|f| f.reads()) else {
            return Ok(None);
        };
        let absent = self.check_read(path).is_ok()
            && self
                .beneath(path)
                .is_ok_and(|rel| matches!(self.fs.metadata(rel), Ok(None)));
        if !absent {
            return Ok(None);
        }
        editor.read_unsaved(path).await
    }

    /// The editor's current text of a checked file, when an editor serves reads; `None`: read
    /// the disk. Call only after the checks ([`Self::open_read`]).
    pub(crate) async fn editor_text(&self, path: &Path) -> Result<Option<String>, ToolError> {
        match self.files.as_deref().filter(|f| f.reads()) {
            Some(editor) => editor.read_text(path).await.map(Some),
            None => Ok(None),
        }
    }

    /// Writes a whole file, its directory created if missing: through the editor when one
    /// takes writes, else atomically on disk (temp file and rename in the same directory),
    /// keeping an existing file's mode. The caller has run the write check.
    pub(crate) async fn write_whole(
        &self,
        path: &Path,
        text: &str,
        shown: &str,
    ) -> Result<(), ToolError> {
        let rel = self.beneath(path)?;
        let cannot = |e: std::io::Error| ToolError(format!("cannot write `{shown}`: {e}"));
        if let Some(parent) = rel.parent() {
            self.fs.create_dir_all(parent).map_err(cannot)?;
        }
        match self.files.as_deref().filter(|f| f.writes()) {
            Some(editor) => {
                self.check_plain_target(rel, shown)?;
                editor.write_text(path, text).await
            }
            None => self
                .fs
                .write_edit(rel, text.as_bytes(), None)
                .map_err(cannot),
        }
    }

    /// Refuses handing an editor a path the workspace handle cannot reach as a plain file (a
    /// symlink on the way, a directory, a file with several links): the editor writes by name,
    /// so this is checked just before.
    pub(crate) fn check_plain_target(&self, rel: &Path, shown: &str) -> Result<(), ToolError> {
        use std::os::unix::fs::MetadataExt;
        match self.fs.metadata(rel) {
            Ok(None) => Ok(()),
            Ok(Some(m)) if m.is_file() && m.nlink() == 1 => Ok(()),
            Ok(Some(m)) if m.is_dir() => Err(ToolError(format!("`{shown}` is a directory"))),
            Ok(Some(m)) => refuse_hard_links(&m, shown).and_then(|()| {
                Err(ToolError(format!(
                    "`{shown}` is not a regular file (a pipe, socket or device); file tools cannot use it"
                )))
            }),
            Err(e) => Err(io_error(shown, &e)),
        }
    }

    /// Resolves the model's `shown` path and opens it for reading ([`Self::open_read`]): the
    /// start of every tool that reads a file from disk.
    pub(crate) fn open_shown(&self, shown: &str) -> Result<(PathBuf, File, Metadata), ToolError> {
        let path = self.resolve(shown)?;
        let (file, meta) = self.open_read(&path, shown)?;
        Ok((path, file, meta))
    }

    /// Modification time of a resolved path, not following a final symlink.
    pub(crate) fn mtime(&self, path: &Path) -> Option<std::time::SystemTime> {
        let rel = self.beneath(path).ok()?;
        self.fs.metadata(rel).ok()??.modified().ok()
    }

    /// Whether a name found by a directory walk may be shown: it passes the read check (secret
    /// patterns, read-deny rules) and is really where the walk saw it, beneath the root with no
    /// symlink on the way (a directory swapped for a link during the walk lists another tree).
    pub(crate) fn may_list(&self, path: &Path) -> bool {
        self.check_read(path).is_ok()
            && self
                .beneath(path)
                .is_ok_and(|rel| matches!(self.fs.metadata(rel), Ok(Some(_))))
    }

    /// For a walk that reads files on worker threads: what it needs to open them safely.
    pub fn reader(&self) -> Reader {
        Reader {
            fs: self.fs.clone(),
            root: self.root.clone(),
            policy: self.policy.clone(),
        }
    }
}

/// Opens files found by a walk the way [`ToolContext::open_read`] does, from any thread.
pub struct Reader {
    fs: std::sync::Arc<Beneath>,
    root: PathBuf,
    policy: crate::sandbox::SandboxPolicy,
}

impl Reader {
    /// The file at `path` (absolute, from the walk), or `None` when the read check, the handle
    /// or the hard-link rule refuses it: a walk skips such files silently.
    pub fn open(&self, path: &Path) -> Option<File> {
        self.policy.check_read(path).ok()?;
        let rel = crate::sandbox::paths::strip_root(path, &self.root)?;
        let (file, meta) = self.fs.open_regular(rel).ok()?;
        refuse_hard_links(&meta, "").ok()?;
        Some(file)
    }

    /// [`ToolContext::may_list`] from any thread.
    pub fn may_list(&self, path: &Path) -> bool {
        self.policy.check_read(path).is_ok()
            && path
                .strip_prefix(&self.root)
                .is_ok_and(|rel| matches!(self.fs.metadata(rel), Ok(Some(_))))
    }

    /// How the model is shown `path`: relative to the workspace root.
    pub fn relative(&self, path: &Path) -> String {
        crate::sandbox::paths::relative(&self.root, path)
    }
}

/// Runs `read` (reading an open file) on a blocking thread, so a large or slow file does not
/// hold up the runtime's other tasks; a read that panicked fails tool `tool`.
pub(super) async fn off_runtime<T: Send + 'static>(
    tool: &str,
    read: impl FnOnce() -> Result<T, ToolError> + Send + 'static,
) -> Result<T, ToolError> {
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|e| ToolError(format!("{tool} failed: {e}")))?
}

fn open_regular(fs: &Beneath, rel: &Path, shown: &str) -> Result<(File, Metadata), ToolError> {
    fs.open_regular(rel).map_err(|e| match e.kind() {
        std::io::ErrorKind::IsADirectory => ToolError(format!(
            "`{shown}` is a directory; use list_dir to see its contents"
        )),
        std::io::ErrorKind::InvalidInput => ToolError(format!(
            "`{shown}` is not a regular file (a pipe, socket or device); file tools cannot use it"
        )),
        _ => io_error(shown, &e),
    })
}

fn refuse_hard_links(meta: &Metadata, shown: &str) -> Result<(), ToolError> {
    use std::os::unix::fs::MetadataExt;
    if meta.nlink() > 1 {
        return Err(ToolError(format!(
            "`{shown}` has {} hard links; another name of the same file may be a secret or lie \
             outside the workspace, so file tools do not use it. Ask the user to replace it with \
             a copy if you need it",
            meta.nlink()
        )));
    }
    Ok(())
}

/// An I/O error as a message for the model, naming the path it was given.
pub(super) fn io_error(shown: &str, e: &std::io::Error) -> ToolError {
    match e.kind() {
        std::io::ErrorKind::NotFound => ToolError(format!(
            "`{shown}` does not exist; check the path with list_dir or glob"
        )),
        std::io::ErrorKind::PermissionDenied => ToolError(format!("`{shown}` cannot be used: {e}")),
        _ => ToolError(format!("cannot read `{shown}`: {e}")),
    }
}
