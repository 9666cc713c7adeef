//! The engine's loop: one session at a time, one operation at a time.

use super::factory::{Built, Overrides, Resume, SessionFactory};
use super::ops::{ChangesError, Op, SessionState, UiMsg};
use crate::agent::{Event, Session, Status};
use crate::cancel::Canceller;
use crate::store::session_changes;
use crate::store::totals::SessionTotals;
use std::path::Path;
use tokio::sync::mpsc;

/// The running engine, as a front end holds it.
pub struct EngineHandle {
    pub ops: mpsc::UnboundedSender<Op>,
    pub canceller: Canceller,
}

impl EngineHandle {
    pub fn send(&self, op: Op) {
        // Counted before it is queued, so an interrupt that follows at once cancels this turn
        // even if the session has not started it yet.
        if matches!(op, Op::Prompt(_) | Op::Compact | Op::Workflow { .. }) {
            self.canceller.submit();
        }
        // Fails only once the engine has stopped (after `Shutdown`): nothing is left to do.
        let _ = self.ops.send(op);
    }

    /// Stops the current turn (the request is dropped, a running command's process group killed)
    /// and a turn sent but not started yet.
    pub fn interrupt(&self) {
        self.canceller.cancel();
    }
}

/// The session's own runtime, on its own thread. The session is `Send` but not `Sync` (the
/// checkpoint store holds a libgit2 handle) and its turn future borrows it across awaits, so it
/// cannot be a task of the multi-threaded runtime; a thread of its own also keeps model streaming
/// and tools off the front end's thread.
fn current_thread_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Starts the engine with a built session. `canceller` is the one the session's tools watch.
pub fn spawn(
    built: Built,
    factory: Box<dyn SessionFactory>,
    canceller: Canceller,
    ui: mpsc::UnboundedSender<UiMsg>,
) -> EngineHandle {
    let (ops, rx) = mpsc::unbounded_channel();
    let ui_fail = ui.clone();
    let engine = Engine {
        session: built.session,
        last_status: None,
        factory,
        overrides: Overrides::default(),
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
        // A front end that already went away has no one to show the failure to.
        let _ = ui_fail.send(UiMsg::Failed(format!(
            "cannot start the session thread: {e}"
        )));
    }
    EngineHandle { ops, canceller }
}

struct Engine {
    session: Session,
    /// How the last turn of the open session ended; `None` before its first turn.
    last_status: Option<Status>,
    factory: Box<dyn SessionFactory>,
    overrides: Overrides,
    canceller: Canceller,
    ui: mpsc::UnboundedSender<UiMsg>,
}

