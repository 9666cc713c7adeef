//! Running the model's tool calls: loop detection, the permission gate, the tool itself, and the
//! result (secrets redacted) into history.

use super::events::Emit;
use super::events::{clip, Event, EVENT_OUTPUT_LIMIT};
use super::extension::{Blocked, ToolUse};
use super::session::{Ran, Session};
use crate::conversation::{Item, ToolCall};
use crate::sandbox::approval::{self, Answer};
use crate::sandbox::Decision;
use crate::tools::{Tool, ToolOutput};
use crate::types::{Exit, Subject};

/// Why a call did not run or failed.
enum NotRun {
    /// Refused by a rule, the approval policy, a hook or a guard.
    Denied(Refusal),
    Failed(crate::tools::ToolError),
}

/// Why a call was not let through; the model reads it as the call's result.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error(transparent)]
    Blocked(#[from] Blocked),
    #[error("not permitted: {reason}. Do something else, or ask the user to change the rule")]
    Rule { reason: String },
    #[error("not permitted: {note}")]
    UserNote { note: String },
    #[error("the user denied this call")]
    User,
}

impl Session {
    /// Runs one call and appends its result. Err only when the user interrupted.
    pub(super) async fn run_tool(&mut self, call: &ToolCall, emit: Emit<'_>) -> Result<Ran, ()> {
        let arguments = call.parsed_arguments();
        let (kind, paths) = self.declared(&call.name, &arguments);
        emit(Event::ToolCall {
            call_id: call.id.clone(),
            name: call.name.clone(),
            arguments: arguments.clone(),
            kind,
            paths,
        });
        let result = if self.setup.tools.context.cancel.is_cancelled() {
            Err(NotRun::Failed(crate::tools::ToolError(
                "not run: the user interrupted the turn".into(),
            )))
        } else if self.routing.is_loop(&call.name, &call.arguments) {
            Err(NotRun::Failed(crate::tools::ToolError(format!(
                "you made this exact `{}` call three times in a row; it was not run again. Its result will not change: try a different approach",
                call.name
            ))))
        } else {
            let before = self.setup.spend.as_ref().map(|s| s.now());
            let result = self.guarded_run(call, &arguments, emit).await;
            // While a call runs this session makes no request: what the family spent meanwhile
            // is the subagents' the call started.
            if let (Some(before), Some(family)) = (before, self.setup.spend.as_ref()) {
                let spent = family.now().since(&before);
                self.roll_up(spent, emit);
            }
            result
        };
        let interrupted = self.setup.tools.context.cancel.is_cancelled();
        let denied = matches!(result, Err(NotRun::Denied(_)));
        let (ok, output) = match result {
            Ok(out) => self.seen_by_model(out),
            Err(NotRun::Failed(e)) => (false, ToolOutput::from(format!("error: {e}"))),
            Err(NotRun::Denied(reason)) => (false, ToolOutput::from(format!("error: {reason}"))),
        };
        let ToolOutput {
            text,
            exit,
            changed,
            plan,
            images,
        } = output;
        if ok {
            let named = self
                .setup
                .tools
                .registry
                .get(&call.name)
                .map(|t| self.resolved_subjects(t, &arguments))
                .unwrap_or_default();
            self.thread_files(&named, &changed);
        }
        let output = self.setup.tools.redactor.redact(&text);
        for ext in self.extensions.iter() {
            ext.post_tool(call, ok, &output, emit).await;
        }
        self.routing
            .record_result(&call.name, &call.arguments, ok, exit, &output);
        emit(Event::ToolResult {
            call_id: call.id.clone(),
            name: call.name.clone(),
            ok,
            output: clip(&output, EVENT_OUTPUT_LIMIT),
            exit_code: exit.and_then(Exit::code),
            changed_paths: changed,
            denied,
        });
        if let Some(plan) = plan {
            emit(Event::Plan {
                steps: plan.steps.clone(),
            });
            self.plan = Some(plan);
        }
        self.push(Item::ToolResult {
            call_id: call.id.clone(),
            name: call.name.clone(),
            output,
            is_error: !ok,
            images,
        });
        match (interrupted, denied) {
            (true, _) => Err(()),
            (false, true) => Ok(Ran::Denied),
            (false, false) => Ok(Ran::Done),
        }
    }

    /// A successful call's output as it may reach the model: images the model of this session
    /// cannot take make the call fail with the reason rather than every later request.
    fn seen_by_model(&self, out: ToolOutput) -> (bool, ToolOutput) {
        if out.images.is_empty() {
            return (true, out);
        }
        match self.routing.refuse_images() {
            None => (true, out),
            Some(why) => (
                false,
                ToolOutput::from(format!("error: the image was not shown to you: {why}")),
            ),
        }
    }

