//! `remember`: the model adds a fact to a memory file, for sessions to come.

use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolResult};
use crate::sandbox::beneath::Beneath;
use crate::store::memory::{self, Remembered, Scope};
use crate::types::{Effects, Subject};
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;

pub struct Remember;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    fact: String,
    /// Where to keep it (default "project").
    scope: Option<Scope>,
}

impl Tool for Remember {
    fn name(&self) -> &str {
        "remember"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/remember.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<Args>()
    }
    /// It writes a file that goes into every later session's prompt: a write like any other.
    /// The user memory lives in `$REINS_HOME`, outside the workspace: the user is asked first.
    fn effects(&self, args: &serde_json::Value) -> Effects {
        Effects {
            writes_outside: args.get("scope").and_then(|s| s.as_str()) == Some("user"),
            ..Effects::edit()
        }
    }
    fn subjects(&self, _args: &serde_json::Value) -> Vec<Subject> {
        Vec::new()
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: Args = parse_args(self.name(), args)?;
            if ctx.policy.mode == crate::sandbox::SandboxMode::ReadOnly {
                return Err(ToolError::new(
                    "the sandbox is read-only: nothing can be remembered in this session",
                ));
            }
            let (dir, rel) = match a.scope.unwrap_or(Scope::Project) {
                Scope::Project => {
                    let path = memory::project_path(&ctx.root);
                    ctx.check_write(&path)?;
                    (ctx.fs.clone(), memory::PROJECT_FILE)
                }
                Scope::User => {
                    let home = user_home(ctx)?;
                    let path = home.path().join(memory::USER_FILE);
                    if path.starts_with(&ctx.root) {
                        ctx.check_write(&path)?;
                    }
                    (home, memory::USER_FILE)
                }
            };
            let shown = dir.path().join(rel);
            let (cap, fact) = (ctx.settings.memory_cap, a.fact.clone());
            let outcome = tokio::task::spawn_blocking(move || {
                memory::remember(&dir, std::path::Path::new(rel), &fact, cap)
            })
            .await
            .map_err(|e| ToolError(format!("remember failed: {e}")))?
            .map_err(|e| ToolError(e.to_string()))?;
            Ok(match outcome {
                Remembered::Added => format!("remembered in {}", shown.display()),
                Remembered::AlreadyKnown => format!("already in {}", shown.display()),
            }
            .into())
        })
    }
}

/// A handle on `$REINS_HOME`, where the user memory lives.
fn user_home(ctx: &ToolContext) -> Result<Arc<Beneath>, ToolError> {
    let home = ctx
        .reins_home
        .as_deref()
        .ok_or_else(|| ToolError::new("no user home is set (REINS_HOME or HOME)"))?;
    std::fs::create_dir_all(home)
        .and_then(|()| Beneath::open(home))
        .map(Arc::new)
        .map_err(|e| ToolError(format!("cannot open {}: {e}", home.display())))
}
