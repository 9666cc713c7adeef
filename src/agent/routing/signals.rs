//! What the router hears about the steps so far: whether the next request plans, works or fixes,
//! how many steps in a row failed and how the last one failed, and whether the model repeats a
//! call. The session reports tool results and feedback here; [`super::Routing`] reads [`Signals`].

use crate::router::{
    failure_note, is_hard_failure, step_kind, tool_outcome, LoopDetector, Signals, StepKind,
    ToolOutcome,
};

/// The step history the router's signals are made from.
pub(super) struct StepSignals {
    loops: LoopDetector,
    first_after_user: bool,
    last_results: Vec<ToolOutcome>,
    failures: u32,
    last_failure: Option<String>,
    looping: bool,
}

impl StepSignals {
    pub(super) fn new() -> Self {
        StepSignals {
            loops: LoopDetector::new(),
            first_after_user: false,
            last_results: Vec::new(),
            failures: 0,
            last_failure: None,
            looping: false,
        }
    }

    /// The kind of the next request.
    pub(super) fn kind(&self, compact: bool) -> StepKind {
        if compact {
            StepKind::Compact
        } else {
            step_kind(self.first_after_user, &self.last_results)
        }
    }

    /// The router's inputs for a request of `kind`.
    pub(super) fn signals(
        &self,
        kind: StepKind,
        steps: u32,
        cost_usd: f64,
        context_fill_pct: f64,
    ) -> Signals {
        Signals {
            step: kind,
            consecutive_failures: self.failures,
            steps,
            cost_usd,
            context_fill_pct,
            user_model: None,
            looping: self.looping,
            last_failure: self.last_failure.clone(),
        }
    }

    /// A new user message: the next request is a `plan` step and loop detection starts over.
    pub(super) fn user_message(&mut self) {
        self.first_after_user = true;
        self.last_results.clear();
        self.loops.reset();
    }

    /// The model answered a step: the next step is no longer `plan`.
    pub(super) fn answered(&mut self) {
        self.first_after_user = false;
    }

    /// Whether this call repeats the previous two exactly.
    pub(super) fn is_loop(&mut self, name: &str, arguments: &str) -> bool {
        let looping = self.loops.observe(name, arguments);
        self.looping |= looping;
        looping
    }

    /// Feedback the harness gave the model (failing checks, a stop hook) counts as a failed
    /// `fix` step; the caller ends the step.
    pub(super) fn feedback(&mut self) {
        self.first_after_user = false;
        self.last_results = vec![("checks".to_string(), false, None)];
    }

    /// Starts a new batch of tool results.
    pub(super) fn begin_step(&mut self) {
        self.last_results.clear();
        self.looping = false;
    }

    pub(super) fn record_result(
        &mut self,
        name: &str,
        arguments: &str,
        ok: bool,
        exit: Option<crate::types::Exit>,
        output: &str,
    ) {
        let outcome = tool_outcome(name, ok, exit);
        if is_hard_failure(&outcome) {
            self.last_failure = Some(failure_note(name, arguments, outcome.2, output));
        }
        self.last_results.push(outcome);
    }

    /// Ends a batch; returns whether the step failed (a hard tool failure or a repeated call).
    pub(super) fn end_step(&mut self) -> bool {
        let failed = self.last_results.iter().any(is_hard_failure) || self.looping;
        self.failures = if failed { self.failures + 1 } else { 0 };
        failed
    }
}
