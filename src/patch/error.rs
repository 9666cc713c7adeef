//! Why a patch was refused. Every message is a prompt for the model: it names the file (and the
//! chunk), says that nothing was changed, and says what to send next.

use std::io;

/// A patch that could not be applied. Except for [`PatchError::RollbackFailed`], the workspace is
/// exactly as it was before the call.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error(
        "the patch is empty. Send `*** Begin Patch`, then at least one `*** Add File: <path>`, \
         `*** Update File: <path>` or `*** Delete File: <path>` section, then `*** End Patch`"
    )]
    Empty,

    #[error("invalid patch at line {line}: {message}. Nothing was changed; fix the patch and send it again")]
    Syntax { line: usize, message: String },

    #[error("cannot use the path `{path}`: {reason}. Nothing was changed")]
    Refused {
        path: String,
        #[source]
        reason: super::Refusal,
    },

    #[error(
        "cannot update `{path}`: the file does not exist. Nothing was changed; check the path \
         (list the directory), or use `*** Add File: {path}` to create it"
    )]
    UpdateMissing { path: String },

    #[error(
        "cannot delete `{path}`: the file does not exist. Nothing was changed; check the path, \
         or leave this section out if the file is already gone"
    )]
    DeleteMissing { path: String },

    #[error("cannot {action} `{path}`: it is a directory. Nothing was changed; apply_patch works on files only")]
    IsDirectory { path: String, action: &'static str },

    #[error(
        "cannot add `{path}`: the file already exists. Nothing was changed; read it and use \
         `*** Update File: {path}` to change it, or `*** Delete File: {path}` followed by \
         `*** Add File: {path}` to replace it whole"
    )]
    AddExisting { path: String },

    #[error(
        "cannot move `{from}` to `{to}`: `{to}` already exists. Nothing was changed; choose \
         another destination, or delete `{to}` earlier in the same patch if it should be replaced"
    )]
    MoveOntoExisting { from: String, to: String },

    #[error("cannot update `{path}`: it is not UTF-8 text. Nothing was changed; apply_patch edits text files only")]
    NotText { path: String },

    #[error(
        "cannot update `{path}`: chunk {chunk} (patch line {line}, {head}) was not found{scope}.\n\
         {closest}\nNothing was changed. Read the file again and resend the patch with context \
         and `-` lines copied exactly from it"
    )]
    NoMatch {
        path: String,
        chunk: usize,
        line: usize,
        head: String,
        scope: String,
        closest: String,
    },

    #[error(
        "cannot update `{path}`: chunk {chunk} (patch line {line}, {head}) matches {how} at \
         lines {first} and {second}{scope}, so its place is ambiguous. Nothing was changed; add \
         more unchanged context lines around the change, or an `@@ <line>` header copying the \
         enclosing function or class line, so the chunk matches exactly one place"
    )]
    Ambiguous {
        path: String,
        chunk: usize,
        line: usize,
        head: String,
        how: &'static str,
        first: usize,
        second: usize,
        scope: String,
    },

    #[error(
        "cannot update `{path}`: chunk {chunk} (patch line {line}) is placed by `@@ {anchor}`, \
         but no such line was found{scope}. Nothing was changed; the text after `@@` must be a \
         line copied from the file (such as the enclosing function's signature), or use a bare `@@`"
    )]
    AnchorNotFound {
        path: String,
        chunk: usize,
        line: usize,
        anchor: String,
        scope: String,
    },

    #[error("cannot read `{path}`: {source}. Nothing was changed")]
    Read {
        path: String,
        #[source]
        source: io::Error,
    },

    #[error(
        "cannot write `{path}`: {source}. Nothing was changed: the files already written by this \
         patch were restored"
    )]
    Write {
        path: String,
        #[source]
        source: io::Error,
    },

    #[error(
        "cannot write `{path}`: {source}; restoring the files already written also failed, so \
         these may be left changed: {unrestored}. Read them to see their state before retrying"
    )]
    RollbackFailed {
        path: String,
        #[source]
        source: io::Error,
        unrestored: String,
    },
}
