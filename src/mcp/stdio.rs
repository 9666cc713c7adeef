//! A stdio server's process as an rmcp transport, with its stdout read here first.
//!
//! A stdio server's stdout carries JSON-RPC messages, one a line, and nothing else. Servers break
//! that rule (a log line, a banner, a server started in its HTTP mode saying where it listens),
//! and rmcp drops such a line quietly: a server that only ever writes those stalled start-up
//! until its timeout with no word of why. Every line that cannot be a message is kept here
//! ([`Junk`]) and reported with its text; the rest goes on to rmcp unchanged.
//!
//! The process runs in a process group of its own ([`crate::process_group::Group`]): dropping
//! the transport kills the whole group, and an exit that cannot wait (a second Ctrl-C) finds it.
//! Closing first closes its stdin, which a well-behaved server takes as the end.

use crate::process_group::Group;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::transport::Transport;
use rmcp::RoleClient;
use std::future::Future;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::process::{ChildStderr, ChildStdin};

/// How long a server may take to exit once its stdin is closed, before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);
/// How much of one junk line is kept for messages.
const JUNK_LINE: usize = 200;
/// The buffer between the stdout reader and rmcp; a full one holds the reader back.
const PIPE: usize = 64 * 1024;

/// What a server wrote to stdout that was not a message: the first line, and how many.
#[derive(Debug, Default)]
pub(super) struct Junk {
    pub first: Option<String>,
    pub lines: usize,
}

/// Called with each junk line (cut to [`JUNK_LINE`] characters).
pub(super) type OnJunk = Box<dyn Fn(&str) + Send + Sync>;

pub(super) struct StdioTransport {
    inner: AsyncRwTransport<RoleClient, DuplexStream, ChildStdin>,
    child: tokio::process::Child,
    /// Dropped (killing the group) after the child.
    group: Option<Group>,
}

/// Starts `cmd` (already confined, in a process group of its own): its stdin and filtered
/// stdout as the transport, its stderr for the caller to drain.
pub(super) fn spawn(
    mut cmd: tokio::process::Command,
    junk: Arc<Mutex<Junk>>,
    on_junk: OnJunk,
) -> std::io::Result<(StdioTransport, ChildStderr)> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn()?;
    let group = Group::track(child.id());
    let taken = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let (Some(stdin), Some(stdout), Some(stderr)) = taken else {
        return Err(std::io::Error::other("the server's pipes were not set up"));
    };
    let (reader, writer) = tokio::io::duplex(PIPE);
    tokio::spawn(filter(stdout, writer, junk, on_junk));
    let transport = StdioTransport {
        inner: AsyncRwTransport::new_client(reader, stdin),
        child,
        group,
    };
    Ok((transport, stderr))
}

/// Passes on every line that can be a JSON-RPC message (an object, or a batch); notes the rest.
async fn filter(
    stdout: tokio::process::ChildStdout,
    mut to_rmcp: DuplexStream,
    junk: Arc<Mutex<Junk>>,
    on_junk: OnJunk,
) {
    let mut stdout = BufReader::new(stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        match stdout.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        match line.trim_ascii_start().first() {
            Some(b'{' | b'[') if to_rmcp.write_all(&line).await.is_err() => break,
            Some(b'{' | b'[') | None => {}
            Some(_) => {
                let text = String::from_utf8_lossy(line.trim_ascii());
                let text: String = text.chars().take(JUNK_LINE).collect();
                if let Ok(mut junk) = junk.lock() {
                    junk.lines += 1;
                    junk.first.get_or_insert_with(|| text.clone());
                }
                on_junk(&text);
            }
        }
    }
    // Dropping the writer ends rmcp's stream: the server is gone.
}

impl Transport<RoleClient> for StdioTransport {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(item)
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<RoleClient>>> + Send {
        self.inner.receive()
    }

    /// Closes the server's stdin and gives it [`EXIT_GRACE`] to exit; then kills its group.
    async fn close(&mut self) -> Result<(), Self::Error> {
        self.inner.close().await?;
        let _ = tokio::time::timeout(EXIT_GRACE, self.child.wait()).await;
        self.group.take();
        Ok(())
    }
}
