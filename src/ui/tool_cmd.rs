//! `reins tool list` and `reins tool run`: the tools without a model, exactly as the model gets them.

use super::{setup, ExitError};
use crate::cli::{GlobalArgs, ToolCommand};
use crate::tools::Registry;

pub async fn run(cmd: ToolCommand, global: GlobalArgs) -> Result<i32, ExitError> {
    let registry = Registry::builtin();
    match cmd {
        ToolCommand::List { json } => {
            let specs = registry.specs();
            if json {
                let text = serde_json::to_string_pretty(&specs)
                    .map_err(|e| ExitError::failure(e.to_string()))?;
                println!("{text}");
            } else {
                for s in specs {
                    println!("{}\n  {}\n  {}\n", s.name, s.description, s.parameters);
                }
            }
            Ok(0)
        }
        ToolCommand::Run { name, args } => {
            let ws = setup::workspace(&global)?;
            let ctx = setup::tool_context(&ws, crate::cancel::Cancel::never())?;
            match registry.run(&name, &args, &ctx).await {
                Ok(out) => {
                    println!("{out}");
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(1)
                }
            }
        }
    }
}
