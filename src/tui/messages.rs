//! Routing the engine's messages into the app: events to the transcript and the status line,
//! approval requests to the modal (and the user's answer back), the history and totals of a
//! (re)opened session, and the welcome line.

use super::app::{App, Overlay, Welcome};
use super::approval::ApprovalModal;
use super::status::approval_name;
use super::transcript::Level;
use crate::agent::{Event, Status as TurnStatus};
use crate::conversation::Item;
use crate::engine::{SessionState, UiMsg};
use crate::sandbox::approval::{Answer, Request};
use tokio::sync::oneshot;

impl App {
    pub fn on_engine(&mut self, msg: UiMsg) {
        match msg {
            UiMsg::Event(e) => self.on_event(e),
            UiMsg::Approval { request, reply } => self.ask(request, reply),
            UiMsg::TurnDone { status, .. } => self.turn_done(status),
            UiMsg::Closed => {}
            UiMsg::State(s) => self.on_state(s),
            UiMsg::History(items) => self.show_history(&items),
            UiMsg::Totals(t) => {
                self.status.restore(&t);
                self.routes = t
                    .routes
                    .into_iter()
                    .map(|(step, model, reason)| (step as u32, model, reason))
                    .collect();
            }
            UiMsg::Diff { text, reload } => self.show_diff(text, reload),
            UiMsg::Note(text) => self.note(Level::Info, text),
            UiMsg::Failed(text) => self.note(Level::Error, text),
        }
    }

    /// Opens the approval modal with what the model said before the call and how often the
    /// same request came before in this session.
    fn ask(&mut self, request: Request, reply: oneshot::Sender<Answer>) {
        let key = format!("{}\u{0}{}", request.tool, request.arguments);
        let repeat = self.asked.entry(key).or_default();
        *repeat += 1;
        let repeat = *repeat;
        let explanation = self.transcript.cells().explanation_for(&request.id);
        let mut modal = ApprovalModal::new(request, &self.ctx.root, &self.theme)
            .with_context(explanation, repeat);
        if let Some(home) = &self.ctx.home {
            modal = modal.offer_rule(crate::config::user_workspace::rules_path(
                home,
                &self.ctx.root,
            ));
        }
        self.overlay = Some(Overlay::Approval {
            modal: Box::new(modal),
            reply: Some(reply),
        });
    }

    /// The user's answer, sent to the gate. A rule the user chose is saved first, in the user's
    /// own rules for this workspace; if that fails the call still runs, approved for the session
    /// only, and the note says so.
    pub(super) fn answer(&mut self, answer: Answer, reply: oneshot::Sender<Answer>) {
        let answer = match answer {
            Answer::Rule { rule } => self.save_rule(rule),
            other => other,
        };
        let _ = reply.send(answer);
    }

    fn save_rule(&mut self, rule: String) -> Answer {
        let Some(home) = self.ctx.home.clone() else {
            return Answer::Always;
        };
        match crate::config::user_workspace::add_allow_rule(&home, &self.ctx.root, &rule) {
            Ok(path) => {
                self.note(
                    Level::Info,
                    format!(
                        "saved `{rule}` in {} (delete it there to be asked again)",
                        path.display()
                    ),
                );
                Answer::Rule { rule }
            }
            Err(e) => {
                self.note(
                    Level::Error,
                    format!("{e}; approved this exact command for the session only"),
                );
                Answer::Always
            }
        }
    }

