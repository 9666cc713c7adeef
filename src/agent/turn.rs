//! Where the session is within its turns: the step count (over the session, and where this turn
//! started, since `max_steps` limits each turn), what this turn did that its end must follow up
//! (a checkpoint to close, planted files to set aside), whether an extension judged the work
//! unfinished, and the model's last words.

/// The session's step counter and the current turn's flags.
#[derive(Default)]
pub(super) struct TurnState {
    steps: u32,
    /// Steps taken before this turn.
    start_steps: u32,
    /// A step of this turn may have changed the workspace (ran a command or an edit).
    mutated: bool,
    /// A checkpoint was taken during this turn, so its end is recorded too.
    checkpointed: bool,
    /// An extension judged the work unfinished at the last stop (failing checks).
    unfinished: bool,
    last_text: String,
}

impl TurnState {
    /// A new user turn starts.
    pub(super) fn begin(&mut self) {
        self.unfinished = false;
        self.checkpointed = false;
        self.mutated = false;
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

    /// Steps taken in this turn.
    pub(super) fn steps_in_turn(&self) -> u32 {
        self.steps - self.start_steps
    }

    pub(super) fn mark_mutated(&mut self) {
        self.mutated = true;
    }

    pub(super) fn mutated(&self) -> bool {
        self.mutated
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

    pub(super) fn unfinished(&self) -> bool {
        self.unfinished
    }

    pub(super) fn set_last_text(&mut self, text: String) {
        self.last_text = text;
    }

    /// The last thing the assistant said.
    pub(super) fn last_text(&self) -> &str {
        &self.last_text
    }
}
