//! One session: the parts that do its jobs, and the loop that runs a user turn to its end. Each
//! part owns its state ([`ModelSide`]: which model and what prompt; [`Toolbox`]: what the model
//! may call and what checks it; [`History`]: the history, its transcript and thread; [`Ledger`]:
//! what was spent and may be; [`TurnState`]: where the turn is and its limits); a model request
//! ([`Steps`]) and a tool call ([`Calls`]) borrow just the parts they use. Every public event and
//! every history item also goes to the transcript, so the session can be resumed.

use super::checkpoint_step::Checkpointer;
use super::events::{Emit, Event, Status};
use super::extension::StopVerdict;
use super::extension_set::Extensions;
use super::history::{History, Meta};
use super::ledger::Ledger;
use super::model_side::ModelSide;
use super::model_step::Steps;
use super::recorder::Recorder;
use super::repo_map_step::StartMap;
use super::session_control::{ContextFill, Figures};
use super::session_setup::SessionSetup;
use super::tool_step::{Calls, Ran};
use super::toolbox::Toolbox;
use super::turn::TurnState;
use crate::conversation::{Item, Prompt, ToolCall};

pub struct Session {
    id: String,
    model: ModelSide,
    tools: Toolbox,
    history: History,
    ledger: Ledger,
    turn: TurnState,
    /// Shared with the event sink so they can watch every event.
    extensions: Extensions,
    checkpoints: Checkpointer,
    /// Whether and how big a repository map the first request carries.
    start_map: Option<StartMap>,
    /// The transcript, shared with the event sink (the history writes through it too).
    recorder: Recorder,
    /// When the look for planted repositories last ran.
    planted: super::planted_step::PlantedWatch,
    /// Whether the sandbox's weaknesses were told.
    sandbox_notice: super::sandbox_notice::SandboxNotice,
}

impl Session {
    pub fn new(setup: SessionSetup) -> Self {
        let SessionSetup {
            model,
            mut tools,
            record,
            extensions,
            budget,
            spend,
        } = setup;
        let extensions = Extensions::new(extensions);
        let recorder = Recorder::new(record.transcript);
        let history = History::new(recorder.clone(), record.subagent, record.resume);
        let checkpoints = Checkpointer::new(tools.checkpoints.take());
        Session {
            id: record.id,
            turn: TurnState::new(model.max_steps),
            start_map: model.start_map,
            model: ModelSide::new(model, extensions.answer_format()),
            tools: Toolbox::new(tools),
            history,
            ledger: Ledger::new(budget, spend),
            extensions,
            checkpoints,
            recorder,
            planted: super::planted_step::PlantedWatch::new(),
            sandbox_notice: Default::default(),
        }
    }