    fn turn_done(&mut self, status: TurnStatus) {
        self.working = false;
        self.status.working_since = None;
        // "interrupting…", "queued…" and the router's reason for the last step described the
        // turn; past it they would only mislead (/route keeps the reasons).
        self.status.flash = None;
        self.status.reason.clear();
        self.transcript.settle();
        if let Some(Overlay::Approval { .. }) = self.overlay {
            self.overlay = None;
        }
        match status {
            TurnStatus::Interrupted => self.note(Level::Warning, "interrupted"),
            TurnStatus::MaxSteps => {
                self.note(Level::Warning, "stopped: the step limit was reached")
            }
            TurnStatus::Budget => self.note(Level::Warning, "stopped: the budget was reached"),
            TurnStatus::ChecksFailed => self.note(Level::Warning, "stopped with failing checks"),
            TurnStatus::OutputInvalid => self.note(
                Level::Warning,
                "stopped: the answer did not match its schema",
            ),
            TurnStatus::Denied => self.note(Level::Warning, "stopped: a tool call was refused"),
            TurnStatus::Done | TurnStatus::Error => {}
        }
        if let Some(next) = self.queued.pop_front() {
            let shown = next.text.clone();
            self.send_prompt(&shown, next);
        }
    }

    fn on_state(&mut self, s: SessionState) {
        self.session_id = s.id;
        if !self.working || self.status.model.is_empty() {
            self.status.model = s.model;
        }
        self.status.approval = s.approval;
        self.status.sandbox = s.sandbox;
        if s.context.window.is_some() {
            self.status.window = s.context.window;
        }
        // The engine sends the state right after a session opens: greet it, then send the
        // prompt given on the command line.
        if let Some(kind) = self.welcome.take() {
            self.welcome_line(kind);
            if let Some(prompt) = self.first_prompt.take() {
                self.submit_with(prompt);
            }
        }
    }

    /// The first line of a (re)opened session: what runs it and how to get help.
    fn welcome_line(&mut self, kind: Welcome) {
        let opened = match kind {
            Welcome::New => "reins".to_string(),
            Welcome::Resumed => format!("resumed session {}", self.session_id),
        };
        let text = format!(
            "{opened} · model {} · sandbox {} · approval {}\n/help commands and keys · @ attaches a file · Esc stops a turn · Ctrl+C twice quits",
            self.status.model,
            self.status.sandbox,
            approval_name(self.status.approval)
        );
        self.note(Level::Info, text);
    }

    fn on_event(&mut self, e: Event) {
        match e {
            Event::SessionStarted {
                session_id, model, ..
            } => {
                self.session_id = session_id;
                self.status.model = model;
            }
            Event::Route {
                step,
                model,
                reason,
                ..
            } => {
                self.status.model.clone_from(&model);
                self.status.reason.clone_from(&reason);
                self.routes.push((step, model, reason));
            }
            Event::TextDelta { text } => self.transcript.edit(|c| c.text_delta(&text)),
            Event::ReasoningDelta { text } => self.transcript.edit(|c| c.reasoning_delta(&text)),
            Event::Reasoning { text, .. } => self.transcript.edit(|c| c.reasoning(&text)),
            Event::Message { role, text } if role == "assistant" => {
                self.transcript.edit(|c| c.assistant_message(&text))
            }
            Event::ToolCall {
                call_id,
                name,
                arguments,
                ..
            } => self
                .transcript
                .edit(|c| c.tool_call(&call_id, &name, arguments)),
            Event::ToolResult {
                call_id,
                ok,
                output,
                ..
            } => self
                .transcript
                .edit(|c| c.update_tool(&call_id, |t| t.result = Some((ok, output)))),
            Event::Usage {
                model,
                input_tokens,
                cached_input_tokens,
                output_tokens,
                cost_usd,
                ..
            } => self.status.add_usage(
                &model,
                input_tokens,
                cached_input_tokens,
                output_tokens,
                cost_usd,
            ),
            Event::ApprovalDecision { id, answer } => {
                let word = match answer {
                    Answer::Once => "approved once".to_string(),
                    Answer::Always => "approved for the session".to_string(),
                    Answer::Rule { rule } => format!("approved by the new rule {rule}"),
                    Answer::Deny { note: None } => "denied".to_string(),
                    Answer::Deny { note: Some(n) } => format!("denied: {n}"),
                };
                self.transcript
                    .edit(|c| c.update_tool(&id, |t| t.decision = Some(word)));
            }
            Event::Plan { steps } => {
                let was_open = self.plan.height() > 0;
                self.plan.set(steps);
                let (done, all) = self.plan.plan().progress();
                if was_open && all > 0 && done == all {
                    self.note(Level::Info, format!("plan done: all {all} steps"));
                }
            }
            other => self.on_notice(other),
        }
    }

