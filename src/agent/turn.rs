//! Where the session is within its turns: the step count (over the session, and where this turn
//! started, since `max_steps` limits each turn), what this turn did that its end must follow up
//! (a checkpoint to close, planted files to set aside), whether an extension judged the work
//! unfinished, the model's last words, and the rules that end a turn early.

/// The session's step counter, the current turn's flags and the turn's limits.
#[derive(Default)]
pub(super) struct TurnState {
    steps: u32,
    /// Steps taken before this turn.
    start_steps: u32,
    /// Model requests allowed in one user turn.
    max_steps: u32,
    /// End the turn as `denied` at the first refused call (`--deny-exit`).
    stop_on_denial: bool,
    /// A step of this turn may have changed the workspace (ran a command or an edit).
    mutated: bool,
    /// A step of this turn ran programs (a command, a check, an MCP server's tool): only they
    /// can plant a repository, the file tools refuse `.git` paths.
    ran_programs: bool,
    /// A checkpoint was taken during this turn, so its end is recorded too.
    checkpointed: bool,
    /// An extension judged the work unfinished at the last stop (failing checks).
    unfinished: bool,
    last_text: String,
}

impl TurnState {
    pub(super) fn new(max_steps: u32) -> Self {
        TurnState {
            max_steps,
            ..TurnState::default()
        }
    }

    pub(super) fn set_stop_on_denial(&mut self, stop: bool) {
        self.stop_on_denial = stop;
    }

    pub(super) fn stop_on_denial(&self) -> bool {
        self.stop_on_denial
    }

    /// A new user turn starts.
    pub(super) fn begin(&mut self) {
        self.unfinished = false;
        self.checkpointed = false;
        self.mutated = false;
        self.ran_programs = false;
        self.start_steps = self.steps;
    }

    /// Steps over the whole session.
    pub(super) fn steps(&self) -> u32 {
        self.steps
    }

    /// Counts a model request; returns its number.
    pub(super) fn next_step(&mut self) -> u32 {
        self.steps += 1;
        self.steps
    }

    /// The error that ends a turn which used all its steps (`--max-steps`), counted over this
    /// turn only.
    pub(super) fn out_of_steps(&self) -> Option<String> {
        let limit = self.max_steps;
        if self.steps - self.start_steps < limit {
            return None;
        }
        let steps = if limit == 1 { "step" } else { "steps" };
        Some(format!(
            "stopped after {limit} {steps} in this turn (--max-steps)"
        ))
    }

    /// How a turn that stopped with `status` ends: out of steps or budget while checks still
    /// fail is its own outcome.
    pub(super) fn ended(&self, status: super::events::Status) -> super::events::Status {
        use super::events::Status;
        match status {
            Status::MaxSteps | Status::Budget if self.unfinished => Status::ChecksFailed,
            other => other,
        }
    }

    pub(super) fn mark_mutated(&mut self) {
        self.mutated = true;
    }

    pub(super) fn mutated(&self) -> bool {
        self.mutated
    }

    pub(super) fn mark_ran_programs(&mut self) {
        self.ran_programs = true;
    }

    pub(super) fn ran_programs(&self) -> bool {
        self.ran_programs
    }

    pub(super) fn mark_checkpointed(&mut self) {
        self.checkpointed = true;
    }

    pub(super) fn checkpointed(&self) -> bool {
        self.checkpointed
    }

    pub(super) fn set_unfinished(&mut self, unfinished: bool) {
        self.unfinished = unfinished;
    }

    pub(super) fn set_last_text(&mut self, text: String) {
        self.last_text = text;
    }

    /// The last thing the assistant said.
    pub(super) fn last_text(&self) -> &str {
        &self.last_text
    }
}