    /// Makes the first refused tool call end the turn as `denied` (`--deny-exit`): a headless
    /// run cannot then report success while the agent was blocked.
    pub fn set_stop_on_denial(&mut self, stop: bool) {
        self.turn.set_stop_on_denial(stop);
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn history(&self) -> &[Item] {
        self.history.items()
    }

    /// The model's current plan, restored on resume.
    pub fn plan(&self) -> Option<&crate::types::Plan> {
        self.history.plan()
    }

    /// The last thing the assistant said.
    pub fn last_message(&self) -> &str {
        self.turn.last_text()
    }

    /// The session's tools, their context (workspace, cancel signal, sandbox mode) and the
    /// approval policy.
    pub fn tools(&self) -> &Toolbox {
        &self.tools
    }

    /// The same, to change: tools that join or leave (MCP, a review's read-only set), the
    /// approval policy and the sandbox mode.
    pub fn tools_mut(&mut self) -> &mut Toolbox {
        &mut self.tools
    }

    /// Pins `key` (a `[models.*]` key or `PROVIDER/MODEL-ID`) for the following requests,
    /// keeping the conversation. Returns the model's label.
    pub fn switch_model(&mut self, key: &str) -> Result<String, super::routing::ModelError> {
        self.model.routing.pin(key)
    }

    /// The figures a status line shows: the model, how full the context is, the cost so far.
    pub fn figures(&self) -> Figures {
        Figures {
            model: self.model.routing.initial_label(),
            context: ContextFill {
                tokens: self.model.context_tokens(self.history.items()),
                window: self.model.gauge.window(),
            },
            cost: self.ledger.cost(),
        }
    }

    pub fn started_event(&self) -> Event {
        Event::SessionStarted {
            session_id: self.id.clone(),
            cwd: self.tools.root().display().to_string(),
            model: self.model.routing.initial_label(),
        }
    }

    pub fn finished_event(&self, status: Status) -> Event {
        self.ledger.finished(status, self.turn.steps())
    }

    /// Wraps a front end's sink so every public event is also written to the transcript,
    /// counted for `session.finished` and shown to the extensions that watch.
    fn recording<'a>(&self, out: Emit<'a>) -> impl FnMut(Event) + Send + 'a {
        let recorder = self.recorder.clone();
        let tally = self.ledger.tally();
        let watchers = self.extensions.clone();
        move |e: Event| {
            tally.count(&e);
            if e.is_public() {
                recorder.event(&e);
            }
            watchers.observe(&e);
            out(e)
        }
    }

    /// Sends one event outside a turn (start, finish, warnings), recording it like the rest.
    pub fn announce(&self, event: Event, out: Emit<'_>) {
        self.recording(out)(event);
        self.history.sync();
    }

    /// Compacts the history now, whatever its size. `false` when nothing was compacted because
    /// no request has been made yet (the context window is not known).
    pub async fn compact_now(&mut self, out: Emit<'_>) -> bool {
        if self.model.gauge.window().is_none() {
            return false;
        }
        let mut sink = self.recording(out);
        self.steps().compaction().run(&mut sink, true).await;
        true
    }

    /// A model request's borrow of the session.
    fn steps(&mut self) -> Steps<'_> {
        Steps {
            model: &mut self.model,
            history: &mut self.history,
            ledger: &mut self.ledger,
            turn: &mut self.turn,
            tools: &self.tools,
            id: &self.id,
        }
    }

    /// Moves aside what the session's MCP servers planted since the last look: a server outlives
    /// turns, so it may plant after a turn's look, or as it stops. For the engine, when the
    /// servers have stopped and when it leaves this session for another; nothing to do without
    /// servers.
    pub async fn look_for_planted(&mut self, out: Emit<'_>) {
        if !self.tools.has_servers() {
            return;
        }
        let since = self.planted.last_look();
        let looked = std::time::SystemTime::now();
        let found = super::planted_step::planted_since(self.tools.context(), since).await;
        self.planted.looked(looked);
        for message in found {
            self.announce(Event::Warning { message }, out);
        }
    }

    /// Runs one user turn: model requests and tool calls until the model answers without tools,
    /// the step limit or the budget is reached, an unrecoverable error occurs, or the user
    /// interrupts.
    pub async fn run_turn(&mut self, prompt: Prompt, out: Emit<'_>) -> Status {
        let mut sink = self.recording(out);
        let emit: Emit<'_> = &mut sink;
        self.sandbox_notice
            .tell_if_known(self.tools.context(), emit);
        let Prompt { text: task, images } = prompt;
        let task = task.as_str();
        // Refused before the prompt enters the history: there it would fail every later
        // request of the session.
        if !images.is_empty() {
            if let Some(message) = self.model.routing.refuse_images() {
                emit(Event::Error {
                    message,
                    retrying: false,
                });
                return Status::Error;
            }
        }
        let first = !self.history.has_user_message();
        let mut text = if first {
            super::prompt::first_user_message(task, self.tools.root())
        } else {
            task.to_string()
        };
        if let Some(map) = self.start_map.filter(|_| first) {
            let window = self.model.routing.initial_window();
            if let Some(block) = map.block(task, window, self.tools.context()).await {
                text.push_str(&block);
            }
        }
        let (route, top_rung) = self.model.routing.ledger_route().unzip();
        let workflow = self.extensions.workflow();
        self.history.write_meta(Meta {
            id: &self.id,
            workspace: self.tools.root(),
            prompt: task,
            route,
            top_rung,
            workflow,
        });
        for context in self.extensions.context(first, task, emit).await {
            text.push_str(&format!(
                "\n\n<context source=\"hook\">\n{}\n</context>",
                context.trim_end()
            ));
        }
        self.history.user_said(task);
        self.history.push(Item::User { text, images });
        self.model.routing.user_message();
        self.turn.begin();
        let turn_started = std::time::SystemTime::now();
        let mut status = self.turn_loop(emit).await;
        if status != Status::Error {
            if let Some(error) = self.history.write_failed() {
                emit(error);
                status = Status::Error;
            }
        }
        let edits = self
            .turn
            .mutated()
            .then(|| super::sync_step::start(self.tools.context()));
        if self.turn.checkpointed() {
            self.checkpoint(crate::store::TURN_END_LABEL, emit).await;
        }
        let ctx = self.tools.context();
        let servers = self.tools.has_servers();
        if self.turn.ran_programs() || servers {
            let since = self.planted.since(turn_started, servers);
            let looked = std::time::SystemTime::now();
            super::planted_step::set_aside_planted(ctx, since, emit).await;
            self.planted.looked(looked);
        }
        if let Some(edits) = edits {
            super::sync_step::finish(edits, emit).await;
        }
        self.sandbox_notice.tell(self.tools.context(), emit);
        self.history.sync();
        status
    }

    /// Records the workspace now (see [`Checkpointer`]); the files it found changed join the
    /// thread and the repo map's focus.
    async fn checkpoint(&mut self, label: &str, emit: Emit<'_>) {
        let (tools, history) = (&self.tools, &mut self.history);
        let changed = |files: &[String]| {
            tools.touch(&[], files);
            history.files(&[], files);
        };
        let step = self.turn.steps();
        if self
            .checkpoints
            .take(&self.id, step, label, changed, emit)
            .await
        {
            self.turn.mark_checkpointed();
        }
    }

    async fn turn_loop(&mut self, emit: Emit<'_>) -> Status {
        loop {
            if self.tools.context().cancel.is_cancelled() {
                return Status::Interrupted;
            }
            if let Some(error) = self.history.write_failed() {
                emit(error);
                return Status::Error;
            }
            if let Some(message) = self.turn.out_of_steps() {
                emit(Event::Error {
                    message,
                    retrying: false,
                });
                return self.turn.ended(Status::MaxSteps);
            }
            self.model.know_window();
            self.steps().compaction().run(emit, false).await;
            let completion = match self.steps().step(emit).await {
                Ok(c) => c,
                Err(status) => return self.turn.ended(status),
            };
            if completion.tool_calls.is_empty() {
                let verdict = self.extensions.stop(self.turn.last_text(), emit).await;
                self.turn.set_unfinished(matches!(
                    verdict,
                    StopVerdict::Continue {
                        unfinished: true,
                        ..
                    }
                ));
                match verdict {
                    StopVerdict::Continue { message, .. } => {
                        self.model.routing.after_feedback();
                        self.history.push(Item::user(message));
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
            if let Some(status) = self.run_calls(&completion.tool_calls, emit).await {
                return status;
            }
        }
    }

    /// Runs a step's calls in order, checkpointing first when any may change the workspace.
    /// `Some` ends the turn: an interrupt, or a refusal under `--deny-exit` (the calls left
    /// unrun are answered as such).
    async fn run_calls(&mut self, calls: &[ToolCall], emit: Emit<'_>) -> Option<Status> {
        let reach = self.tools.reach(calls);
        if reach.programs {
            self.turn.mark_ran_programs();
            self.sandbox_notice.tell(self.tools.context(), emit);
        }
        if reach.edits {
            self.turn.mark_mutated();
            self.checkpoint(&format!("before step {}", self.turn.steps()), emit)
                .await;
        }
        self.model.routing.begin_step();
        let mut runner = Calls {
            tools: &self.tools,
            extensions: &self.extensions,
            routing: &mut self.model.routing,
            ledger: &mut self.ledger,
            history: &mut self.history,
        };
        for (i, call) in calls.iter().enumerate() {
            let stop = match runner.run(call, emit).await {
                Ran::Interrupted => Some(Status::Interrupted),
                Ran::Denied if self.turn.stop_on_denial() => {
                    emit(Event::Error {
                        message: format!(
                            "stopped: the `{}` call was refused (--deny-exit)",
                            call.name
                        ),
                        retrying: false,
                    });
                    Some(Status::Denied)
                }
                Ran::Denied | Ran::Done => None,
            };
            if stop.is_some() {
                runner.history.answer_unrun(&calls[i + 1..]);
                return stop;
            }
        }
        self.model.routing.end_step();
        None
    }
}
