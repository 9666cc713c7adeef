//! The session side of the TUI: a task that owns the `Session`, takes operations from the UI on
//! one channel and reports back on another, so the UI never blocks on the model or a tool. This is
//! the same core `exec` drives; only the sink of its events differs.

use crate::agent::session_control::ContextFill;
use crate::agent::{Event, Session, Status};
use crate::cancel::{Cancel, Canceller};
use crate::conversation::Item;
use crate::sandbox::approval::{Answer, Approval, Approver, Request};
use crate::sandbox::SandboxMode;
use crate::store::totals::SessionTotals;
use crate::types::BoxFuture;
use crate::ui::session_builder::{self, Built, Resume, SessionOptions};
use crate::ui::setup::{SandboxFlags, Workspace};
use crate::ui::ExitError;
use tokio::sync::{mpsc, oneshot};

/// What the UI asks of the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Prompt(String),
    Compact,
    Model(String),
    Approval(Approval),
    Sandbox(SandboxMode),
    /// Start a new session (`/clear`).
    New,
    /// Continue an earlier session (`/resume`).
    Resume(String),
}

/// What the session tells the UI.
pub enum UiMsg {
    Event(Event),
    /// The gate asks; the answer goes back on `reply`.
    Approval {
        request: Request,
        reply: oneshot::Sender<Answer>,
    },
    TurnDone(Status),
    State(SessionState),
    /// The history of a session just (re)opened, for the transcript.
    History(Vec<Item>),
    /// What a resumed session spent before, read from its transcript (after `History`).
    Totals(SessionTotals),
    Note(String),
    Failed(String),
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
        SessionState {
            id: session.id().to_string(),
            model: session.model_label(),
            approval: session.approval(),
            sandbox: session.sandbox_mode(),
            context: session.context_fill(),
            cost: session.cost(),
        }
    }
}

/// Answers approval requests through the UI: the request goes out with a oneshot for the
/// answer. An interrupt or a closed UI counts as a denial, so a turn never hangs on a question.
#[derive(Clone)]
pub struct ChannelApprover {
    tx: mpsc::UnboundedSender<UiMsg>,
    cancel: Cancel,
}

impl ChannelApprover {
    pub fn new(tx: mpsc::UnboundedSender<UiMsg>, cancel: Cancel) -> Self {
        ChannelApprover { tx, cancel }
    }
}

impl Approver for ChannelApprover {
    fn ask<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Answer> {
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            let msg = UiMsg::Approval {
                request: request.clone(),
                reply,
            };
            if self.tx.send(msg).is_err() {
                return Answer::Deny { note: None };
            }
            tokio::select! {
                a = answer => a.unwrap_or(Answer::Deny { note: None }),
                _ = self.cancel.cancelled() => Answer::Deny {
                    note: Some("the user interrupted the turn".into()),
                },
            }
        })
    }
}

/// How sessions are (re)built: `/clear` and `/resume` build a new one with the same settings.
pub struct Factory {
    pub ws: Workspace,
    pub model: Option<String>,
    pub route: Option<String>,
    pub sandbox: SandboxFlags,
    pub approver: ChannelApprover,
    pub cancel: Cancel,
    /// MCP servers, started once for the whole UI; sessions rebuilt by /clear share them.
    pub mcp: std::sync::Arc<crate::mcp::McpHub>,
    /// An approval policy chosen with /approval, kept for sessions rebuilt by /clear or /resume.
    pub approval: Option<Approval>,
}

impl Factory {
    pub fn options(
        &self,
        resume: Resume,
        extensions: Vec<Box<dyn crate::agent::extension::Extension>>,
    ) -> SessionOptions {
        SessionOptions {
            model: self.model.clone(),
            route: self.route.clone(),
            max_cost: None,
            max_steps: None,
            sandbox: self.sandbox,
            resume,
            default_approval: Approval::OnRequest,
            approver: Box::new(self.approver.clone()),
            extensions,
        }
    }

    /// A session with the config's checks, hooks and MCP servers.
    pub fn build(&self, resume: Resume) -> Result<Built, ExitError> {
        let (extensions, hook_session) =
            session_builder::extensions(&self.ws, &self.cancel, self.sandbox, &self.mcp)?;
        let built = session_builder::build(
            &self.ws,
            self.options(resume, extensions),
            self.cancel.clone(),
        )?;
        hook_session.set(built.session.id());
        let mut built = built;
        if let Some(a) = self.approval {
            built.session.set_approval(a);
        }
        Ok(built)
    }
}

/// The running engine, as the UI holds it.
pub struct EngineHandle {
    pub ops: mpsc::UnboundedSender<Op>,
    pub canceller: Canceller,
}

impl EngineHandle {
    pub fn send(&self, op: Op) {
        let _ = self.ops.send(op);
    }

    /// Stops the current turn: the request is dropped, a running command's process group killed.
    pub fn interrupt(&self) {
        self.canceller.cancel();
    }
}

