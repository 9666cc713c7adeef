//! The files an edit is about to change, as they were just before it ran, so the editor can be
//! shown the real change (whole files, old and new) when the call completes.
//!
//! It is a session participant because only the turn loop knows "just before": its events reach
//! the protocol side through a channel, when the edit may already be on disk. A file is read only
//! if the file tools could read it (inside the workspace, not a secret), is text, and is small.
//!
//! When the editor serves the files ([`ClientFiles`]), the snapshot before the call is still
//! taken from disk (the permission gate has not judged the call yet, so nothing is asked of the
//! editor). If the gate then asks the user, the editor's text replaces it before the question is
//! shown ([`Snapshots::read_editor_before`]), so the user approves the change to the buffer they see,
//! unsaved lines and files not yet on disk included. Once the call ran, the text the tool read
//! from the editor and wrote to it replace it: the diff the editor gets is the change to its own
//! text.

use super::client_files::ClientFiles;
use crate::agent::extension::{Blocked, Extension, Report, ToolUse};
use crate::conversation::ToolCall;
use crate::sandbox::SandboxPolicy;
use crate::types::{BoxFuture, Subject};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Files larger than this are not shown as diffs (an editor would choke, and it is not a review).
const MAX_BYTES: u64 = 1024 * 1024;

/// One file of a call: its content before, and after as the editor was given it.
struct Taken {
    path: PathBuf,
    before: Option<String>,
    /// What the call wrote through the editor; `None`: read the disk when the call completes.
    written: Option<String>,
}

/// The snapshots of the calls in flight, shared by the session and the protocol side.
#[derive(Clone)]
pub struct Snapshots {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    policy: SandboxPolicy,
    taken: Mutex<HashMap<String, Vec<Taken>>>,
    editor: Option<Arc<ClientFiles>>,
}

impl Snapshots {
    /// `root` is the canonical workspace root; `editor`, the client's file system when the
    /// tools use it.
    pub fn new(root: PathBuf, policy: SandboxPolicy, editor: Option<Arc<ClientFiles>>) -> Self {
        Snapshots {
            inner: Arc::new(Inner {
                root,
                policy,
                taken: Mutex::new(HashMap::new()),
                editor,
            }),
        }
    }

    pub fn root(&self) -> &std::path::Path {
        &self.inner.root
    }

    /// The content before call `call_id` of the relative `path`, if a snapshot holds it.
    pub fn before(&self, call_id: &str, path: &str) -> Option<String> {
        let abs = self.resolve(path)?;
        let taken = self.inner.taken.lock().ok()?;
        taken
            .get(call_id)?
            .iter()
            .find(|t| t.path == abs)
            .and_then(|t| t.before.clone())
    }

    /// Takes the snapshot of `call_id` (once it completed) with each file as it is now:
    /// (path, before, after).
    pub fn finish(&self, call_id: &str) -> Vec<(PathBuf, Option<String>, Option<String>)> {
        let taken = self
            .inner
            .taken
            .lock()
            .ok()
            .and_then(|mut t| t.remove(call_id))
            .unwrap_or_default();
        taken
            .into_iter()
            .map(|t| {
                let after = t.written.or_else(|| self.read(&t.path));
                (t.path, t.before, after)
            })
            .collect()
    }

    /// The gate asks the user about call `call_id`: each of its files is read from the editor
    /// (when it serves reads), so the question shows the change to the editor's text. Files the
    /// editor does not answer for keep what the disk had. Only paths the snapshot took (inside
    /// the workspace, readable) that are a plain file or absent on disk are asked for.
    pub async fn read_editor_before(&self, call_id: &str) {
        let Some(editor) = &self.inner.editor else {
            return;
        };
        let paths: Vec<PathBuf> = self
            .inner
            .taken
            .lock()
            .ok()
            .and_then(|t| {
                t.get(call_id)
                    .map(|files| files.iter().map(|f| f.path.clone()).collect())
            })
            .unwrap_or_default();
        for path in paths.into_iter().filter(|p| plain_or_absent(p)) {
            let Some(text) = editor.peek(&path).await else {
                continue;
            };
            if let Ok(mut taken) = self.inner.taken.lock() {
                let files = taken.get_mut(call_id).into_iter().flatten();
                // An empty new buffer for a name not on disk is nothing there (see
                // `ClientFiles::read_unsaved`).
                let shown =
                    |t: &&mut Taken| t.path == path && (t.before.is_some() || !text.is_empty());
                for t in files.filter(shown) {
                    t.before = Some(text.clone());
                }
            }
        }
    }

