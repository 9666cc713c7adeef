//! Quitting with Ctrl+C: the first press on an idle composer arms it, a second one soon after
//! quits, and typing in between disarms it, so one stray press never ends a session.

use std::time::{Duration, Instant};

/// A second Ctrl+C within this time quits.
const QUIT_WINDOW: Duration = Duration::from_secs(2);

/// Ctrl+C on an idle composer arms quitting; a second press within [`QUIT_WINDOW`] quits. Any
/// other key typed into the composer disarms it.
#[derive(Debug, Default)]
pub struct QuitGuard {
    armed: Option<Instant>,
    quit: bool,
}

impl QuitGuard {
    /// A Ctrl+C at `now`: quits if armed recently, else arms; returns whether it quit.
    pub fn press(&mut self, now: Instant) -> bool {
        if self
            .armed
            .is_some_and(|t| now.duration_since(t) < QUIT_WINDOW)
        {
            self.quit = true;
        } else {
            self.armed = Some(now);
        }
        self.quit
    }

    pub fn disarm(&mut self) {
        self.armed = None;
    }

    /// Quits without asking (`/quit`).
    pub fn now(&mut self) {
        self.quit = true;
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }
}
