//! `update_plan`: the model states its plan. The tool only checks and echoes it; the plan itself
//! travels in [`ToolOutput::plan`], which the session announces (`plan` event) and keeps.

use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolOutput, ToolResult};
use crate::types::{Effects, Plan, PlanStep, StepStatus, Subject, ToolKind};
use schemars::JsonSchema;
use serde::Deserialize;

/// More steps than this is not a plan a person can follow at a glance.
const MAX_STEPS: usize = 50;
/// A step is a line on a checklist, not a paragraph.
const MAX_STEP_CHARS: usize = 300;

pub struct UpdatePlan;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The whole plan, in order.
    #[schemars(length(max = MAX_STEPS))]
    plan: Vec<StepArg>,
}

/// One step as the model writes it (unknown fields refused, unlike [`PlanStep`] read back from
/// a transcript).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct StepArg {
    step: String,
    status: StepStatus,
}

impl Tool for UpdatePlan {
    fn name(&self) -> &str {
        "update_plan"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/update_plan.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<Args>()
    }
    /// It changes nothing but what the front ends show.
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects::of(ToolKind::Other)
    }
    fn subjects(&self, _args: &serde_json::Value) -> Vec<Subject> {
        Vec::new()
    }
    fn run<'a>(&'a self, args: &'a str, _ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: Args = parse_args(self.name(), args)?;
            let steps = a.plan.into_iter().map(|s| PlanStep {
                step: s.step,
                status: s.status,
            });
            let plan = checked(steps.collect())?;
            let (done, all) = plan.progress();
            Ok(ToolOutput {
                text: format!("plan updated: {done} of {all} steps done"),
                plan: Some(plan),
                ..ToolOutput::default()
            })
        })
    }
}

/// Refuses plans a checklist cannot show honestly, saying how to fix them.
fn checked(steps: Vec<PlanStep>) -> Result<Plan, ToolError> {
    if steps.len() > MAX_STEPS {
        return Err(ToolError::new(format!(
            "a plan of {} steps is too long to follow; keep it to {MAX_STEPS} or fewer by merging small steps",
            steps.len()
        )));
    }
    let mut out = Vec::with_capacity(steps.len());
    for s in steps {
        let step = s.step.split_whitespace().collect::<Vec<_>>().join(" ");
        if step.is_empty() {
            return Err(ToolError::new(
                "a step has no text; give every step a short sentence",
            ));
        }
        if step.chars().count() > MAX_STEP_CHARS {
            return Err(ToolError::new(format!(
                "a step is longer than {MAX_STEP_CHARS} characters; keep each step to one short sentence"
            )));
        }
        out.push(PlanStep {
            step,
            status: s.status,
        });
    }
    let active = out
        .iter()
        .filter(|s| s.status == StepStatus::InProgress)
        .count();
    if active > 1 {
        return Err(ToolError::new(format!(
            "{active} steps are in_progress; mark only the one you are working on as in_progress and the others pending or done"
        )));
    }
    Ok(Plan { steps: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(text: &str, status: StepStatus) -> PlanStep {
        PlanStep {
            step: text.into(),
            status,
        }
    }

    #[test]
    fn a_plan_with_two_steps_in_progress_is_refused_with_what_to_do() {
        let err = checked(vec![
            step("a", StepStatus::InProgress),
            step("b", StepStatus::InProgress),
        ])
        .expect_err("refused");
        assert!(err.0.contains("only the one"), "{err}");
    }

    #[test]
    fn steps_are_kept_on_one_line() {
        let plan = checked(vec![step("read\nthe   code", StepStatus::Done)]).expect("a plan");
        assert_eq!(plan.steps[0].step, "read the code");
        assert!(checked(vec![step("  ", StepStatus::Pending)]).is_err());
    }
}
