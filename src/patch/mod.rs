//! The `apply_patch` engine: the file-editing format OpenAI models are trained to write (as in
//! Codex CLI). A patch is parsed, every change is computed in memory, and only then written, so
//! it applies whole or not at all. Parsing and matching are lenient where models are sloppy
//! (padding, wrappers, whitespace, typographic punctuation) and strict where a guess could corrupt
//! a file (missing or ambiguous context, existing targets); every refusal says what to do next.
//!
//! ```text
//! *** Begin Patch
//! *** Add File: path/new.rs
//! +line
//! *** Update File: src/lib.rs
//! *** Move to: src/core.rs
//! @@ fn parse(
//!  context line
//! -old line
//! +new line
//! *** End of File
//! *** Delete File: old.txt
//! *** End Patch
//! ```

mod commit;
mod envelope;
mod error;
mod hint;
mod hunks;
mod normalize;
mod parse;
pub mod seek;
mod stage;
mod text;
mod udiff;

use std::path::PathBuf;

use crate::sandbox::beneath::Beneath;

pub use error::PatchError;
pub use parse::{parse, Chunk, FileOp, Patch};
pub use stage::Texts;

/// One file's effect, in the order of the patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Workspace-relative: the path as written in the patch minus a leading `./` (an absolute
    /// path inside the workspace is made relative); after a move, the destination.
    pub path: String,
    pub kind: ChangeKind,
    /// A unified diff of the change, for the model and the user to review.
    pub diff: String,
}

/// What happened to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    Add,
    Delete,
    Update { moved_from: Option<String> },
}

/// Why the caller's policy refuses a path in a patch: its own error, worded for the model.
pub type Refusal = Box<dyn std::error::Error + Send + Sync>;

/// Parses and applies `text` atomically. `resolve` maps a path as written in the patch to a path
/// relative to the root of `fs` (the workspace handle), refusing paths the policy forbids with a
/// message for the model; every read and write then goes through `fs`, so a symlink swapped in
/// after the check is refused rather than followed. Nothing is written unless every section
/// succeeds; a failed write restores the files already written.
pub fn apply(
    text: &str,
    resolve: &dyn Fn(&str) -> Result<PathBuf, Refusal>,
    fs: &Beneath,
) -> Result<Vec<FileChange>, PatchError> {
    apply_over(text, resolve, fs, &Texts::new())
}

/// [`apply`] to files whose current text is in `texts` (an editor's buffers, by relative path)
/// rather than on disk; the result is written to disk.
pub fn apply_over(
    text: &str,
    resolve: &dyn Fn(&str) -> Result<PathBuf, Refusal>,
    fs: &Beneath,
    texts: &Texts,
) -> Result<Vec<FileChange>, PatchError> {
    let patch = parse(text)?;
    let mut stage = stage::Stage::new(resolve, fs, texts);
    let changes = run(&patch, &mut stage)?;
    commit::commit(fs, &stage.steps())?;
    Ok(changes)
}

/// A file a staged patch writes or removes, for a caller that writes somewhere other than the
/// disk (an editor's buffers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// Relative to the root of the handle.
    pub rel: PathBuf,
    /// The path as the patch names it, for messages.
    pub display: String,
    /// The new content, or `None` to remove the file.
    pub content: Option<Vec<u8>>,
    /// The content before, to restore after a failed write; `None` if the file was absent.
    pub original: Option<Vec<u8>>,
}

/// Parses and checks `text` against the files (their current text in `texts` where given) as
/// [`apply_over`] does, writing nothing: the changes, and the writes that would make them, in
/// the order [`apply`] performs them.
pub fn stage_over(
    text: &str,
    resolve: &dyn Fn(&str) -> Result<PathBuf, Refusal>,
    fs: &Beneath,
    texts: &Texts,
) -> Result<(Vec<FileChange>, Vec<Write>), PatchError> {
    let patch = parse(text)?;
    let mut stage = stage::Stage::new(resolve, fs, texts);
    let changes = run(&patch, &mut stage)?;
    let writes = stage
        .steps()
        .iter()
        .map(|s| Write {
            rel: s.rel.to_path_buf(),
            display: s.display.to_string(),
            content: s.write.map(<[u8]>::to_vec),
            original: s.original.map(|(bytes, _)| bytes.to_vec()),
        })
        .collect();
    Ok((changes, writes))
}

fn run(patch: &Patch, stage: &mut stage::Stage<'_>) -> Result<Vec<FileChange>, PatchError> {
    patch.ops.iter().map(|op| stage.run(op)).collect()
}

/// Every path a patch text adds, deletes, updates or moves to; none when it does not parse.
pub fn paths(patch: &str) -> Vec<String> {
    let Ok(parsed) = parse(patch) else {
        return Vec::new();
    };
    parsed
        .ops
        .iter()
        .flat_map(|op| match op {
            FileOp::Add { path, .. } | FileOp::Delete { path } => vec![path.clone()],
            FileOp::Update { path, move_to, .. } => std::iter::once(path.clone())
                .chain(move_to.clone())
                .collect(),
        })
        .collect()
}
