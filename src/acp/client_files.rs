//! The editor's file system as the file tools' [`FileAccess`], when the client offers
//! `fs.readTextFile` / `fs.writeTextFile` at initialize: reads return its buffers (unsaved text
//! included), writes go into them, so the user sees each edit in the editor and undoes it there.
//! The tools check every path before it gets here; see [`crate::tools::FileAccess`].
//!
//! The texts read and written are also kept until the call ends, so the edit's diff shown to the
//! editor is the change to its text, not to the disk ([`super::snapshots::Snapshots`]).

use crate::tools::{FileAccess, ToolError};
use crate::types::BoxFuture;
use agent_client_protocol::v1::schema::{
    FileSystemCapabilities, ReadTextFileRequest, WriteTextFileRequest,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The connection to the client (as [`super::session::Connection`] names it; spelled out so
/// this file does not import the session it serves).
type Connection = agent_client_protocol::v1::ConnectionTo<agent_client_protocol::Client>;

/// What one call read and wrote of a file through the editor.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Touched {
    /// The editor's text when the call last read it.
    pub read: Option<String>,
    /// The text the call last wrote.
    pub written: Option<String>,
}

/// The client's file system for one session.
pub struct ClientFiles {
    cx: Connection,
    /// Set once the session has its id (after it is built, before its first turn).
    session: OnceLock<String>,
    /// The connection's runtime: requests are sent from there, whichever thread runs the tool.
    runtime: tokio::runtime::Handle,
    reads: bool,
    writes: bool,
    touched: Mutex<HashMap<PathBuf, Touched>>,
}

impl ClientFiles {
    /// The client's file system, if it offers any part of it. Call on the connection's runtime.
    pub fn offered(caps: &FileSystemCapabilities, cx: Connection) -> Option<Self> {
        if !caps.read_text_file && !caps.write_text_file {
            return None;
        }
        Some(ClientFiles {
            cx,
            session: OnceLock::new(),
            runtime: tokio::runtime::Handle::current(),
            reads: caps.read_text_file,
            writes: caps.write_text_file,
            touched: Mutex::default(),
        })
    }

    pub fn set_session(&self, id: &str) {
        let _ = self.session.set(id.to_string());
    }

    /// What was read and written through the editor since the last call, cleared.
    pub fn take_touched(&self) -> HashMap<PathBuf, Touched> {
        self.touched
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default()
    }

    fn note(&self, path: &Path, record: impl FnOnce(&mut Touched)) {
        if let Ok(mut t) = self.touched.lock() {
            record(t.entry(path.to_path_buf()).or_default());
        }
    }

    fn session(&self) -> Result<String, ToolError> {
        self.session
            .get()
            .cloned()
            .ok_or_else(|| ToolError::new("the editor's session is not ready yet; try again"))
    }
}

impl FileAccess for ClientFiles {
    fn reads(&self) -> bool {
        self.reads
    }

    fn writes(&self) -> bool {
        self.writes
    }

    fn read_text<'a>(&'a self, path: &'a Path) -> BoxFuture<'a, Result<String, ToolError>> {
        Box::pin(async move {
            let request = ReadTextFileRequest::new(self.session()?, path.to_path_buf());
            let cx = self.cx.clone();
            let sent = self
                .runtime
                .spawn(async move { cx.send_request(request).block_task().await });
            let text = answered(sent.await, "read", path)?.content;
            self.note(path, |t| t.read = Some(text.clone()));
            Ok(text)
        })
    }

    fn write_text<'a>(
        &'a self,
        path: &'a Path,
        text: &'a str,
    ) -> BoxFuture<'a, Result<(), ToolError>> {
        Box::pin(async move {
            let request =
                WriteTextFileRequest::new(self.session()?, path.to_path_buf(), text.to_string());
            let cx = self.cx.clone();
            let sent = self
                .runtime
                .spawn(async move { cx.send_request(request).block_task().await });
            answered(sent.await, "write", path)?;
            self.note(path, |t| t.written = Some(text.to_string()));
            Ok(())
        })
    }
}

/// The client's answer, or a message for the model naming the file and what the editor said.
fn answered<T>(
    sent: Result<Result<T, agent_client_protocol::Error>, tokio::task::JoinError>,
    what: &str,
    path: &Path,
) -> Result<T, ToolError> {
    match sent {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(e)) => Err(ToolError(format!(
            "the editor could not {what} `{}`: {}",
            path.display(),
            e.message
        ))),
        Err(e) => Err(ToolError(format!(
            "the editor could not be asked to {what} `{}`: {e}",
            path.display()
        ))),
    }
}
