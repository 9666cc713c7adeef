//! How the engine gets sessions: the front end supplies a factory (its workspace, flags, approver
//! and MCP servers), and the engine asks it for a session whenever one is opened or reopened.

use crate::agent::events::Emit;
use crate::agent::Session;
use crate::sandbox::approval::Approval;
use crate::sandbox::SandboxMode;
use crate::types::BoxFuture;
use std::path::Path;

/// Which earlier session to continue.
#[derive(Debug, Clone, Default)]
pub enum Resume {
    #[default]
    New,
    Id(String),
    Latest,
}

/// A built session and the warnings to show before it starts (damaged transcript lines, cut
/// instruction files, a weaker sandbox).
pub struct Built {
    pub session: Session,
    pub warnings: Vec<String>,
}

/// Settings changed during the session (`/approval`, `/sandbox`) that sessions rebuilt by `/clear`
/// or `/resume` keep.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    pub approval: Option<Approval>,
    pub sandbox: Option<SandboxMode>,
}

/// Why a session could not be opened; the engine shows it and keeps the open session.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("workflow `{name}`: this front end cannot run workflows")]
    NoWorkflows { name: String },
    /// The front end's own reason (configuration, model, transcript, an unknown workflow),
    /// already worded for the user.
    #[error(transparent)]
    FrontEnd(Box<dyn std::error::Error + Send + Sync>),
}

/// What a front end provides so the engine can open sessions and bring them up to date.
pub trait SessionFactory: Send {
    /// A new or resumed session, with the front end's settings and these overrides.
    fn build(&self, resume: Resume, overrides: Overrides) -> Result<Built, OpenError>;
    /// Brings the session up to date before a turn (MCP servers started, their tools
    /// registered, status changes reported).
    fn attach<'a>(&'a self, session: &'a mut Session, emit: Emit<'a>) -> BoxFuture<'a, ()>;
    /// A new session for the workflow `name` with the words typed after it, and the task to
    /// send it; `Err` says why it cannot run (unknown, a variable missing).
    fn workflow(
        &self,
        name: &str,
        args: &str,
        overrides: Overrides,
    ) -> Result<(Built, String), OpenError> {
        let _ = (args, overrides);
        Err(OpenError::NoWorkflows {
            name: name.to_string(),
        })
    }
    /// `$REINS_HOME`, where transcripts live; `None` when sessions are not recorded.
    fn home(&self) -> Option<&Path>;
    /// Stops the MCP servers the sessions shared (an HTTP server's session is deleted, a stdio
    /// server's stdin closed), when the engine stops, so that the open session can look at what
    /// they left before it finishes.
    fn stop_servers(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
    /// Ends the rest of what the sessions shared, after the open session finished.
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}
