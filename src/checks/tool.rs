//! `run_checks {}`: the model runs the configured checks itself, before ending its turn.

use super::run::{run_all, tool_report};
use crate::tools::{parse_args, Tool, ToolContext, ToolResult};
use crate::types::BoxFuture;
use crate::types::{Effects, Runs, Subject, ToolKind};
use schemars::JsonSchema;
use serde::Deserialize;
use std::time::Duration;

pub struct RunChecks {
    commands: Vec<String>,
    timeout: Duration,
}

impl RunChecks {
    pub fn new(commands: Vec<String>, timeout: Duration) -> Self {
        RunChecks { commands, timeout }
    }
}

/// No arguments; any given is refused, like a misspelled argument of any other tool.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {}

impl Tool for RunChecks {
    fn name(&self) -> &str {
        "run_checks"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/run_checks.md")
    }
    fn parameters(&self) -> serde_json::Value {
        crate::tools::schema_for::<Args>()
    }
    /// It runs the configured commands, never one the model chose.
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects {
            runs: Runs::Configured,
            ..Effects::of(ToolKind::Execute)
        }
    }
    fn subjects(&self, _args: &serde_json::Value) -> Vec<Subject> {
        Vec::new()
    }
    /// Always `Ok`: failing checks are information for the model, not a broken call.
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let _: Args = parse_args(self.name(), args)?;
            let outcomes = run_all(&self.commands, ctx, self.timeout, &mut |_| {}).await;
            Ok(tool_report(&outcomes).into())
        })
    }
}
