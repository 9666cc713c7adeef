//! The escalation ladder: the only state a router keeps between steps. Failures move one rung up,
//! successes move one rung back down, never below the `default` model's rung.

use super::config::RouterConfig;

/// A rung change made by the last outcome, remembered until the next decision reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Move {
    /// Escalated after this many consecutive failures.
    Up(u32),
    /// Stepped down after this many consecutive successes.
    Down(u32),
}

#[derive(Debug, Clone)]
pub(super) struct Ladder {
    rungs: Vec<String>,
    floor: usize,
    rung: usize,
    escalate_after: u32,
    deescalate_after: u32,
    failures: u32,
    successes: u32,
    pending: Option<Move>,
}

impl Ladder {
    /// `default` is the floor; if the configured ladder does not list it, it goes below the first
    /// rung so that escalation still has somewhere to go.
    pub(super) fn new(cfg: &RouterConfig) -> Self {
        let mut rungs = cfg.ladder.clone();
        let floor = match rungs.iter().position(|m| *m == cfg.default) {
            Some(i) => i,
            None => {
                rungs.insert(0, cfg.default.clone());
                0
            }
        };
        Ladder {
            rungs,
            floor,
            rung: floor,
            escalate_after: cfg.escalate_after.max(1),
            deescalate_after: cfg.deescalate_after.max(1),
            failures: 0,
            successes: 0,
            pending: None,
        }
    }

    pub(super) fn current(&self) -> &str {
        &self.rungs[self.rung]
    }

    pub(super) fn escalated(&self) -> bool {
        self.rung > self.floor
    }

    pub(super) fn at_top(&self) -> bool {
        self.rung + 1 == self.rungs.len()
    }

    pub(super) fn successes(&self) -> u32 {
        self.successes
    }

    pub(super) fn escalate_after(&self) -> u32 {
        self.escalate_after
    }

    pub(super) fn deescalate_after(&self) -> u32 {
        self.deescalate_after
    }

    /// The rung change not yet reported, if any; reporting it clears it.
    pub(super) fn take_move(&mut self) -> Option<Move> {
        self.pending.take()
    }

    pub(super) fn record(&mut self, success: bool) {
        if success {
            self.failures = 0;
            self.successes = self.successes.saturating_add(1);
            if self.escalated() && self.successes >= self.deescalate_after {
                self.rung -= 1;
                self.pending = Some(Move::Down(self.successes));
                self.successes = 0;
            }
        } else {
            self.successes = 0;
            self.failures = self.failures.saturating_add(1);
            if !self.at_top() && self.failures >= self.escalate_after {
                self.rung += 1;
                self.pending = Some(Move::Up(self.failures));
                self.failures = 0;
            }
        }
    }
}