impl Engine {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Op>, warnings: Vec<String>) {
        self.opened(warnings);
        while let Some(op) = rx.recv().await {
            match op {
                Op::Prompt(p) => self.turn(p).await,
                Op::Compact => self.compact().await,
                Op::Model(key) => match self.session.switch_model(&key) {
                    Ok(label) => self.note(format!("model: {label} (the conversation is kept)")),
                    Err(e) => self.fail(format!("cannot switch to {key}: {e}")),
                },
                Op::Approval(a) => {
                    self.overrides.approval = Some(a);
                    self.session.tools_mut().set_approval(a);
                }
                Op::Sandbox(m) => {
                    // Later sessions (/clear, /resume) and their hooks and checks use it too.
                    self.overrides.sandbox = Some(m);
                    self.session.tools_mut().set_sandbox(m);
                }
                Op::New => self.reopen(Resume::New).await,
                Op::Resume(id) => self.reopen(Resume::Id(id)).await,
                Op::Diff { reload } => self.diff(reload).await,
                Op::Undo => self.undo().await,
                Op::Workflow { name, args } => self.workflow(&name, &args).await,
                Op::Shutdown => break,
            }
            self.state();
        }
        // A front end that went away without a shutdown ends the session the same way.
        self.factory.stop_servers().await;
        let mut emit = self.emitter();
        self.session.look_for_planted(&mut emit).await;
        self.finish();
        self.factory.close().await;
        // The session goes first: its transcript's last sync and its rows in the sessions index
        // are written as it drops, and a front end that hears `Closed` may end the process.
        let ui = self.ui.clone();
        drop(self);
        let _ = ui.send(UiMsg::Closed);
    }

    /// `/diff`, read from the checkpoint store off the engine's thread. Ops run one at a time,
    /// so no step is checkpointing meanwhile.
    async fn diff(&self, reload: bool) {
        let text = self
            .changes(|home, root, id| {
                session_changes::diff_command(home, root, Some(id)).map_err(ChangesError::Diff)
            })
            .await;
        self.send(UiMsg::Diff { text, reload });
    }

    /// `/undo`: the files back to before the session's last step.
    async fn undo(&self) {
        let report = self
            .changes(|home, root, id| {
                session_changes::undo_command(home, root, Some(id), None)
                    .map_err(ChangesError::Undo)
            })
            .await;
        match report {
            Ok(text) => self.note(text.trim_end().to_string()),
            Err(e) => self.fail(e.to_string()),
        }
    }

    /// Runs `job` on the checkpoint store of the open session, on a blocking thread.
    async fn changes(
        &self,
        job: impl FnOnce(&Path, &Path, &str) -> Result<String, ChangesError> + Send + 'static,
    ) -> Result<String, ChangesError> {
        let home = self
            .factory
            .home()
            .map(Path::to_path_buf)
            .ok_or(ChangesError::NoHome)?;
        let (root, id) = (
            self.session.tools().root().to_path_buf(),
            self.session.id().to_string(),
        );
        tokio::task::spawn_blocking(move || job(&home, &root, &id))
            .await
            .unwrap_or_else(|e| Err(ChangesError::Stopped(e)))
    }

    fn send(&self, msg: UiMsg) {
        // The front end went away (it quit without `Shutdown`): the session still records
        // everything in its transcript; there is only no one left to show it to.
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
            // As in `send`: events are recorded before they are sent.
            let _ = ui.send(UiMsg::Event(e));
        }
    }

    /// A session was opened: its history, then its start and any warnings.
    fn opened(&mut self, warnings: Vec<String>) {
        self.last_status = None;
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
        // A resumed session's plan, for the checklist and the `--json` stream.
        if let Some(plan) = self.session.plan() {
            let steps = plan.steps.clone();
            self.session.announce(Event::Plan { steps }, &mut emit);
        }
        self.state();
    }

    /// Ends the open session once: `session.finished` with the status of its last turn. A
    /// session that never ran a turn has nothing to finish.
    fn finish(&mut self) {
        if let Some(status) = self.last_status.take() {
            let mut emit = self.emitter();
            self.session
                .announce(self.session.finished_event(status), &mut emit);
        }
    }

    /// The spending recorded in the open session's transcript, when it has one (a resumed
    /// session); an unreadable transcript only costs the figures, with a note.
    fn earlier_totals(&self) -> Option<SessionTotals> {
        let home = self.factory.home()?;
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

    async fn turn(&mut self, prompt: crate::conversation::Prompt) {
        self.canceller.begin();
        let mut emit = self.emitter();
        // Waiting for MCP servers to start must not outlast an interrupt; the turn then ends at
        // once as interrupted, with its prompt recorded.
        let cancel = self.session.tools().cancel();
        tokio::select! {
            _ = self.factory.attach(&mut self.session, &mut emit) => {}
            _ = cancel.cancelled() => {}
        }
        let status = self.session.run_turn(prompt, &mut emit).await;
        self.last_status = Some(status);
        self.send(UiMsg::TurnDone {
            status,
            last_message: self.session.last_message().to_string(),
        });
    }

    async fn compact(&mut self) {
        self.canceller.begin();
        let mut emit = self.emitter();
        if !self.session.compact_now(&mut emit).await {
            self.note("nothing to compact yet: no request has been made".into());
        }
        self.send(UiMsg::TurnDone {
            status: Status::Done,
            last_message: String::new(),
        });
    }

    /// `/NAME`: the workflow's own session replaces the open one, then runs its task. A turn
    /// always ends, so the front end stops waiting even when the workflow cannot start.
    async fn workflow(&mut self, name: &str, args: &str) {
        match self.factory.workflow(name, args, self.overrides) {
            Ok((built, task)) => {
                self.switch_to(built).await;
                self.note(format!(
                    "workflow `{name}` runs in this new session: its checks, tools and limits apply until /clear"
                ));
                self.turn(task.into()).await;
            }
            Err(e) => {
                // The turn asked for is counted as started, so the next one is not cancelled.
                self.canceller.begin();
                self.fail(e.to_string());
                self.send(UiMsg::TurnDone {
                    status: Status::Error,
                    last_message: String::new(),
                });
            }
        }
    }

    async fn reopen(&mut self, resume: Resume) {
        match self.factory.build(resume, self.overrides) {
            Ok(built) => self.switch_to(built).await,
            Err(e) => self.fail(e.to_string()),
        }
    }

    /// Finishes the open session and opens `built` in its place.
    async fn switch_to(&mut self, built: Built) {
        // The servers go on with the next session: what they planted so far is this one's.
        let mut emit = self.emitter();
        self.session.look_for_planted(&mut emit).await;
        self.finish();
        self.session = built.session;
        self.opened(built.warnings);
    }
}
