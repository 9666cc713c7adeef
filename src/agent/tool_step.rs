//! Running the model's tool calls: loop detection, the extensions' and the permission gate's
//! checks, the tool itself, and the result (secrets redacted) into history.

use super::events::{clip, Emit, Event, EVENT_OUTPUT_LIMIT};
use super::extension::{Blocked, ToolUse};
use super::extension_set::Extensions;
use super::history::{self, History};
use super::ledger::Ledger;
use super::model_side::usage_event;
use super::permit::Refusal;
use super::routing::Routing;
use super::toolbox::Toolbox;
use crate::conversation::{Item, ToolCall};
use crate::tools::{ToolError, ToolOutput};
use crate::types::Exit;

/// How a call went, for the turn loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ran {
    /// It ran (successfully or not), or was not run for a reason other than a refusal.
    Done,
    /// A rule, the approval policy, a hook or a guard refused it.
    Denied,
    /// The user interrupted the turn while it ran (or before).
    Interrupted,
}

/// Why a call did not run or failed; the model reads it as the call's result.
enum NotRun {
    /// An extension (a hook, a guard) refused it.
    Blocked(Blocked),
    /// The permission gate or the user refused it.
    Refused(Refusal),
    Failed(ToolError),
}

impl NotRun {
    fn interrupted() -> Self {
        NotRun::Failed(ToolError("not run: the user interrupted the turn".into()))
    }

    fn denied(&self) -> bool {
        !matches!(self, NotRun::Failed(_))
    }

    fn output(&self) -> ToolOutput {
        let text = match self {
            NotRun::Blocked(b) => format!("error: {b}"),
            NotRun::Refused(r) => format!("error: {r}"),
            NotRun::Failed(e) => format!("error: {e}"),
        };
        ToolOutput::from(text)
    }
}

/// A tool call over the parts of the session a call reads or changes: the tools (and their
/// gate), the extensions that guard and watch calls, routing (loop detection and the step
/// signals), the ledger (what subagents the call started spent), and the history the result
/// goes to.
pub(super) struct Calls<'s> {
    pub(super) tools: &'s Toolbox,
    pub(super) extensions: &'s Extensions,
    pub(super) routing: &'s mut Routing,
    pub(super) ledger: &'s mut Ledger,
    pub(super) history: &'s mut History,
}

impl Calls<'_> {
    /// Runs one call and appends its result.
    pub(super) async fn run(&mut self, call: &ToolCall, emit: Emit<'_>) -> Ran {
        let arguments = call.parsed_arguments();
        let (kind, paths) = self.tools.declared(&call.name, &arguments);
        emit(Event::ToolCall {
            call_id: call.id.clone(),
            name: call.name.clone(),
            arguments: arguments.clone(),
            kind,
            paths,
        });
        let cancel = &self.tools.context().cancel;
        let result = if cancel.is_cancelled() {
            Err(NotRun::interrupted())
        } else if self.routing.is_loop(&call.name, &call.arguments) {
            Err(NotRun::Failed(ToolError(format!(
                "you made this exact `{}` call three times in a row; it was not run again. Its result will not change: try a different approach",
                call.name
            ))))
        } else {
            let before = self.ledger.family_now();
            let result = self.guarded_run(call, &arguments, emit).await;
            if let Some(spent) = self.ledger.roll_up_since(before) {
                emit(usage_event(
                    crate::types::SUBAGENTS_USAGE_MODEL.into(),
                    spent.usage,
                    Some(spent.cost),
                ));
            }
            result
        };
        let interrupted = cancel.is_cancelled();
        let denied = result.as_ref().is_err_and(NotRun::denied);
        let (ok, output) = match result {
            Ok(out) => self.seen_by_model(out),
            Err(not_run) => (false, not_run.output()),
        };
        if ok {
            let named = self
                .tools
                .get(&call.name)
                .map(|t| history::paths(&self.tools.subjects(t, &arguments)))
                .unwrap_or_default();
            self.tools.touch(&named, &output.changed);
            self.history.files(&named, &output.changed);
        }
        self.finish(call, ok, denied, output, emit).await;
        match (interrupted, denied) {
            (true, _) => Ran::Interrupted,
            (false, true) => Ran::Denied,
            (false, false) => Ran::Done,
        }
    }

    /// The result, redacted: shown to the extensions, fed to routing, announced, and added to
    /// the history (with the plan it set, if any).
    async fn finish(
        &mut self,
        call: &ToolCall,
        ok: bool,
        denied: bool,
        output: ToolOutput,
        emit: Emit<'_>,
    ) {
        let ToolOutput {
            text,
            exit,
            changed,
            plan,
            images,
        } = output;
        let output = self.tools.redact(&text);
        self.extensions.post_tool(call, ok, &output, emit).await;
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
            self.history.set_plan(plan);
        }
        self.history.push(Item::ToolResult {
            call_id: call.id.clone(),
            name: call.name.clone(),
            output,
            is_error: !ok,
            images,
        });
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
        let tool = self.tools.get(&call.name);
        let effects = tool.map(|t| t.effects(arguments)).unwrap_or_default();
        let subjects = tool
            .map(|t| self.tools.subjects(t, arguments))
            .unwrap_or_default();
        let tool_use = ToolUse {
            call,
            effects,
            subjects: &subjects,
        };
        self.extensions
            .pre_tool(&tool_use, emit)
            .await
            .map_err(NotRun::Blocked)?;
        let cancel = &self.tools.context().cancel;
        // An interrupt during a hook or an approval must not let the call through unchecked.
        if cancel.is_cancelled() {
            return Err(NotRun::interrupted());
        }
        // An unknown tool is refused by the registry with the list of tools; nothing to ask.
        let permitted = match tool {
            Some(_) => {
                self.tools
                    .permissions()
                    .permit(&tool_use, arguments, emit)
                    .await
            }
            None => Ok(()),
        };
        if cancel.is_cancelled() {
            return Err(NotRun::interrupted());
        }
        permitted.map_err(NotRun::Refused)?;
        self.tools.run(call).await.map_err(NotRun::Failed)
    }
}