    /// Events shown as notes in the transcript.
    fn on_notice(&mut self, e: Event) {
        match e {
            Event::Check {
                command,
                passed,
                summary,
                ..
            } => {
                let level = if passed { Level::Info } else { Level::Warning };
                let word = if passed { "passed" } else { "failed" };
                self.note(level, format!("check `{command}` {word}: {summary}"));
            }
            Event::McpStatus {
                server,
                state,
                error: Some(error),
            } => self.note(Level::Warning, format!("mcp {server}: {state} ({error})")),
            Event::Warning { message } => self.note(Level::Warning, message),
            Event::Compacted {
                tokens_before,
                tokens_after,
                dropped,
                kept,
            } => {
                self.transcript.edit(|c| c.discard_unconfirmed());
                self.note(
                    Level::Info,
                    crate::agent::events::compaction_line(
                        tokens_before,
                        tokens_after,
                        &dropped,
                        &kept,
                    ),
                );
            }
            Event::Error { message, retrying } => {
                if retrying {
                    self.transcript.edit(|c| c.discard_unconfirmed());
                    self.note(Level::Warning, format!("retrying: {message}"));
                } else {
                    self.note(Level::Error, message);
                }
            }
            Event::BudgetWarning {
                spent_usd,
                projected_usd,
                max_cost_usd,
            } => self.note(
                Level::Warning,
                format!("budget: ${spent_usd:.4} spent, ~${projected_usd:.4} after the next request, of ${max_cost_usd:.2}"),
            ),
            _ => {}
        }
    }

    /// The history of a (re)opened session, drawn as the transcript.
    fn show_history(&mut self, items: &[Item]) {
        self.transcript.clear();
        self.plan.clear();
        self.routes.clear();
        self.status.usage.clear();
        self.status.reason.clear();
        self.has_conversation = !items.is_empty();
        self.asked.clear();
        self.welcome = Some(if items.is_empty() {
            Welcome::New
        } else {
            Welcome::Resumed
        });
        for item in items {
            match item {
                Item::User { text, .. } => self.transcript.push_user(strip_environment(text)),
                Item::Assistant {
                    text,
                    tool_calls,
                    reasoning,
                } => {
                    let thought: Vec<String> = reasoning
                        .iter()
                        .map(|r| r.display_text())
                        .filter(|t| !t.trim().is_empty())
                        .collect();
                    if !thought.is_empty() {
                        self.transcript.edit(|c| c.reasoning(&thought.join("\n\n")));
                    }
                    if !text.is_empty() {
                        self.transcript.edit(|c| c.assistant_message(text));
                    }
                    for call in tool_calls {
                        let args = serde_json::from_str(&call.arguments)
                            .unwrap_or(serde_json::Value::String(call.arguments.clone()));
                        self.transcript
                            .edit(|c| c.tool_call(&call.id, &call.name, args));
                    }
                }
                Item::ToolResult {
                    call_id,
                    output,
                    is_error,
                    ..
                } => {
                    let output = output.clone();
                    self.transcript
                        .edit(|c| c.update_tool(call_id, |t| t.result = Some((!is_error, output))));
                }
            }
        }
    }
}

/// The first user message carries an `<environment>` block for the model; the user typed only
/// what follows it.
fn strip_environment(text: &str) -> &str {
    match text.strip_prefix("<environment>") {
        Some(rest) => rest
            .split_once("</environment>")
            .map_or(text, |(_, after)| after.trim_start()),
        None => text,
    }
}
