//! The app's link to the engine running the session: it sends operations, knows whether a turn
//! is running and which session is open, and holds what waits for either (prompts typed during a
//! turn, the command line's prompt until the session opens). Kept apart from the widgets so the
//! rules of when something may be sent read in one place.

use crate::conversation::Prompt;
use crate::engine::{EngineHandle, Op};
use std::collections::VecDeque;

/// What kind of opening the welcome line greets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Welcome {
    New,
    Resumed,
}

/// What the user asked for must wait: a turn is running.
#[derive(Debug, thiserror::Error)]
#[error("{what} waits for the turn to end (Esc interrupts it)")]
pub struct Busy {
    what: String,
}

/// The engine handle and the state of the session behind it, as the UI sees it.
pub struct SessionLink {
    engine: EngineHandle,
    working: bool,
    /// Prompts typed while a turn runs, sent one per turn after it.
    queued: VecDeque<Prompt>,
    id: String,
    /// Whether the open session holds a conversation worth resuming (for the hint on quit).
    has_conversation: bool,
    /// A prompt from the command line, sent once the session has opened.
    first_prompt: Option<Prompt>,
    /// A session was (re)opened and its welcome line waits for the session's settings.
    welcome: Option<Welcome>,
}

impl SessionLink {
    pub fn new(engine: EngineHandle) -> Self {
        SessionLink {
            engine,
            working: false,
            queued: VecDeque::new(),
            id: String::new(),
            has_conversation: false,
            first_prompt: None,
            welcome: None,
        }
    }

    /// Sends an operation that does not start a turn.
    pub fn send(&self, op: Op) {
        self.engine.send(op);
    }

    /// Sends an operation that runs a turn (a prompt, a compaction, a workflow).
    pub fn start(&mut self, op: Op) {
        if matches!(op, Op::Prompt(_)) {
            self.has_conversation = true;
        }
        self.working = true;
        self.engine.send(op);
    }

    /// Refuses what must not run during a turn, with the reason.
    pub fn idle(&self, what: &str) -> Result<(), Busy> {
        match self.working {
            true => Err(Busy {
                what: what.to_string(),
            }),
            false => Ok(()),
        }
    }

    /// Stops the running turn (its model request and any command it runs).
    pub fn interrupt(&self) {
        self.engine.interrupt();
    }

    pub fn is_working(&self) -> bool {
        self.working
    }

    /// Keeps `prompt` for after the running turn.
    pub fn queue(&mut self, prompt: Prompt) {
        self.queued.push_back(prompt);
    }

    /// The turn ended: the next queued prompt, if any, to send now.
    pub fn turn_ended(&mut self) -> Option<Prompt> {
        self.working = false;
        self.queued.pop_front()
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn set_id(&mut self, id: String) {
        self.id = id;
    }

    /// A session was (re)opened with `items` of history: its welcome line waits for the
    /// session's settings.
    pub fn opened(&mut self, has_history: bool) {
        self.has_conversation = has_history;
        self.welcome = Some(if has_history {
            Welcome::Resumed
        } else {
            Welcome::New
        });
    }

    /// Sends `prompt` as soon as the session has opened (`reins "PROMPT" --image FILE`).
    pub fn submit_when_open(&mut self, prompt: Prompt) {
        self.first_prompt = Some(prompt);
    }

    /// Once the opened session's settings arrived: the welcome to show, and the command
    /// line's prompt to send after it.
    pub fn take_welcome(&mut self) -> Option<(Welcome, Option<Prompt>)> {
        let welcome = self.welcome.take()?;
        Some((welcome, self.first_prompt.take()))
    }

    /// What to print once the terminal is restored: how to come back to this session.
    pub fn resume_hint(&self) -> Option<String> {
        (self.has_conversation && !self.id.is_empty())
            .then(|| format!("to resume this session: reins --resume {}", self.id))
    }
}
