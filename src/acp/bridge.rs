//! The one place the ACP front end touches the session engine. Everything else in `acp/` speaks
//! in this file's terms (`Bridge`, `Output`), so moving to another engine changes this file only.
//!
//! The engine is [`crate::engine`]: a session on its own thread taking `Op`s and reporting
//! `UiMsg`s. The ACP session gets one participant more than other front ends,
//! [`super::snapshots::Snapshots`], which records the files an edit is about to change while the
//! turn loop waits for it (the events reach us later, when the edit may already be on disk).

use super::snapshots::Snapshots;
use crate::agent::{Event, Status};
use crate::cli::{AcpArgs, GlobalArgs};
use crate::conversation::Item;
use crate::engine::{
    self, ChannelApprover, EngineHandle, Op, Overrides, Resume, SharedApprover, UiMsg,
};
use crate::frontend::session_builder::Factory;
use crate::frontend::setup::{self, SandboxFlags};
use crate::frontend::ExitError;
use crate::sandbox::approval::{Answer, Approval, Request};
use std::path::Path;
use tokio::sync::{mpsc, oneshot};

/// What the session reports, in the order it happened.
pub enum Output {
    Event(Event),
    /// The gate asks; the answer goes back on `reply` (dropping it denies).
    Approval {
        request: Request,
        reply: oneshot::Sender<Answer>,
    },
    TurnDone(Status),
    /// The session's figures after every operation.
    State(State),
    /// The history of the session just opened (empty for a new one).
    History(Vec<Item>),
    /// Something to tell the user that is not an event (a model switched).
    Note(String),
    /// An operation failed (a model could not be switched).
    Failed(String),
    /// The session ended (after [`Bridge::shut_down`]) and was recorded; nothing follows.
    Closed,
}

/// The figures a client shows: the model, the approval policy, how full the context is.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub model: String,
    pub approval: Approval,
    pub context_tokens: u64,
    pub context_window: Option<u64>,
    pub cost: Option<f64>,
}

/// How to open a session: the editor's working directory, the command line's choices, and an
/// earlier session to continue.
pub struct OpenSpec<'a> {
    pub cwd: &'a Path,
    pub args: &'a AcpArgs,
    pub global: &'a GlobalArgs,
    pub resume: Option<String>,
    /// The editor's file system, when the client offers it: the file tools use it.
    pub files: Option<std::sync::Arc<super::client_files::ClientFiles>>,
}

/// What an opened session tells the protocol side besides its outputs.
pub struct Opened {
    pub bridge: Bridge,
    pub outputs: Outputs,
    pub id: String,
    /// The `[models.*]` keys a client may switch to.
    pub models: Vec<String>,
    pub snapshots: Snapshots,
    /// The session's own tools (MCP tools aside), whose declarations say how a call read back
    /// from a loaded history is shown (live calls carry their tool's declaration).
    pub tools: crate::tools::Registry,
}

/// Sends operations to a running session.
pub struct Bridge {
    engine: EngineHandle,
}

