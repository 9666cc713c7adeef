//! Running the model's tool calls: loop detection, the permission gate, the tool itself, and the
//! result (secrets redacted) into history.

use super::events::Emit;
use super::events::{clip, Event, EVENT_OUTPUT_LIMIT};
use super::session::Session;
use crate::conversation::{Item, ToolCall};
use crate::sandbox::approval::{self, Answer};
use crate::sandbox::Decision;

impl Session {
    /// Runs one call and appends its result. Err only when the user interrupted.
    pub(super) async fn run_tool(&mut self, call: &ToolCall, emit: Emit<'_>) -> Result<(), ()> {
        let arguments = serde_json::from_str(&call.arguments)
            .unwrap_or_else(|_| serde_json::Value::String(call.arguments.clone()));
        emit(Event::ToolCall {
            call_id: call.id.clone(),
            name: call.name.clone(),
            arguments: arguments.clone(),
        });
        let result = if self.setup.tools.cancel.is_cancelled() {
            Err(crate::tools::ToolError(
                "not run: the user interrupted the turn".into(),
            ))
        } else if self.routing.is_loop(&call.name, &call.arguments) {
            Err(crate::tools::ToolError(format!(
                "you made this exact `{}` call three times in a row; it was not run again. Its result will not change: try a different approach",
                call.name
            )))
        } else {
            self.guarded_run(call, &arguments, emit).await
        };
        let interrupted = self.setup.tools.cancel.is_cancelled();
        let (ok, output) = match result {
            Ok(out) => (true, out),
            Err(e) => (false, format!("error: {e}")),
        };
        let output = self.setup.redactor.redact(&output);
        for ext in &self.setup.extensions {
            ext.post_tool(call, ok, &output, emit).await;
        }
        self.routing
            .record_result(&call.name, &call.arguments, ok, &output);
        emit(Event::ToolResult {
            call_id: call.id.clone(),
            name: call.name.clone(),
            ok,
            output: clip(&output, EVENT_OUTPUT_LIMIT),
        });
        self.push(Item::ToolResult {
            call_id: call.id.clone(),
            name: call.name.clone(),
            output,
            is_error: !ok,
        });
        if interrupted {
            Err(())
        } else {
            Ok(())
        }
    }

    /// Hooks, then the permission gate, then the tool.
    async fn guarded_run(
        &self,
        call: &ToolCall,
        arguments: &serde_json::Value,
        emit: Emit<'_>,
    ) -> crate::tools::ToolResult {
        let interrupted =
            || crate::tools::ToolError("not run: the user interrupted the turn".into());
        if let Err(reason) = self.pre_tool(call, emit).await {
            return Err(crate::tools::ToolError(format!(
                "blocked by a hook: {reason}"
            )));
        }
        // An interrupt during a hook or an approval must not let the call through unchecked.
        if self.setup.tools.cancel.is_cancelled() {
            return Err(interrupted());
        }
        let permitted = self.permit(call, arguments, emit).await;
        if self.setup.tools.cancel.is_cancelled() {
            return Err(interrupted());
        }
        match permitted {
            Ok(()) => {
                self.setup
                    .registry
                    .run(&call.name, &call.arguments, &self.setup.tools)
                    .await
            }
            Err(refusal) => Err(crate::tools::ToolError(refusal)),
        }
    }

    /// The call's subjects as the rules must see them: paths resolved (`..`, absolute paths and
    /// symlinks folded) to their workspace-relative form, so `src/../secrets/k` cannot slip past
    /// `write(secrets/**)`. A path that does not resolve stays as written; the tool refuses it.
    fn resolved_subjects(&self, tool: &str, arguments: &serde_json::Value) -> Vec<String> {
        let raw = approval::subjects(tool, arguments);
        if tool.contains("__") {
            let origin = self.setup.registry.get(tool).and_then(|t| t.origin());
            return origin.map(|o| vec![o]).unwrap_or(raw);
        }
        if tool == "shell" {
            return raw;
        }
        let ctx = &self.setup.tools;
        raw.into_iter()
            .map(|s| ctx.resolve(&s).map(|p| ctx.relative(&p)).unwrap_or(s))
            .collect()
    }

    /// Lets every extension veto the call; the first refusal wins.
    async fn pre_tool(&self, call: &ToolCall, emit: Emit<'_>) -> Result<(), String> {
        for ext in &self.setup.extensions {
            ext.pre_tool(call, emit).await?;
        }
        Ok(())
    }

    /// Passes the call through the permission gate, asking the front end when a rule or the
    /// approval policy says so. Err carries the refusal for the model.
    async fn permit(
        &self,
        call: &ToolCall,
        arguments: &serde_json::Value,
        emit: Emit<'_>,
    ) -> Result<(), String> {
        let tool = self.setup.registry.get(&call.name);
        let effects = approval::Effects {
            mutates: tool.is_some_and(|t| t.mutates()),
            runs_commands: tool.is_some_and(|t| t.runs_commands()),
            writes_outside: tool.is_some_and(|t| t.writes_outside(arguments)),
        };
        let subjects = self.resolved_subjects(&call.name, arguments);
        let reason = match self.setup.gate.decide_all(&call.name, &subjects, effects) {
            Decision::Allow => return Ok(()),
            Decision::Deny(reason) => {
                return Err(format!(
                "not permitted: {reason}. Do something else, or ask the user to change the rule"
            ))
            }
            Decision::Ask(reason) => reason,
        };
        let request = approval::Request {
            id: call.id.clone(),
            tool: call.name.clone(),
            arguments: arguments.clone(),
            reason,
        };
        emit(Event::ApprovalRequest(request.clone()));
        let answer = self.setup.approver.ask(&request).await;
        emit(Event::ApprovalDecision {
            id: call.id.clone(),
            answer: answer.clone(),
        });
        match answer {
            Answer::Once => Ok(()),
            Answer::Always => {
                for s in &subjects {
                    self.setup.gate.allow_for_session(&call.name, Some(s));
                }
                if subjects.is_empty() {
                    self.setup.gate.allow_for_session(&call.name, None);
                }
                Ok(())
            }
            Answer::Deny { note } => Err(match note {
                Some(n) => format!("not permitted: {n}"),
                None => "the user denied this call".to_string(),
            }),
        }
    }
}
