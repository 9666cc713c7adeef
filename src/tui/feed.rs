//! What the engine's events change on the screen: streamed text, reasoning and tool calls into
//! the transcript, usage and routes into the status line, the plan into its checklist, and the
//! notes a turn's end or a warning leaves. Also the history of a (re)opened session, drawn as
//! its transcript. The session's own state (its id, whether a turn runs) is the app's.

use super::screen::Screen;
use super::session_link::Welcome;
use super::status::approval_name;
use super::transcript::Level;
use crate::agent::{Event, Status as TurnStatus};
use crate::conversation::Item;
use crate::sandbox::approval::Answer;

impl Screen {
    pub fn on_event(&mut self, e: Event) {
        match e {
            Event::SessionStarted { model, .. } => self.status.model = model,
            Event::Route {
                step,
                model,
                reason,
                ..
            } => {
                self.status.model.clone_from(&model);
                self.status.reason.clone_from(&reason);
                self.routes.push(step, model, reason);
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
                let word = decision_word(answer);
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

    /// The turn ended: what described it goes, the streamed message settles, and a turn that
    /// stopped short says why.
    pub fn turn_ended(&mut self, status: TurnStatus) {
        self.status.working_since = None;
        // "interrupting…", "queued…" and the router's reason for the last step described the
        // turn; past it they would only mislead (/route keeps the reasons).
        self.status.flash = None;
        self.status.reason.clear();
        self.transcript.settle();
        let why = match status {
            TurnStatus::Interrupted => "interrupted",
            TurnStatus::MaxSteps => "stopped: the step limit was reached",
            TurnStatus::Budget => "stopped: the budget was reached",
            TurnStatus::ChecksFailed => "stopped with failing checks",
            TurnStatus::OutputInvalid => "stopped: the answer did not match its schema",
            TurnStatus::Denied => "stopped: a tool call was refused",
            TurnStatus::Done | TurnStatus::Error => return,
        };
        self.note(Level::Warning, why);
    }

    /// The first line of a (re)opened session: what runs it and how to get help.
    pub fn welcome(&mut self, kind: Welcome, session_id: &str) {
        let opened = match kind {
            Welcome::New => "reins".to_string(),
            Welcome::Resumed => format!("resumed session {session_id}"),
        };
        let text = format!(
            "{opened} · model {} · sandbox {} · approval {}\n/help commands and keys · @ attaches a file · Esc stops a turn · Ctrl+C twice quits",
            self.status.model,
            self.status.sandbox,
            approval_name(self.status.approval)
        );
        self.note(Level::Info, text);
    }

    /// The history of a (re)opened session, drawn as the transcript.
    pub fn show_history(&mut self, items: &[Item]) {
        self.transcript.clear();
        self.plan.clear();
        self.routes.clear();
        self.status.usage.clear();
        self.status.reason.clear();
        for item in items {
            match item {
                Item::User { text, .. } => self
                    .transcript
                    .push_user(crate::agent::prompt::typed_text(text)),
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
                    self.transcript.edit(|c| {
                        if !thought.is_empty() {
                            c.reasoning(&thought.join("\n\n"));
                        }
                        if !text.is_empty() {
                            c.assistant_message(text);
                        }
                        for call in tool_calls {
                            let args = serde_json::from_str(&call.arguments)
                                .unwrap_or(serde_json::Value::String(call.arguments.clone()));
                            c.tool_call(&call.id, &call.name, args);
                        }
                    });
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

/// How the transcript words the gate's decision on a call.
fn decision_word(answer: Answer) -> String {
    match answer {
        Answer::Once => "approved once".to_string(),
        Answer::Always => "approved for the session".to_string(),
        Answer::Rule { rule } => format!("approved by the new rule {rule}"),
        Answer::Deny { note: None } => "denied".to_string(),
        Answer::Deny { note: Some(n) } => format!("denied: {n}"),
    }
}
