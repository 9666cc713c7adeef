//! One ACP session: the handle the request handlers use (start a turn, cancel, change the model or
//! the approval mode) and the pump that forwards what the session reports to the client.

use super::bridge::{Bridge, Output, Outputs, State};
use super::updates::{self, Translator};
use crate::agent::Status;
use crate::sandbox::approval::{Answer, Approval};
use agent_client_protocol::v1::schema::{ConfigOptionUpdate, StopReason};
use agent_client_protocol::v1::schema::{SessionConfigOption, SessionNotification, SessionUpdate};
use agent_client_protocol::Client;
use std::sync::Mutex;
use tokio::sync::{oneshot, watch};

/// The connection to the client, as the SDK hands it to handlers.
pub type Connection = agent_client_protocol::v1::ConnectionTo<Client>;

/// How a turn ended, for the prompt's response.
pub enum TurnEnd {
    Stopped(StopReason),
    /// The turn failed; the message says why.
    Failed(String),
}

/// A running session as the handlers see it.
pub struct SessionHandle {
    pub id: String,
    bridge: Bridge,
    models: Vec<String>,
    turn: Mutex<Option<oneshot::Sender<TurnEnd>>>,
    /// A `session/cancel` arrived during the current turn: it ends `cancelled` whatever happens.
    cancelled: Mutex<bool>,
    /// True while a turn runs.
    busy: watch::Sender<bool>,
    /// True once the session's engine stopped; shutdown waits for it.
    closed: watch::Sender<bool>,
    state: Mutex<State>,
}

impl SessionHandle {
    pub fn new(id: String, bridge: Bridge, models: Vec<String>, state: State) -> Self {
        SessionHandle {
            id,
            bridge,
            models,
            turn: Mutex::new(None),
            cancelled: Mutex::new(false),
            busy: watch::Sender::new(false),
            closed: watch::Sender::new(false),
            state: Mutex::new(state),
        }
    }

