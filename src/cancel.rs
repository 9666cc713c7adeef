//! A cancellation signal shared by the turn loop and the tools it runs (Ctrl-C, Esc in the TUI).

use tokio::sync::watch;

/// The side that cancels.
#[derive(Debug, Clone)]
pub struct Canceller(std::sync::Arc<watch::Sender<bool>>);

/// The side that is told.
#[derive(Debug, Clone)]
pub struct Cancel(watch::Receiver<bool>);

pub fn pair() -> (Canceller, Cancel) {
    let (tx, rx) = watch::channel(false);
    (Canceller(std::sync::Arc::new(tx)), Cancel(rx))
}

impl Canceller {
    pub fn cancel(&self) {
        self.0.send_replace(true);
    }

    /// Clears a cancellation, so an interactive session can start its next turn.
    pub fn reset(&self) {
        self.0.send_replace(false);
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