    /// The call ran: what it read from and wrote to the editor replaces the disk's view.
    fn ran(&self, call: &ToolCall) {
        let Some(editor) = &self.inner.editor else {
            return;
        };
        let mut touched = editor.take_touched();
        let Ok(mut taken) = self.inner.taken.lock() else {
            return;
        };
        for t in taken.get_mut(&call.id).into_iter().flatten() {
            if let Some(seen) = touched.remove(&t.path) {
                if seen.written.is_some() {
                    t.before = seen.read.or(t.before.take());
                    t.written = seen.written;
                }
            }
        }
    }

    /// The absolute path of a relative one, if it stays in the workspace and may be read.
    fn resolve(&self, path: &str) -> Option<PathBuf> {
        let abs = crate::sandbox::paths::resolve(&self.inner.root, path).ok()?;
        self.inner.policy.check_read(&abs).ok()?;
        Some(abs)
    }

    fn read(&self, path: &std::path::Path) -> Option<String> {
        let meta = std::fs::metadata(path).ok()?;
        if !meta.is_file() || meta.len() > MAX_BYTES {
            return None;
        }
        String::from_utf8(std::fs::read(path).ok()?).ok()
    }

    /// Records the files a call that declares edits names, as they are now.
    fn take(&self, call: &ToolUse<'_>) {
        if !call.effects.edits {
            return;
        }
        let files: Vec<Taken> = call
            .subjects
            .iter()
            .filter_map(|s| match s {
                Subject::Path(p) => self.resolve(p),
                _ => None,
            })
            .map(|path| Taken {
                before: self.read(&path),
                path,
                written: None,
            })
            .collect();
        if files.is_empty() {
            return;
        }
        if let Ok(mut taken) = self.inner.taken.lock() {
            taken.insert(call.call.id.clone(), files);
        }
    }
}

/// Whether `path` may be asked of the editor: a regular file with one link, or nothing on disk
/// (a buffer not saved yet). The tools refuse anything else, so the editor is not asked either.
fn plain_or_absent(path: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) => m.is_file() && m.nlink() == 1,
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

impl Extension for Snapshots {
    fn pre_tool<'a>(
        &'a self,
        call: &'a ToolUse<'a>,
        _report: Report<'a>,
    ) -> BoxFuture<'a, Result<(), Blocked>> {
        self.take(call);
        Box::pin(async { Ok(()) })
    }

    fn post_tool<'a>(
        &'a self,
        call: &'a ToolCall,
        _ok: bool,
        _output: &'a str,
        _report: Report<'a>,
    ) -> BoxFuture<'a, ()> {
        self.ran(call);
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::SandboxMode;

    fn snapshots(root: &std::path::Path) -> Snapshots {
        let root = root.canonicalize().unwrap();
        let policy = SandboxPolicy::new(SandboxMode::WorkspaceWrite, false, &root, Vec::new());
        Snapshots::new(root, policy, None)
    }

    /// Takes the snapshot of a `write_file` call on `path`, as the turn loop would.
    fn write(s: &Snapshots, id: &str, path: &str) {
        let call = crate::conversation::ToolCall {
            id: id.into(),
            name: "write_file".into(),
            arguments: serde_json::json!({ "path": path, "content": "x" }).to_string(),
        };
        let subjects = [Subject::Path(path.into())];
        s.take(&ToolUse {
            call: &call,
            effects: crate::types::Effects::edit(),
            subjects: &subjects,
        });
    }

    #[test]
    fn an_edit_is_seen_before_and_after() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "old\n").unwrap();
        let s = snapshots(dir.path());
        write(&s, "c1", "a.txt");
        assert_eq!(s.before("c1", "a.txt").as_deref(), Some("old\n"));
        std::fs::write(dir.path().join("a.txt"), "new\n").unwrap();
        let done = s.finish("c1");
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].1.as_deref(), Some("old\n"));
        assert_eq!(done[0].2.as_deref(), Some("new\n"));
        assert!(s.finish("c1").is_empty(), "a snapshot is taken once");
    }

    #[test]
    fn secrets_and_paths_outside_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "KEY=1\n").unwrap();
        let s = snapshots(dir.path());
        write(&s, "c1", ".env");
        write(&s, "c2", "../x");
        assert!(s.finish("c1").is_empty());
        assert!(s.finish("c2").is_empty());
    }
}