/// The session's own runtime, on its own thread. The session is `Send` but not `Sync` (the
/// checkpoint store holds a libgit2 handle) and its turn future borrows it across awaits, so it
/// cannot be a task of the multi-threaded runtime; a thread of its own also keeps model streaming
/// and tools off the thread that draws.
fn current_thread_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Starts the engine with a built session.
pub fn spawn(
    built: Built,
    factory: Factory,
    canceller: Canceller,
    ui: mpsc::UnboundedSender<UiMsg>,
) -> EngineHandle {
    let (ops, rx) = mpsc::unbounded_channel();
    let ui_fail = ui.clone();
    let engine = Engine {
        session: built.session,
        factory,
        canceller: canceller.clone(),
        ui,
    };
    let warnings = built.warnings;
    let spawned = std::thread::Builder::new()
        .name("reins-engine".into())
        .spawn(move || match current_thread_runtime() {
            Ok(rt) => rt.block_on(engine.run(rx, warnings)),
            Err(e) => engine.fail(format!("cannot start the session's runtime: {e}")),
        });
    if let Err(e) = spawned {
        let _ = ui_fail.send(UiMsg::Failed(format!(
            "cannot start the session thread: {e}"
        )));
    }
    EngineHandle { ops, canceller }
}

struct Engine {
    session: Session,
    factory: Factory,
    canceller: Canceller,
    ui: mpsc::UnboundedSender<UiMsg>,
}

impl Engine {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Op>, warnings: Vec<String>) {
        self.opened(warnings);
        while let Some(op) = rx.recv().await {
            match op {
                Op::Prompt(p) => self.turn(&p).await,
                Op::Compact => self.compact().await,
                Op::Model(key) => match self.session.switch_model(&key) {
                    Ok(label) => self.note(format!("model: {label} (the conversation is kept)")),
                    Err(e) => self.fail(format!("cannot switch to {key}: {e}")),
                },
                Op::Approval(a) => {
                    self.factory.approval = Some(a);
                    self.session.set_approval(a);
                }
                Op::Sandbox(m) => {
                    // Later sessions (/clear, /resume) and their hooks and checks use it too.
                    self.factory.sandbox.mode = Some(m);
                    self.session.set_sandbox(m);
                }
                Op::New => self.reopen(Resume::New),
                Op::Resume(id) => self.reopen(Resume::Id(id)),
            }
            self.state();
        }
    }

    fn send(&self, msg: UiMsg) {
        let _ = self.ui.send(msg);
    }

    fn note(&self, text: String) {
        self.send(UiMsg::Note(text));
    }

    fn fail(&self, text: String) {
        self.send(UiMsg::Failed(text));
    }

    fn state(&self) {
        self.send(UiMsg::State(SessionState::of(&self.session)));
    }

    fn emitter(&self) -> impl FnMut(Event) + Send + 'static {
        let ui = self.ui.clone();
        move |e: Event| {
            let _ = ui.send(UiMsg::Event(e));
        }
    }

    /// A session was opened: its history, then its start and any warnings.
    fn opened(&mut self, warnings: Vec<String>) {
        self.send(UiMsg::History(self.session.history().to_vec()));
        if let Some(totals) = self.earlier_totals() {
            self.send(UiMsg::Totals(totals));
        }
        let mut emit = self.emitter();
        self.session
            .announce(self.session.started_event(), &mut emit);
        for message in warnings {
            self.session.announce(Event::Warning { message }, &mut emit);
        }
        self.state();
    }

    /// The spending recorded in the open session's transcript, when it has one (a resumed
    /// session); an unreadable transcript only costs the figures, with a note.
    fn earlier_totals(&self) -> Option<SessionTotals> {
        let home = self.factory.ws.home.as_deref()?;
        let path = crate::store::transcript::transcript_path(home, self.session.id());
        if !path.exists() {
            return None;
        }
        match crate::store::totals::read(&path) {
            Ok(t) => Some(t),
            Err(e) => {
                self.note(format!("the session's earlier cost is not shown: {e}"));
                None
            }
        }
    }

    async fn turn(&mut self, prompt: &str) {
        self.canceller.reset();
        let mut emit = self.emitter();
        self.factory.mcp.attach(&mut self.session, &mut emit).await;
        let status = self.session.run_turn(prompt, &mut emit).await;
        self.session
            .announce(self.session.finished_event(status), &mut emit);
        self.send(UiMsg::TurnDone(status));
    }

    async fn compact(&mut self) {
        self.canceller.reset();
        let mut emit = self.emitter();
        if !self.session.compact_now(&mut emit).await {
            self.note("nothing to compact yet: no request has been made".into());
        }
        self.send(UiMsg::TurnDone(Status::Done));
    }

    fn reopen(&mut self, resume: Resume) {
        match self.factory.build(resume) {
            Ok(built) => {
                self.session = built.session;
                self.opened(built.warnings);
            }
            Err(e) => self.fail(e.message),
        }
    }
}
