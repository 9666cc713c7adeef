//! One session: the history, the totals, and the loop that runs a user turn to its end. Every
//! public event and every history item also goes to the transcript, so the session can be resumed.

use super::accounts::Accounts;
use super::context_gauge::ContextGauge;
use super::events::{Emit, Event, Status};
use super::extension::{Extension, StopVerdict};
use super::recorder::Recorder;
use super::routing::Routing;
use super::session_setup::SessionSetup;
use super::turn::TurnState;
use crate::conversation::{Item, Prompt, ToolSpec};
use crate::store::transcript::Record;

pub struct Session {
    pub(super) setup: SessionSetup,
    /// `setup.extensions`, shared with the event sink so they can watch every event.
    pub(super) extensions: std::sync::Arc<Vec<Box<dyn Extension>>>,
    pub(super) routing: Routing,
    recorder: Recorder,
    pub(super) specs: Vec<ToolSpec>,
    pub(super) history: Vec<Item>,
    /// Tokens, cost, duration and counts for `session.finished`.
    pub(super) accounts: Accounts,
    /// The step count and the current turn's flags (`max_steps` limits each turn).
    pub(super) turn: TurnState,
    /// The last reported context size and the model's window.
    pub(super) gauge: ContextGauge,
    pub(super) checkpoints: Option<crate::store::Checkpoints>,
    /// What must survive compaction verbatim (goal, what the user said, decisions, files).
    pub(super) thread: super::thread::Thread,
    /// Whether and how big a repository map the first request carries.
    pub(super) start_map: Option<(crate::config::MapStart, usize)>,
    /// The model's current plan (`update_plan`).
    pub(super) plan: Option<crate::types::Plan>,
    /// End the turn as `denied` at the first refused call (`--deny-exit`).
    stop_on_denial: bool,
    /// The final answer's schema as native structured output, per model.
    pub(super) native: super::native_format::NativeFormat,
}

/// How a call went, for the turn loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ran {
    /// It ran (successfully or not), or was not run for a reason other than a refusal.
    Done,
    /// A rule, the approval policy, a hook or a guard refused it.
    Denied,
}

impl Session {
    pub fn new(mut setup: SessionSetup) -> Self {
        let specs = setup.tools.registry.specs();
        let history =
            crate::conversation::complete_tool_results(std::mem::take(&mut setup.record.history));
        let recorder = Recorder::new(setup.record.transcript.take());
        let routing = std::mem::replace(&mut setup.model.routing, Routing::empty());
        let checkpoints = setup.tools.checkpoints.take();
        let plan = setup.record.plan.take();
        let format = setup.extensions.iter().find_map(|e| e.answer_format());
        let extensions = std::sync::Arc::new(std::mem::take(&mut setup.extensions));
        Session {
            setup,
            extensions,
            routing,
            recorder,
            specs,
            history,
            accounts: Accounts::new(),
            turn: TurnState::default(),
            gauge: ContextGauge::default(),
            checkpoints,
            thread: Default::default(),
            plan,
            stop_on_denial: false,
            start_map: None,
            native: super::native_format::NativeFormat::new(format),
        }
    }

    /// Makes the first refused tool call end the turn as `denied` (`--deny-exit`): a headless
    /// run cannot then report success while the agent was blocked.
    pub fn set_stop_on_denial(&mut self, stop: bool) {
        self.stop_on_denial = stop;
    }

    pub fn id(&self) -> &str {
        &self.setup.record.id
    }

    pub fn history(&self) -> &[Item] {
        &self.history
    }

    /// The model's current plan, restored on resume.
    pub fn plan(&self) -> Option<&crate::types::Plan> {
        self.plan.as_ref()
    }

    /// The last thing the assistant said.
    pub fn last_message(&self) -> &str {
        self.turn.last_text()
    }

    /// The signal the session's tools stop on.
    pub fn cancel(&self) -> crate::cancel::Cancel {
        self.setup.tools.context.cancel.clone()
    }

    /// Writes a record to the transcript.
    pub fn record(&self, record: &Record) -> Result<(), super::recorder::RecordError> {
        self.recorder.record(record)
    }

    pub fn started_event(&self) -> Event {
        Event::SessionStarted {
            session_id: self.setup.record.id.clone(),
            cwd: self.setup.tools.context.root.display().to_string(),
            model: self.routing.initial_label(),
        }
    }

    pub fn finished_event(&self, status: Status) -> Event {
        self.accounts
            .finished(status, self.turn.steps(), self.routing.totals().clone())
    }

