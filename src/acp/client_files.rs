//! The editor's file system as the file tools' [`FileAccess`], when the client offers
//! `fs.readTextFile` / `fs.writeTextFile` at initialize: reads return its buffers (unsaved text
//! included), writes go into them, so the user sees each edit in the editor and undoes it there.
//! The tools check every path before it gets here; see [`crate::tools::FileAccess`].
//!
//! The texts read and written are also kept until the call ends, so the edit's diff shown to the
//! editor is the change to its text, not to the disk ([`super::snapshots::Snapshots`]).
//!
//! Every request waits a bounded time (`reins acp --fs-timeout`, [`DEFAULT_TIMEOUT`] unless set):
//! an editor that never answers fails the tool call with a message saying so, instead of holding
//! the turn forever. The request stays unanswered on the client's side; a write that arrives
//! late may still land, which the message tells the model.

use crate::tools::{FileAccess, ToolError};
use crate::types::BoxFuture;
use agent_client_protocol::v1::schema::{
    FileSystemCapabilities, ReadTextFileRequest, WriteTextFileRequest,
};
use agent_client_protocol::JsonRpcRequest;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// How long a read or write through the editor may take when `--fs-timeout` is not given: far
/// more than an editor needs to hand over a buffer or save one, short enough that a stuck
/// client costs one failed call rather than the session.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// How long one request may wait for the editor's answer.
    timeout: Duration,
    touched: Mutex<HashMap<PathBuf, Touched>>,
}

impl ClientFiles {
    /// The client's file system, if it offers any part of it, each request answered within
    /// `timeout`. Call on the connection's runtime.
    pub fn offered(
        caps: &FileSystemCapabilities,
        cx: Connection,
        timeout: Duration,
    ) -> Option<Self> {
        if !caps.read_text_file && !caps.write_text_file {
            return None;
        }
        Some(ClientFiles {
            cx,
            session: OnceLock::new(),
            runtime: tokio::runtime::Handle::current(),
            reads: caps.read_text_file,
            writes: caps.write_text_file,
            timeout,
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

impl ClientFiles {
    /// Sends `request` from the connection's runtime and waits at most the timeout for the
    /// answer. A request that times out is dropped, which asks the client to cancel it.
    async fn ask<Req>(&self, request: Req) -> Result<Req::Response, Unanswered>
    where
        Req: JsonRpcRequest + Send + 'static,
        Req::Response: Send + 'static,
    {
        let cx = self.cx.clone();
        let limit = self.timeout;
        let sent = self.runtime.spawn(async move {
            tokio::time::timeout(limit, cx.send_request(request).block_task()).await
        });
        match sent.await {
            Ok(Ok(Ok(answer))) => Ok(answer),
            Ok(Ok(Err(e))) => Err(Unanswered::Refused(e.message)),
            Ok(Err(_elapsed)) => Err(Unanswered::TimedOut(limit)),
            Err(e) => Err(Unanswered::Lost(e.to_string())),
        }
    }

    /// The editor's text of `path`, for showing a change before it is approved: `None` when
    /// reads are not offered or the editor has no such file or does not answer. Not recorded as
    /// the call's read.
    pub async fn peek(&self, path: &Path) -> Option<String> {
        if !self.reads {
            return None;
        }
        let request = ReadTextFileRequest::new(self.session().ok()?, path.to_path_buf());
        self.ask(request).await.ok().map(|r| r.content)
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
            let text = self
                .ask(request)
                .await
                .map_err(|e| e.for_model(Doing::Read, path))?
                .content;
            self.note(path, |t| t.read = Some(text.clone()));
            Ok(text)
        })
    }

    fn read_unsaved<'a>(
        &'a self,
        path: &'a Path,
    ) -> BoxFuture<'a, Result<Option<String>, ToolError>> {
        Box::pin(async move {
            if !self.reads {
                return Ok(None);
            }
            let request = ReadTextFileRequest::new(self.session()?, path.to_path_buf());
            match self.ask(request).await {
                // An editor may answer for any name with a new, empty buffer (as if opening
                // it): empty and not on disk is nothing there.
                Ok(answer) if answer.content.is_empty() => Ok(None),
                Ok(answer) => {
                    let text = answer.content;
                    self.note(path, |t| t.read = Some(text.clone()));
                    Ok(Some(text))
                }
                // The editor has no buffer by that name either: the file does not exist.
                Err(Unanswered::Refused(_)) => Ok(None),
                Err(e) => Err(e.for_model(Doing::Read, path)),
            }
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
            self.ask(request)
                .await
                .map_err(|e| e.for_model(Doing::Write, path))?;
            self.note(path, |t| t.written = Some(text.to_string()));
            Ok(())
        })
    }
}

/// Why a request to the editor brought no answer.
#[derive(Debug, thiserror::Error)]
enum Unanswered {
    /// The editor answered with an error (its message).
    #[error("{0}")]
    Refused(String),
    #[error("no answer within {} s", .0.as_secs())]
    TimedOut(Duration),
    /// The task that sent the request died (the connection is shutting down).
    #[error("{0}")]
    Lost(String),
}

/// What was asked of the editor.
#[derive(Debug, Clone, Copy)]
enum Doing {
    Read,
    Write,
}

impl Doing {
    fn word(self) -> &'static str {
        match self {
            Doing::Read => "read",
            Doing::Write => "write",
        }
    }
}

impl Unanswered {
    /// A message for the model naming the file, what the editor said, and what to do.
    fn for_model(self, doing: Doing, path: &Path) -> ToolError {
        let (verb, shown) = (doing.word(), path.display());
        match self {
            Unanswered::Refused(why) => {
                ToolError(format!("the editor could not {verb} `{shown}`: {why}"))
            }
            Unanswered::TimedOut(limit) => {
                let after = match doing {
                    Doing::Read => "the file was not read",
                    Doing::Write => {
                        "the write may still land in the editor later: read the file again \
                         before changing it"
                    }
                };
                ToolError(format!(
                    "the editor did not answer the {verb} of `{shown}` within {} s \
                     (`reins acp --fs-timeout`); {after}",
                    limit.as_secs()
                ))
            }
            Unanswered::Lost(why) => ToolError(format!(
                "the editor could not be asked to {verb} `{shown}`: {why}"
            )),
        }
    }
}
