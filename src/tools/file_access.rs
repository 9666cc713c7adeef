//! Where the file tools get a file's current text and put its new text, when that is not the
//! disk: an editor that holds the files open (an ACP client offering `fs/read_text_file` and
//! `fs/write_text_file`) serves its buffers, unsaved changes included, and takes the writes into
//! them, so its user sees each edit where they work and can undo it there.
//!
//! Only the text passes through here. Every decision stays with the tools and happens first, on
//! the disk through the workspace handle: the path resolved inside the workspace, the secret and
//! read-deny patterns, protected paths and the write check, a regular file with one link, the
//! permission gate and approvals before the call, checkpoints around it. A path that any of
//! these refuses is never handed to a [`FileAccess`].

use super::ToolError;
use crate::types::BoxFuture;
use std::path::Path;

/// A store of text files that stands in for the disk, for reads, writes or both.
pub trait FileAccess: Send + Sync {
    /// Whether reads go through [`FileAccess::read_text`]; otherwise the tools read the disk.
    fn reads(&self) -> bool;
    /// Whether writes go through [`FileAccess::write_text`]; otherwise the tools write the disk.
    fn writes(&self) -> bool;
    /// The current text of the file at `path` (absolute, already checked). The error is a
    /// message for the model.
    fn read_text<'a>(&'a self, path: &'a Path) -> BoxFuture<'a, Result<String, ToolError>>;
    /// The text of a file that is not on disk, if the store holds one (an editor's buffer not
    /// saved yet); `None`: it has no such file either. `path` is absolute and checked, and
    /// nothing is on disk under it. By default a store holds only what is on disk.
    fn read_unsaved<'a>(
        &'a self,
        _path: &'a Path,
    ) -> BoxFuture<'a, Result<Option<String>, ToolError>> {
        Box::pin(async { Ok(None) })
    }
    /// Replaces the text of the file at `path` (absolute, already checked; its directory
    /// exists).
    fn write_text<'a>(
        &'a self,
        path: &'a Path,
        text: &'a str,
    ) -> BoxFuture<'a, Result<(), ToolError>>;
}
