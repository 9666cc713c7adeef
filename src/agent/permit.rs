//! Whether a tool call may run: the permission gate (rules and the approval policy) and, when it
//! asks, the front end's answer, remembered for the session when the user says "always".

use super::events::{Emit, Event};
use super::extension::ToolUse;
use crate::sandbox::approval::{self, Answer, Approval, Approver, Gate};
use crate::sandbox::Decision;

/// Why a call was not let through by the gate or the user; the model reads it as the call's
/// result.
#[derive(Debug, thiserror::Error)]
pub(super) enum Refusal {
    #[error("not permitted: {reason}. Do something else, or ask the user to change the rule")]
    Rule { reason: String },
    #[error("not permitted: {note}")]
    UserNote { note: String },
    #[error("the user denied this call")]
    User,
}

/// The gate and who answers when it asks.
pub(super) struct Permissions {
    gate: Gate,
    approver: Box<dyn Approver>,
}

impl Permissions {
    pub(super) fn new(gate: Gate, approver: Box<dyn Approver>) -> Self {
        Permissions { gate, approver }
    }

    pub(super) fn approval(&self) -> Approval {
        self.gate.approval()
    }

    pub(super) fn set_approval(&mut self, approval: Approval) {
        self.gate.set_approval(approval);
    }

    /// Passes a call of a known tool through the gate, asking the front end when a rule or the
    /// approval policy says so. Err carries the refusal for the model.
    pub(super) async fn permit(
        &self,
        tool_use: &ToolUse<'_>,
        arguments: &serde_json::Value,
        emit: Emit<'_>,
    ) -> Result<(), Refusal> {
        let ToolUse {
            call,
            effects,
            subjects,
        } = *tool_use;
        let reason = match self.gate.decide_all(&call.name, subjects, effects) {
            Decision::Allow => return Ok(()),
            Decision::Deny(reason) => return Err(Refusal::Rule { reason }),
            Decision::Ask(reason) => reason,
        };
        let request = approval::Request {
            id: call.id.clone(),
            tool: call.name.clone(),
            arguments: arguments.clone(),
            reason,
            always: approval::always_scope(&call.name, subjects),
        };
        emit(Event::ApprovalRequest(request.clone()));
        let answer = self.approver.ask(&request).await;
        emit(Event::ApprovalDecision {
            id: call.id.clone(),
            answer: answer.clone(),
        });
        self.remember(answer, tool_use)
    }

    /// Acts on the user's answer: "always" and a rule are kept for the rest of the session.
    fn remember(&self, answer: Answer, tool_use: &ToolUse<'_>) -> Result<(), Refusal> {
        let (name, subjects) = (&tool_use.call.name, tool_use.subjects);
        match answer {
            Answer::Once => Ok(()),
            Answer::Always => {
                for s in subjects {
                    self.gate.allow_for_session(name, Some(s));
                }
                if subjects.is_empty() {
                    self.gate.allow_for_session(name, None);
                }
                Ok(())
            }
            Answer::Rule { rule } => {
                if self.gate.allow_rule_for_session(&rule).is_err() {
                    // The front end checked the rule; should it still not parse, the call the
                    // user approved runs and the same one is allowed again.
                    for s in subjects {
                        self.gate.allow_for_session(name, Some(s));
                    }
                }
                Ok(())
            }
            Answer::Deny { note } => Err(match note {
                Some(note) => Refusal::UserNote { note },
                None => Refusal::User,
            }),
        }
    }
}
