//! What an interactive front end changes or asks between turns: switch the model, compact now,
//! change the approval policy or the sandbox mode, and the figures its status line shows. Kept out
//! of `session.rs` so the turn loop stays about turns.

use super::events::Emit;
use super::session::Session;
use crate::sandbox::approval::Approval;
use crate::sandbox::SandboxMode;

/// How full the context is: tokens the next request would carry, and the model's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextFill {
    pub tokens: u64,
    pub window: Option<u64>,
}

impl Session {
    /// Pins `key` (a `[models.*]` key or `PROVIDER/MODEL-ID`) for the following requests,
    /// keeping the conversation. Returns the model's label.
    pub fn switch_model(&mut self, key: &str) -> Result<String, super::routing::ModelError> {
        self.routing.pin(key)
    }

    /// The model the next request goes to when no router decides otherwise.
    /// The workspace root the session's tools work in.
    pub fn workspace(&self) -> &std::path::Path {
        &self.setup.tools.context.root
    }

    pub fn model_label(&self) -> String {
        self.routing.initial_label()
    }

    /// Compacts the history now, whatever its size. `false` when nothing was compacted because
    /// no request has been made yet (the context window is not known).
    pub async fn compact_now(&mut self, out: Emit<'_>) -> bool {
        if self.gauge.window().is_none() {
            return false;
        }
        let mut sink = self.recording(out);
        self.maybe_compact(&mut sink, true).await;
        true
    }

    pub fn approval(&self) -> Approval {
        self.setup.tools.gate.approval()
    }

    /// Changes the approval policy for the rest of the session.
    pub fn set_approval(&mut self, approval: Approval) {
        self.setup.tools.gate.set_approval(approval);
    }

    pub fn sandbox_mode(&self) -> SandboxMode {
        self.setup.tools.context.policy.mode
    }

    /// Changes the sandbox mode for the commands and file tools that run from now on.
    pub fn set_sandbox(&mut self, mode: SandboxMode) {
        self.setup.tools.context.policy.mode = mode;
    }

    pub fn context_fill(&self) -> ContextFill {
        ContextFill {
            tokens: self.context_tokens(),
            window: self.gauge.window(),
        }
    }

    /// The session's cost so far; `None` when no model with known prices was used.
    pub fn cost(&self) -> Option<f64> {
        self.accounts.cost()
    }
}
