//! `remember`: the model adds a fact to a memory file, for sessions to come.

use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolResult};
use crate::store::memory::{self, Remembered, Scope};
use serde::Deserialize;
use serde_json::json;

pub struct Remember;

#[derive(Deserialize)]
struct Args {
    fact: String,
    scope: Option<Scope>,
}

impl Tool for Remember {
    fn name(&self) -> &'static str {
        "remember"
    }
    fn description(&self) -> &'static str {
        include_str!("../../prompts/tools/remember.md")
    }
    fn parameters(&self) -> serde_json::Value {
        json!({"type": "object", "properties": {
            "fact": {"type": "string"}, "scope": {"type": "string", "enum": ["project", "user"]}
        }, "required": ["fact"]})
    }
    /// It writes files that go into every later session's prompt: a write like any other.
    fn mutates(&self) -> bool {
        true
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: Args = parse_args(self.name(), args)?;
            let path = match a.scope.unwrap_or(Scope::Project) {
                Scope::Project => memory::project_path(&ctx.root),
                Scope::User => {
                    memory::user_path(ctx.reins_home.as_deref().ok_or_else(|| {
                        ToolError::new("no user home is set (REINS_HOME or HOME)")
                    })?)
                }
            };
            if ctx.policy.mode == crate::sandbox::SandboxMode::ReadOnly {
                return Err(ToolError::new(
                    "the sandbox is read-only: nothing can be remembered in this session",
                ));
            }
            if path.starts_with(&ctx.root) {
                ctx.check_write(&path)?;
            }
            let cap = ctx.memory_cap;
            let fact = a.fact.clone();
            let p = path.clone();
            let outcome = tokio::task::spawn_blocking(move || memory::remember(&p, &fact, cap))
                .await
                .map_err(|e| ToolError(format!("remember failed: {e}")))?
                .map_err(|e| ToolError(e.to_string()))?;
            Ok(match outcome {
                Remembered::Added => format!("remembered in {}", path.display()),
                Remembered::AlreadyKnown => format!("already in {}", path.display()),
            })
        })
    }
}
