//! `eval plan` and `batch plan` print their sharded run the same way: the values checked
//! (a plan is YAML that a CI system or a cluster executes), then the YAML for the engine.

use crate::cli::{EmitKind, PlanTargetArgs};
use crate::fanout::{self, FanOut};
use crate::frontend::ExitError;

/// Prints the plan of `kind` over `file` with `flags` for every shard.
pub fn print(
    kind: &'static str,
    file: String,
    flags: Vec<String>,
    merge_outputs: Vec<(&'static str, &'static str)>,
    target: PlanTargetArgs,
) -> Result<i32, ExitError> {
    let plan = FanOut {
        kind,
        file,
        shards: target.shards,
        flags,
        merge_outputs,
        image: target.image,
    };
    plan.check().map_err(|e| ExitError::usage(e.to_string()))?;
    let engine = match target.emit {
        EmitKind::Github => fanout::Engine::Github,
        EmitKind::K8s => fanout::Engine::K8s,
    };
    print!("{}", fanout::emit(engine, &plan));
    Ok(0)
}