impl Bridge {
    /// Opens (or reopens) a session in `spec.cwd`. The session starts at once on its own thread;
    /// its first outputs are its history and its state.
    pub fn open(spec: OpenSpec<'_>) -> Result<Opened, ExitError> {
        let global = GlobalArgs {
            cd: Some(spec.cwd.to_path_buf()),
            overrides: spec.global.overrides.clone(),
            effort: spec.global.effort,
        };
        let ws = setup::workspace(&global)?;
        let sandbox = SandboxFlags::from(spec.args.sandbox);
        let (canceller, cancel) = crate::cancel::pair();
        let (ui_tx, ui_rx) = mpsc::unbounded_channel();
        let mcp = crate::frontend::mcp::start(&ws, sandbox)?;
        let models = ws.loaded.config.models.keys().cloned().collect();
        let tools =
            crate::tools::Registry::builtin().with(crate::checks::tools(&ws.loaded.config.checks));
        let root = ws
            .root
            .canonicalize()
            .map_err(|e| ExitError::usage(format!("workspace {}: {e}", ws.root.display())))?;
        let snapshots = Snapshots::new(root, setup::policy(&ws, sandbox), spec.files.clone());
        let approver = ChannelApprover::new(ui_tx.clone(), cancel.clone());
        let factory = Factory {
            telemetry: crate::telemetry::Telemetry::new(&ws.loaded.config.telemetry),
            ws,
            model: spec.args.model.model.clone(),
            route: spec.args.model.route.clone(),
            max_cost: None,
            max_steps: None,
            sandbox,
            // An editor asks: commands no rule allows wait for the user unless the config says
            // otherwise.
            default_approval: Approval::OnRequest,
            approver: SharedApprover(std::sync::Arc::new(approver)),
            cancel,
            mcp,
            // ACP never reopens a session on the same engine, so the first is the only one.
            first_only: std::sync::Mutex::new(vec![Box::new(snapshots.clone())]),
            files: spec
                .files
                .clone()
                .map(|f| f as std::sync::Arc<dyn crate::tools::FileAccess>),
        };
        let resume = spec.resume.map_or(Resume::New, Resume::Id);
        let built = factory.build_session(resume, Overrides::default())?;
        let id = built.session.id().to_string();
        if let Some(files) = &spec.files {
            files.set_session(&id);
        }
        let engine = engine::spawn(built, Box::new(factory), canceller, ui_tx);
        Ok(Opened {
            bridge: Bridge { engine },
            outputs: Outputs { rx: ui_rx },
            id,
            models,
            snapshots,
            tools,
        })
    }

    /// Starts a turn; its end arrives as [`Output::TurnDone`].
    pub fn prompt(&self, prompt: impl Into<crate::conversation::Prompt>) {
        self.engine.send(Op::Prompt(prompt.into()));
    }

    /// Stops the running turn: the model request is dropped, a running command's process group
    /// killed, a pending approval denied.
    pub fn cancel(&self) {
        self.engine.interrupt();
    }

    /// Pins a `[models.*]` key for the following requests, keeping the conversation.
    pub fn set_model(&self, key: &str) {
        self.engine.send(Op::Model(key.to_string()));
    }

    pub fn set_approval(&self, approval: Approval) {
        self.engine.send(Op::Approval(approval));
    }

    /// Ends the session: `session.finished` is written, then [`Output::Closed`] follows.
    pub fn shut_down(&self) {
        self.engine.send(Op::Shutdown);
    }
}

/// The session's outputs, read by one task.
pub struct Outputs {
    rx: mpsc::UnboundedReceiver<UiMsg>,
}

impl Outputs {
    /// The next output; `None` once the session's thread is gone.
    pub async fn recv(&mut self) -> Option<Output> {
        loop {
            if let Some(out) = convert(self.rx.recv().await?) {
                return Some(out);
            }
        }
    }
}

/// The output for a message; `None` for what a client has no use for.
fn convert(msg: UiMsg) -> Option<Output> {
    Some(match msg {
        UiMsg::Event(e) => Output::Event(e),
        UiMsg::Approval { request, reply } => Output::Approval { request, reply },
        UiMsg::TurnDone { status, .. } => Output::TurnDone(status),
        UiMsg::State(s) => Output::State(State {
            model: s.model,
            approval: s.approval,
            context_tokens: s.context.tokens,
            context_window: s.context.window,
            cost: s.cost,
        }),
        UiMsg::History(items) => Output::History(items),
        UiMsg::Note(text) => Output::Note(text),
        UiMsg::Failed(text) => Output::Failed(text),
        // What a resumed session spent before: the client is told through `State`.
        UiMsg::Totals(_) => return None,
        // ACP clients show diffs on the tool calls; the bridge never asks for the session's.
        UiMsg::Diff { .. } => return None,
        UiMsg::Closed => Output::Closed,
    })
}
