//! The session's history as the model reads it, with what must outlive it: every item goes to the
//! transcript as it is added (so the session can be resumed), the thread keeps what a compaction
//! must not lose (saved whenever it changes), and the model's current plan. The turn loop and the
//! tool calls add to it; compaction rewrites it through [`History::summarised`]; nothing else
//! touches the items, so the transcript and the history cannot drift apart.

use super::compact::{self, Cut};
use super::events::Event;
use super::recorder::{RecordError, Recorder};
use super::session_setup::Resumed;
use super::thread::Thread;
use crate::conversation::{Item, ToolCall};
use crate::store::transcript::Record;
use crate::types::{Plan, Subject};

/// The history, its transcript link, the thread and the plan.
pub(super) struct History {
    items: Vec<Item>,
    recorder: Recorder,
    /// What must survive compaction verbatim (goal, what the user said, decisions, files).
    thread: Thread,
    /// The model's current plan (`update_plan`).
    plan: Option<Plan>,
    /// Whether this continues an earlier session (its transcript already has a header).
    resumed: bool,
    /// The agent's name when this session is a subagent, recorded in the transcript header.
    subagent: Option<String>,
}

/// What the transcript header says besides the history's own: written with the first prompt.
pub(super) struct Meta<'a> {
    pub(super) id: &'a str,
    pub(super) workspace: &'a std::path::Path,
    pub(super) prompt: &'a str,
    /// The route's name and top rung when a router picks the models, for the cost ledger.
    pub(super) route: Option<String>,
    pub(super) top_rung: Option<crate::store::transcript::TopRung>,
    pub(super) workflow: Option<String>,
}

impl History {
    /// A new session's history, or the one `resume` brings back (its thread restored), written
    /// through `recorder`.
    pub(super) fn new(
        recorder: Recorder,
        subagent: Option<String>,
        resume: Option<Resumed>,
    ) -> Self {
        let mut history = History {
            items: Vec::new(),
            recorder,
            thread: Thread::default(),
            plan: None,
            resumed: resume.is_some(),
            subagent,
        };
        if let Some(r) = resume {
            history.items = crate::conversation::complete_tool_results(r.history);
            history.plan = r.plan;
            history.restore_thread(r.state, &r.first_prompt);
        }
        history
    }

    /// The transcript header `reins sessions` lists, written with the first prompt of a new
    /// session (a resumed one has its header).
    pub(super) fn write_meta(&self, meta: Meta<'_>) {
        if self.resumed || !self.items.is_empty() {
            return;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        // A failed write is kept by the recorder, which ends the turn at its next check
        // (`write_failed`): the user is told and no later step goes unrecorded.
        let _kept_in_failure = self.record(&Record::Meta {
            session_id: meta.id.to_string(),
            workspace: meta.workspace.display().to_string(),
            started_at: now.as_secs(),
            started_at_ns: u64::try_from(now.as_nanos()).ok(),
            prompt: meta.prompt.to_string(),
            route: meta.route,
            top_rung: meta.top_rung,
            workflow: meta.workflow,
            subagent: self.subagent.clone(),
        });
    }

    pub(super) fn items(&self) -> &[Item] {
        &self.items
    }

    pub(super) fn plan(&self) -> Option<&Plan> {
        self.plan.as_ref()
    }

    pub(super) fn set_plan(&mut self, plan: Plan) {
        self.plan = Some(plan);
    }

    /// Whether the user has said anything yet (the first prompt gets the session's preamble).
    pub(super) fn has_user_message(&self) -> bool {
        self.items.iter().any(|i| matches!(i, Item::User { .. }))
    }

    /// Appends an item and writes it to the transcript.
    pub(super) fn push(&mut self, item: Item) {
        // A failed write is kept by the recorder; the turn loop stops on it.
        let _kept = self.record(&Record::HistoryItem { item: item.clone() });
        self.items.push(item);
    }

    /// Writes a record to the transcript; a failure is also kept for [`History::write_failed`].
    fn record(&self, record: &Record) -> Result<(), RecordError> {
        self.recorder.record(record)
    }

    /// Makes everything written so far durable.
    pub(super) fn sync(&self) {
        self.recorder.sync();
    }

    /// The error that ends a turn once the transcript cannot be written.
    pub(super) fn write_failed(&self) -> Option<Event> {
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
    pub(super) fn answer_unrun(&mut self, calls: &[ToolCall]) {
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

    /// Restores the thread of a resumed session from its transcript's last `session.state`;
    /// a transcript written before there was one gives only its first prompt as the goal.
    fn restore_thread(&mut self, saved: Option<serde_json::Value>, first_prompt: &str) {
        self.thread = saved
            .and_then(|v| serde_json::from_value::<Thread>(v).ok())
            .unwrap_or_else(|| {
                let mut t = Thread::default();
                if !first_prompt.trim().is_empty() {
                    t.user_said(first_prompt);
                }
                t
            });
    }

    /// A user turn begins with `task`: the thread keeps what the user said.
    pub(super) fn user_said(&mut self, task: &str) {
        self.thread.user_said(task);
        self.save_thread();
    }

    /// Notes the paths a tool call named and those it changed (or a checkpoint found changed).
    pub(super) fn files(&mut self, named: &[String], changed: &[String]) {
        if self.thread.files(named, changed) {
            self.save_thread();
        }
    }

    /// Writes the thread to the transcript; the last one written is the one resumed.
    fn save_thread(&self) {
        if let Ok(state) = serde_json::to_value(&self.thread) {
            // Kept by the recorder on failure, which ends the turn at its next check.
            let _kept_in_failure = self.record(&Record::SessionState { state });
        }
    }

    /// Shortens the outputs of older tool calls; returns how many.
    pub(super) fn elide_old_outputs(&mut self) -> usize {
        compact::elide_old_outputs(&mut self.items)
    }

    /// What the thread keeps, in words, for the `compacted` event.
    pub(super) fn describe_thread(&self) -> String {
        self.thread.describe()
    }

    /// Replaces everything before `cut.tail` but the last user message with `summary`, followed by
    /// the thread (with the decisions the summary named and the current plan). Returns how many
    /// recent items stayed verbatim.
    pub(super) fn summarised(&mut self, cut: &Cut, summary: &str) -> usize {
        self.thread.take_decisions(summary);
        // The plan lives with the session (`update_plan`); the state carries its latest form.
        self.thread.plan = self.plan.as_ref().filter(|p| !p.steps.is_empty()).map(|p| {
            p.steps
                .iter()
                .map(|s| format!("{} {}", s.status.mark(), s.step))
                .collect::<Vec<_>>()
                .join("\n")
        });
        self.save_thread();
        let mut next = vec![
            self.items[cut.last_user].clone(),
            compact::summary_item(summary),
        ];
        if !self.thread.is_empty() {
            next.push(Item::user(self.thread.render()));
        }
        let recent = self.items.len() - cut.tail;
        next.extend(self.items.drain(cut.tail..));
        self.items = next;
        recent
    }

    /// Writes the whole history after a compaction rewrote it.
    pub(super) fn record_rewrite(&self) {
        // A failed write is kept by the recorder, which ends the turn at its next check
        // (`write_failed`): the user is told and no later step goes unrecorded.
        let _kept_in_failure = self.record(&Record::HistoryReplace {
            items: self.items.clone(),
        });
    }
}

/// The workspace paths among a call's subjects.
pub(super) fn paths(subjects: &[Subject]) -> Vec<String> {
    subjects
        .iter()
        .filter_map(|s| match s {
            Subject::Path(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}
