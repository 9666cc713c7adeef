//! Routing the engine's messages into the app: events to the screen (and the session's id to
//! the link), approval requests to the modal, the end of a turn to everything that waits for it,
//! the history and totals of a (re)opened session, and the welcome line.

use super::app::App;
use super::overlay::Overlay;
use super::transcript::Level;
use crate::agent::Event;
use crate::engine::{SessionState, UiMsg};

impl App {
    pub fn on_engine(&mut self, msg: UiMsg) {
        let screen = &mut self.screen;
        match msg {
            UiMsg::Event(e) => {
                if let Event::SessionStarted { session_id, .. } = &e {
                    self.session.set_id(session_id.clone());
                }
                screen.on_event(e);
            }
            UiMsg::Approval { request, reply } => {
                let explanation = screen.transcript.cells().explanation_for(&request.id);
                let modal = self.approvals.modal(request, explanation, &self.theme);
                self.overlay.open(Overlay::Approval {
                    modal: Box::new(modal),
                    reply: Some(reply),
                });
            }
            UiMsg::TurnDone { status, .. } => {
                let next = self.session.turn_ended();
                self.overlay.close_approval();
                screen.turn_ended(status);
                if let Some(next) = next {
                    let shown = next.text.clone();
                    self.send_prompt(&shown, next);
                }
            }
            UiMsg::Closed => {}
            UiMsg::State(s) => self.on_state(s),
            UiMsg::History(items) => {
                self.session.opened(!items.is_empty());
                self.approvals.forget();
                screen.show_history(&items);
            }
            UiMsg::Totals(t) => {
                screen.status.restore(&t);
                screen.routes.restore(t.routes);
            }
            UiMsg::Diff { text, reload } => {
                if let Some((level, text)) = self.overlay.show_diff(text, reload, &self.ctx.root) {
                    screen.note(level, text);
                }
            }
            UiMsg::Note(text) => screen.note(Level::Info, text),
            UiMsg::Failed(text) => screen.note(Level::Error, text),
        }
    }

    fn on_state(&mut self, s: SessionState) {
        self.session.set_id(s.id);
        let status = &mut self.screen.status;
        if !self.session.is_working() || status.model.is_empty() {
            status.model = s.model;
        }
        status.approval = s.approval;
        status.sandbox = s.sandbox;
        if s.context.window.is_some() {
            status.window = s.context.window;
        }
        // The engine sends the state right after a session opens: greet it, then send the
        // prompt given on the command line.
        if let Some((welcome, first_prompt)) = self.session.take_welcome() {
            self.screen.welcome(welcome, self.session.id());
            if let Some(prompt) = first_prompt {
                let text = prompt.text;
                self.submit_as(&text.clone(), text, prompt.images);
            }
        }
    }
}