    /// Hooks, then the permission gate, then the tool.
    async fn guarded_run(
        &self,
        call: &ToolCall,
        arguments: &serde_json::Value,
        emit: Emit<'_>,
    ) -> Result<ToolOutput, NotRun> {
        let interrupted = || {
            NotRun::Failed(crate::tools::ToolError(
                "not run: the user interrupted the turn".into(),
            ))
        };
        let tool = self.setup.tools.registry.get(&call.name);
        let effects = tool.map(|t| t.effects(arguments)).unwrap_or_default();
        let subjects = tool
            .map(|t| self.resolved_subjects(t, arguments))
            .unwrap_or_default();
        let tool_use = ToolUse {
            call,
            effects,
            subjects: &subjects,
        };
        if let Err(reason) = self.pre_tool(&tool_use, emit).await {
            return Err(NotRun::Denied(reason.into()));
        }
        // An interrupt during a hook or an approval must not let the call through unchecked.
        if self.setup.tools.context.cancel.is_cancelled() {
            return Err(interrupted());
        }
        let permitted = self.permit(&tool_use, arguments, emit).await;
        if self.setup.tools.context.cancel.is_cancelled() {
            return Err(interrupted());
        }
        match permitted {
            Ok(()) => self
                .setup
                .tools
                .registry
                .run(&call.name, &call.arguments, &self.setup.tools.context)
                .await
                .map_err(NotRun::Failed),
            Err(refusal) => Err(NotRun::Denied(refusal)),
        }
    }

    /// The call's subjects as the rules must see them: paths resolved (`..`, absolute paths and
    /// symlinks folded) to their workspace-relative form, so `src/../secrets/k` cannot slip past
    /// `write(secrets/**)`. A path that does not resolve stays as written; the tool refuses it.
    /// What the tool declares about a call, for the `tool.call` event: its kind and the paths
    /// it names, workspace-relative. Nothing for a tool the session does not have.
    fn declared(
        &self,
        name: &str,
        arguments: &serde_json::Value,
    ) -> (Option<crate::types::ToolKind>, Vec<String>) {
        let Some(tool) = self.setup.tools.registry.get(name) else {
            return (None, Vec::new());
        };
        let paths = self
            .resolved_subjects(tool, arguments)
            .into_iter()
            .filter_map(|s| match s {
                Subject::Path(p) if !p.is_empty() => Some(p),
                _ => None,
            })
            .collect();
        (Some(tool.effects(arguments).kind), paths)
    }

    fn resolved_subjects(&self, tool: &dyn Tool, arguments: &serde_json::Value) -> Vec<Subject> {
        let ctx = &self.setup.tools.context;
        tool.subjects(arguments)
            .into_iter()
            .map(|s| match s {
                Subject::Path(p) => {
                    Subject::Path(ctx.resolve(&p).map(|r| ctx.relative(&r)).unwrap_or(p))
                }
                other => other,
            })
            .collect()
    }

    /// Lets every extension veto the call; the first refusal wins.
    async fn pre_tool(&self, tool_use: &ToolUse<'_>, emit: Emit<'_>) -> Result<(), Blocked> {
        for ext in self.extensions.iter() {
            ext.pre_tool(tool_use, emit).await?;
        }
        Ok(())
    }

    /// Passes the call through the permission gate, asking the front end when a rule or the
    /// approval policy says so. Err carries the refusal for the model.
    async fn permit(
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
        // An unknown tool is refused by the registry with the list of tools; nothing to ask.
        if self.setup.tools.registry.get(&call.name).is_none() {
            return Ok(());
        }
        let reason = match self
            .setup
            .tools
            .gate
            .decide_all(&call.name, subjects, effects)
        {
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
        let answer = self.setup.tools.approver.ask(&request).await;
        emit(Event::ApprovalDecision {
            id: call.id.clone(),
            answer: answer.clone(),
        });
        match answer {
            Answer::Once => Ok(()),
            Answer::Always => {
                for s in subjects {
                    self.setup.tools.gate.allow_for_session(&call.name, Some(s));
                }
                if subjects.is_empty() {
                    self.setup.tools.gate.allow_for_session(&call.name, None);
                }
                Ok(())
            }
            Answer::Rule { rule } => {
                if self.setup.tools.gate.allow_rule_for_session(&rule).is_err() {
                    // The front end checked the rule; should it still not parse, the call the
                    // user approved runs and the same one is allowed again.
                    for s in subjects {
                        self.setup.tools.gate.allow_for_session(&call.name, Some(s));
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