    /// Starts a turn; resolves when it ends. Refused while a turn runs or once the session
    /// stopped.
    pub fn prompt(
        &self,
        text: crate::conversation::Prompt,
    ) -> Result<oneshot::Receiver<TurnEnd>, &'static str> {
        if *self.closed.borrow() {
            return Err("the session has ended; load it again to continue");
        }
        let mut slot = self.turn.lock().map_err(|_| "the session is broken")?;
        if slot.is_some() {
            return Err(
                "a turn is already running in this session; cancel it or wait for it to end",
            );
        }
        let (tx, rx) = oneshot::channel();
        *slot = Some(tx);
        if let Ok(mut c) = self.cancelled.lock() {
            *c = false;
        }
        self.busy.send_replace(true);
        self.bridge.prompt(text);
        Ok(rx)
    }

    /// Stops the running turn, its command and any pending question.
    pub fn cancel(&self) {
        if let Ok(mut c) = self.cancelled.lock() {
            *c = true;
        }
        self.bridge.cancel();
    }

    pub fn approval(&self) -> Approval {
        self.state.lock().map(|s| s.approval).unwrap_or_default()
    }

    pub fn set_approval(&self, approval: Approval) {
        if let Ok(mut s) = self.state.lock() {
            s.approval = approval;
        }
        self.bridge.set_approval(approval);
    }

    /// Switches to a `[models.*]` key; `false` when the key is not one.
    pub fn set_model(&self, key: &str) -> bool {
        if !self.models.iter().any(|k| k == key) {
            return false;
        }
        if let Ok(mut s) = self.state.lock() {
            s.model = key.to_string();
        }
        self.bridge.set_model(key);
        true
    }

    pub fn config_options(&self) -> Vec<SessionConfigOption> {
        let (approval, model) = self
            .state
            .lock()
            .map(|s| (s.approval, s.model.clone()))
            .unwrap_or_default();
        super::options::config(approval, &model, &self.models)
    }

    /// Ends the session and waits (briefly) until it is recorded: a running turn is cancelled
    /// (its command killed), then `session.finished` is written.
    pub async fn shut_down(&self, grace: std::time::Duration) {
        if *self.busy.borrow() {
            self.cancel();
        }
        self.bridge.shut_down();
        let mut closed = self.closed.subscribe();
        let _ = tokio::time::timeout(grace, closed.wait_for(|c| *c)).await;
    }

    fn finish_turn(&self, status: Status, error: Option<String>) {
        let cancelled = self.cancelled.lock().map(|c| *c).unwrap_or(false);
        let end = match status {
            _ if cancelled => TurnEnd::Stopped(StopReason::Cancelled),
            Status::Done => TurnEnd::Stopped(StopReason::EndTurn),
            Status::Interrupted => TurnEnd::Stopped(StopReason::Cancelled),
            // Steps or budget ran out (with the checks still failing, for ChecksFailed).
            Status::MaxSteps | Status::Budget | Status::ChecksFailed => {
                TurnEnd::Stopped(StopReason::MaxTurnRequests)
            }
            Status::Denied => TurnEnd::Stopped(StopReason::Refusal),
            Status::Error | Status::OutputInvalid => TurnEnd::Failed(
                error.unwrap_or_else(|| "the turn failed; see the log on stderr".into()),
            ),
        };
        if let Some(tx) = self.turn.lock().ok().and_then(|mut t| t.take()) {
            let _ = tx.send(end);
        }
        self.busy.send_replace(false);
    }

    /// Records the session's figures; a model that changed other than by the client (a failed
    /// switch, a router) is announced.
    fn on_state(&self, state: State, cx: &Connection) {
        let changed = self
            .state
            .lock()
            .map(|mut s| {
                let changed = s.model != state.model;
                *s = state.clone();
                changed
            })
            .unwrap_or(false);
        if changed {
            self.notify(
                cx,
                SessionUpdate::ConfigOptionUpdate(ConfigOptionUpdate::new(self.config_options())),
            );
        }
        if let Some(u) = updates::usage(&state) {
            self.notify(cx, u);
        }
    }

    pub fn notify(&self, cx: &Connection, update: SessionUpdate) {
        let sent = cx.send_notification(SessionNotification::new(self.id.clone(), update));
        // After the client hung up (shutting down), an update that cannot go out is no news.
        if let Err(e) = sent {
            if !cx.is_incoming_closed() {
                super::log(&format!("cannot send a session update: {e}"));
            }
        }
    }
}

/// Forwards the session's outputs to the client until the session ends.
pub async fn pump(
    handle: std::sync::Arc<SessionHandle>,
    mut outputs: Outputs,
    mut translator: Translator,
    cx: Connection,
) {
    while let Some(out) = outputs.recv().await {
        match out {
            Output::Event(e) => {
                for u in translator.updates(e) {
                    handle.notify(&cx, u);
                }
            }
            Output::Approval { request, reply } => {
                let question = translator.question(&request);
                let (cx, id) = (cx.clone(), handle.id.clone());
                // Asked on a task of its own: a client that never answers holds only this call,
                // and a cancel still ends the turn (the session denies on its own).
                tokio::spawn(async move {
                    let ask = super::permission::ask(&id, &request, question.fields().await);
                    let answer = match cx.send_request(ask).block_task().await {
                        Ok(r) => super::permission::answer(&r.outcome),
                        Err(e) => Answer::Deny {
                            note: Some(format!("the editor could not be asked: {e}")),
                        },
                    };
                    let _ = reply.send(answer);
                });
            }
            Output::TurnDone(status) => handle.finish_turn(status, translator.take_error()),
            Output::State(state) => handle.on_state(state, &cx),
            Output::History(_) => {}
            Output::Note(text) => super::log(&text),
            Output::Failed(text) => super::log(&format!("error: {text}")),
            Output::Closed => break,
        }
    }
    // The session's thread is gone: a waiting prompt must not hang.
    handle.closed.send_replace(true);
    handle.finish_turn(
        Status::Error,
        Some("the session stopped unexpectedly".into()),
    );
}
