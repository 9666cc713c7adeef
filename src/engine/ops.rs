//! What a front end asks of the engine, and what the engine tells it.

use crate::agent::session_control::ContextFill;
use crate::agent::{Event, Session, Status};
use crate::conversation::Item;
use crate::sandbox::approval::{Answer, Approval, Request};
use crate::sandbox::SandboxMode;
use crate::store::totals::SessionTotals;
use crate::store::CheckpointError;
use tokio::sync::oneshot;

/// Why `/diff` or `/undo` has nothing to show or do.
#[derive(Debug, thiserror::Error)]
pub enum ChangesError {
    #[error("REINS_HOME is not set")]
    NoHome,
    #[error("the checkpoint store failed: {0}")]
    Stopped(#[source] tokio::task::JoinError),
    #[error("no diff: {0}")]
    Diff(#[source] CheckpointError),
    #[error("nothing to undo: {0}")]
    Undo(#[source] CheckpointError),
}

/// An operation on the open session.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A user turn: its text and attached images.
    Prompt(crate::conversation::Prompt),
    Compact,
    Model(String),
    Approval(Approval),
    Sandbox(SandboxMode),
    /// Start a new session (`/clear`).
    New,
    /// Continue an earlier session (`/resume`).
    Resume(String),
    /// The session's diff (`/diff`); `reload` after a hunk was reverted in the open view.
    /// Answered by [`UiMsg::Diff`].
    Diff {
        reload: bool,
    },
    /// Restore the files to before the session's last step (`/undo`).
    Undo,
    /// Run the workflow `name` (the TUI's `/NAME ARGS`) in a new session built for it, as
    /// `reins run` would: its checks, tool list, limits and model apply until the next `/clear`.
    Workflow {
        name: String,
        args: String,
    },
    /// End the session (`session.finished` is written) and stop the engine; [`UiMsg::Closed`]
    /// follows once everything is recorded.
    Shutdown,
}

/// What the engine tells the front end.
pub enum UiMsg {
    Event(Event),
    /// The gate asks; the answer goes back on `reply`.
    Approval {
        request: Request,
        reply: oneshot::Sender<Answer>,
    },
    /// A turn ended; `last_message` is the model's final text of it.
    TurnDone {
        status: Status,
        last_message: String,
    },
    State(SessionState),
    /// The history of a session just (re)opened, for the transcript.
    History(Vec<Item>),
    /// What a resumed session had already spent, from its transcript.
    Totals(SessionTotals),
    /// The session's diff, or why there is none; `reload` as asked in [`Op::Diff`].
    Diff {
        text: Result<String, ChangesError>,
        reload: bool,
    },
    Note(String),
    Failed(String),
    /// The engine stopped after [`Op::Shutdown`]; nothing follows.
    Closed,
}

/// The figures the status line and slash commands show.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionState {
    pub id: String,
    pub model: String,
    pub approval: Approval,
    pub sandbox: SandboxMode,
    pub context: ContextFill,
    pub cost: Option<f64>,
}

impl SessionState {
    pub fn of(session: &Session) -> Self {
        let figures = session.figures();
        SessionState {
            id: session.id().to_string(),
            model: figures.model,
            approval: session.tools().approval(),
            sandbox: session.tools().sandbox_mode(),
            context: figures.context,
            cost: figures.cost,
        }
    }
}