    /// Wraps a front end's sink so every public event is also written to the transcript and
    /// shown to the extensions that watch.
    pub fn recording<'a>(&self, out: Emit<'a>) -> impl FnMut(Event) + Send + 'a {
        let recorder = self.recorder.clone();
        let tally = self.accounts.tally();
        let watchers = self.extensions.clone();
        move |e: Event| {
            tally.count(&e);
            if e.is_public() {
                recorder.event(&e);
            }
            for w in watchers.iter() {
                w.observe(&e);
            }
            out(e)
        }
    }

    /// Sends one event outside a turn (start, finish, warnings), recording it like the rest.
    pub fn announce(&self, event: Event, out: Emit<'_>) {
        self.recording(out)(event);
        self.sync_transcript();
    }

    fn sync_transcript(&self) {
        self.recorder.sync();
    }

    /// The error that ends a turn once the transcript cannot be written.
    fn transcript_failed(&self) -> Option<Event> {
        self.recorder.failure().map(|e| Event::Error {
            message: format!(
                "the transcript could not be written ({e}); the session stops so that no step \
                 goes unrecorded. Free disk space or fix the permissions of $REINS_HOME/sessions, \
                 then continue with `reins exec --continue` or `reins --continue`."
            ),
            retrying: false,
        })
    }

    /// Every tool call needs a result before the next request (both APIs reject the history
    /// otherwise): calls an interrupt left unrun are answered as such.
    fn answer_unrun(&mut self, calls: &[crate::conversation::ToolCall]) {
        for call in calls {
            self.push(Item::ToolResult {
                call_id: call.id.clone(),
                name: call.name.clone(),
                output: "not run: the user interrupted the turn".into(),
                is_error: true,
                images: Vec::new(),
            });
        }
    }

    /// The transcript header `reins sessions` lists, written with the first prompt.
    fn write_meta(&self, prompt: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let (route, top_rung) = self.routing.ledger_route().unzip();
        // A failed write is kept by the recorder, which ends the turn at its next check
        // (`transcript_failed`): the user is told and no later step goes unrecorded.
        let _kept_in_failure = self.record(&Record::Meta {
            session_id: self.setup.record.id.clone(),
            workspace: self.setup.tools.context.root.display().to_string(),
            started_at: now.as_secs(),
            started_at_ns: u64::try_from(now.as_nanos()).ok(),
            prompt: prompt.to_string(),
            route,
            top_rung,
            workflow: self
                .extensions
                .iter()
                .find_map(|e| e.workflow())
                .map(str::to_string),
            subagent: self.setup.record.subagent.clone(),
        });
    }

    pub(super) fn push(&mut self, item: Item) {
        // A failed write is kept by the recorder; the turn loop stops on it.
        let _kept = self.record(&Record::HistoryItem { item: item.clone() });
        self.history.push(item);
    }

    /// Runs one user turn: model requests and tool calls until the model answers without tools,
    /// the step limit or the budget is reached, an unrecoverable error occurs, or the user
    /// interrupts.
    pub async fn run_turn(&mut self, prompt: Prompt, out: Emit<'_>) -> Status {
        let mut sink = self.recording(out);
        let emit: Emit<'_> = &mut sink;
        let Prompt { text: task, images } = prompt;
        let task = task.as_str();
        // Refused before the prompt enters the history: there it would fail every later
        // request of the session.
        if !images.is_empty() {
            if let Some(message) = self.routing.refuse_images() {
                emit(Event::Error {
                    message,
                    retrying: false,
                });
                return Status::Error;
            }
        }
        let first = !self.history.iter().any(|i| matches!(i, Item::User { .. }));
        let mut text = if first {
            super::prompt::first_user_message(task, &self.setup.tools.context.root)
        } else {
            task.to_string()
        };
        if first {
            if let Some(map) = self.start_map_block(task).await {
                text.push_str(&map);
            }
        }
        if !self.setup.record.resumed && self.history.is_empty() {
            self.write_meta(task);
        }
        for context in self.extension_context(first, task, emit).await {
            text.push_str(&format!(
                "\n\n<context source=\"hook\">\n{}\n</context>",
                context.trim_end()
            ));
        }
        self.thread.user_said(task);
        self.save_thread();
        self.push(Item::User { text, images });
        self.routing.user_message();
        self.turn.begin();
        let turn_started = std::time::SystemTime::now();
        let mut status = self.turn_loop(emit).await;
        if status != Status::Error {
            if let Some(error) = self.transcript_failed() {
                emit(error);
                status = Status::Error;
            }
        }
        if self.turn.checkpointed() {
            self.checkpoint(crate::store::TURN_END_LABEL, emit).await;
        }
        if self.turn.mutated() {
            self.set_aside_planted(turn_started, emit).await;
        }
        self.sync_transcript();
        status
    }

    /// Context the extensions add to a prompt: at session start, and for every prompt.
    async fn extension_context(&self, first: bool, task: &str, emit: Emit<'_>) -> Vec<String> {
        let mut out = Vec::new();
        for ext in self.extensions.iter() {
            if first {
                out.extend(ext.session_start(emit).await);
            }
            out.extend(ext.user_prompt(task, emit).await);
        }
        out
    }

    /// Asks every extension whether the turn may end: their messages go to the model as one
    /// `Continue`; the first `Fail` (an answer that broke its contract for good) ends the turn.
    async fn stop_verdict(&mut self, emit: Emit<'_>) -> StopVerdict {
        let mut messages = Vec::new();
        let mut unfinished = false;
        let mut failure = None;
        for ext in self.extensions.iter() {
            match ext.stop(self.turn.last_text(), emit).await {
                StopVerdict::Done => {}
                StopVerdict::Continue {
                    message,
                    unfinished: u,
                } => {
                    messages.push(message);
                    unfinished |= u;
                }
                StopVerdict::Fail { message } => failure = failure.or(Some(message)),
            }
        }
        self.turn.set_unfinished(unfinished);
        match failure {
            Some(message) => StopVerdict::Fail { message },
            None if messages.is_empty() => StopVerdict::Done,
            None => StopVerdict::Continue {
                message: messages.join("\n\n"),
                unfinished,
            },
        }
    }

    /// Out of steps or budget while checks still fail is its own outcome.
    fn ended(&self, status: Status) -> Status {
        match status {
            Status::MaxSteps | Status::Budget if self.turn.unfinished() => Status::ChecksFailed,
            other => other,
        }
    }

    async fn turn_loop(&mut self, emit: Emit<'_>) -> Status {
        loop {
            if self.setup.tools.context.cancel.is_cancelled() {
                return Status::Interrupted;
            }
            if let Some(error) = self.transcript_failed() {
                emit(error);
                return Status::Error;
            }
            if self.turn.steps_in_turn() >= self.setup.model.max_steps {
                let limit = self.setup.model.max_steps;
                let steps = if limit == 1 { "step" } else { "steps" };
                emit(Event::Error {
                    message: format!("stopped after {limit} {steps} in this turn (--max-steps)"),
                    retrying: false,
                });
                return self.ended(Status::MaxSteps);
            }
            if self.gauge.window().is_none() {
                self.gauge.set_window(self.routing.initial_window());
            }
            self.maybe_compact(emit, false).await;
            let completion = match self.step(emit).await {
                Ok(c) => c,
                Err(status) => return self.ended(status),
            };
            if completion.tool_calls.is_empty() {
                match self.stop_verdict(emit).await {
                    StopVerdict::Continue { message, .. } => {
                        self.routing.after_feedback();
                        self.push(Item::user(message));
                        continue;
                    }
                    StopVerdict::Done => return Status::Done,
                    StopVerdict::Fail { message } => {
                        emit(Event::Error {
                            message,
                            retrying: false,
                        });
                        return Status::OutputInvalid;
                    }
                }
            }
            if self.mutates_any(&completion.tool_calls) {
                self.turn.mark_mutated();
                self.checkpoint(&format!("before step {}", self.turn.steps()), emit)
                    .await;
            }
            self.routing.begin_step();
            for (i, call) in completion.tool_calls.iter().enumerate() {
                let ran = self.run_tool(call, emit).await;
                let stop = match ran {
                    Err(()) => Some(Status::Interrupted),
                    Ok(Ran::Denied) if self.stop_on_denial => {
                        emit(Event::Error {
                            message: format!(
                                "stopped: the `{}` call was refused (--deny-exit)",
                                call.name
                            ),
                            retrying: false,
                        });
                        Some(Status::Denied)
                    }
                    Ok(_) => None,
                };
                if let Some(status) = stop {
                    self.answer_unrun(&completion.tool_calls[i + 1..]);
                    return status;
                }
            }
            self.routing.end_step();
            self.sync_transcript();
        }
    }
}
