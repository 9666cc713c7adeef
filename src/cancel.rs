//! A cancellation signal shared by the turn loop and the tools it runs (Ctrl-C, Esc in the TUI,
//! an editor's `session/cancel`).
//!
//! A front end asks for a turn by sending an operation and may cancel before the session's thread
//! has started it. Clearing the signal at every turn start would swallow that cancel, so the
//! canceller counts the turns asked for ([`Canceller::submit`]) and the turns started
//! ([`Canceller::begin`]): a turn starts cancelled when a cancel arrived after it was asked for.

use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

/// The side that cancels.
#[derive(Debug, Clone)]
pub struct Canceller(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    signal: watch::Sender<bool>,
    turns: Mutex<Turns>,
}

/// Turns counted in the order they are asked for; the session starts them in that order.
#[derive(Debug, Default)]
struct Turns {
    submitted: u64,
    begun: u64,
    /// Every turn asked for up to this one was cancelled.
    cancelled_through: u64,
}

/// The side that is told.
#[derive(Debug, Clone)]
pub struct Cancel(watch::Receiver<bool>);

pub fn pair() -> (Canceller, Cancel) {
    let (tx, rx) = watch::channel(false);
    let shared = Shared {
        signal: tx,
        turns: Mutex::new(Turns::default()),
    };
    (Canceller(Arc::new(shared)), Cancel(rx))
}

impl Canceller {
    /// Stops the running turn and any turn asked for that has not started yet.
    pub fn cancel(&self) {
        let mut turns = self.turns();
        turns.cancelled_through = turns.submitted;
        self.0.signal.send_replace(true);
    }

    /// A turn was asked for (the front end sent its operation).
    pub fn submit(&self) {
        self.turns().submitted += 1;
    }

    /// The next turn asked for starts: the signal is cleared unless a cancel arrived after the
    /// turn was asked for. Counting under the lock orders it against a concurrent `cancel`.
    pub fn begin(&self) {
        let mut turns = self.turns();
        turns.begun += 1;
        let cancelled = turns.begun <= turns.cancelled_through;
        self.0.signal.send_replace(cancelled);
    }

    fn turns(&self) -> std::sync::MutexGuard<'_, Turns> {
        // The counters stay consistent whatever panicked while holding them.
        self.0.turns.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Cancel {
    /// A signal that never fires, for one-off tool runs.
    pub fn never() -> Cancel {
        let (tx, rx) = watch::channel(false);
        std::mem::forget(tx);
        Cancel(rx)
    }

    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once cancelled; pending forever otherwise.
    pub async fn cancelled(&self) {
        let mut rx = self.0.clone();
        while !*rx.borrow_and_update() {
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_between_asking_for_a_turn_and_its_start_is_kept() {
        let (canceller, cancel) = pair();
        canceller.submit();
        canceller.cancel();
        canceller.begin();
        assert!(cancel.is_cancelled());
    }

    #[test]
    fn a_cancelled_turn_does_not_cancel_the_next_one() {
        let (canceller, cancel) = pair();
        canceller.submit();
        canceller.begin();
        canceller.cancel();
        assert!(cancel.is_cancelled());
        canceller.submit();
        canceller.begin();
        assert!(!cancel.is_cancelled());
    }

    #[test]
    fn a_cancel_while_idle_is_forgotten_by_the_next_turn() {
        let (canceller, cancel) = pair();
        canceller.cancel();
        canceller.submit();
        canceller.begin();
        assert!(!cancel.is_cancelled());
    }
}
