//! A workflow's limits, enforced on every tool call before it runs: only the listed tools, and
//! no write tool touching a denied path. A refusal goes back to the model as the call's result,
//! saying what is allowed, so it can take another way.

use super::WorkflowError;
use crate::agent::extension::{Blocked, Extension, Report, ToolUse};
use crate::types::{BoxFuture, Subject};
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::{Component, Path, PathBuf};

/// What a workflow forbids about a call; read by the model after "blocked by the workflow `x`:".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error(
        "it allows only these tools: {}; `{tool}` is not one of them. Do this step with those \
         tools",
        allowed.join(", ")
    )]
    ToolNotAllowed { tool: String, allowed: Vec<String> },
    #[error(
        "it does not allow changing `{}` (deny_paths: {}); leave it as it is and change other \
         files",
        path.display(),
        deny.join(", ")
    )]
    DeniedPath { path: PathBuf, deny: Vec<String> },
}

/// A workflow's tool list and deny paths. Deny paths are checked against the paths a tool that
/// edits declares; `shell` can write anything and names no paths, but the deny paths that are
/// plain directories are also made read-only in the sandbox (see [`protected_dirs`]).
pub struct WorkflowGuard {
    workflow: String,
    root: PathBuf,
    tools: Option<Vec<String>>,
    deny: GlobSet,
    deny_patterns: Vec<String>,
}

impl WorkflowGuard {
    pub fn new(
        workflow: &str,
        root: &Path,
        tools: Option<Vec<String>>,
        deny_paths: &[String],
    ) -> Result<Self, WorkflowError> {
        let mut set = GlobSetBuilder::new();
        for p in deny_paths {
            let glob = Glob::new(p).map_err(|e| WorkflowError::BadGlob {
                pattern: p.clone(),
                message: e.to_string(),
            })?;
            set.add(glob);
        }
        let deny = set.build().map_err(|e| WorkflowError::BadGlob {
            pattern: deny_paths.join(", "),
            message: e.to_string(),
        })?;
        Ok(WorkflowGuard {
            workflow: workflow.to_string(),
            root: root.to_path_buf(),
            tools,
            deny,
            deny_patterns: deny_paths.to_vec(),
        })
    }

    /// `Err` with a message for the model when the workflow forbids `call`.
    pub fn check(&self, tool_use: &ToolUse<'_>) -> Result<(), GuardError> {
        let call = tool_use.call;
        if let Some(tools) = &self.tools {
            if !tools.iter().any(|t| t == &call.name) {
                return Err(GuardError::ToolNotAllowed {
                    tool: call.name.clone(),
                    allowed: tools.clone(),
                });
            }
        }
        if !tool_use.effects.edits || self.deny_patterns.is_empty() {
            return Ok(());
        }
        let paths = tool_use.subjects.iter().filter_map(|s| match s {
            Subject::Path(p) => Some(p),
            _ => None,
        });
        for path in paths {
            let rel = self.relative(path);
            if self.deny.is_match(&rel) {
                return Err(GuardError::DeniedPath {
                    path: rel,
                    deny: self.deny_patterns.clone(),
                });
            }
        }
        Ok(())
    }

    /// The path relative to the workspace root as the tools will resolve it (`..`, absolute
    /// paths and symlinks folded), so a different spelling cannot slip past a glob; a path that
    /// does not resolve falls back to lexical folding (the tool refuses it anyway).
    fn relative(&self, path: &str) -> PathBuf {
        if let Some(rel) = self
            .root
            .canonicalize()
            .ok()
            .and_then(|root| {
                crate::sandbox::paths::resolve(&root, path)
                    .ok()
                    .map(|p| (root, p))
            })
            .and_then(|(root, p)| p.strip_prefix(&root).ok().map(Path::to_path_buf))
        {
            return rel;
        }
        let p = Path::new(path);
        let p = p.strip_prefix(&self.root).unwrap_or(p);
        let mut out = PathBuf::new();
        for c in p.components() {
            match c {
                Component::Normal(s) => out.push(s),
                Component::ParentDir => {
                    out.pop();
                }
                _ => {}
            }
        }
        out
    }
}

impl Extension for WorkflowGuard {
    fn workflow(&self) -> Option<&str> {
        Some(&self.workflow)
    }

    fn pre_tool<'a>(
        &'a self,
        call: &'a ToolUse<'a>,
        _report: Report<'a>,
    ) -> BoxFuture<'a, Result<(), Blocked>> {
        let verdict = self
            .check(call)
            .map_err(|e| Blocked::new(format!("the workflow `{}`", self.workflow), e));
        Box::pin(async move { verdict })
    }
}

/// The deny paths that name a directory or file outright (`tests/**`, `CHANGELOG.md`): these can
/// also be made read-only in the sandbox, so commands cannot change them either.
pub fn protected_dirs(deny_paths: &[String]) -> Vec<String> {
    let is_glob = |s: &str| s.contains(['*', '?', '[', '{']);
    deny_paths
        .iter()
        .filter_map(|p| {
            let base = p.strip_suffix("/**").unwrap_or(p);
            (!is_glob(base) && !base.is_empty()).then(|| base.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::ToolCall;

    fn call(name: &str, args: serde_json::Value) -> ToolCall {
        ToolCall {
            id: "c1".into(),
            name: name.into(),
            arguments: args.to_string(),
        }
    }

    impl WorkflowGuard {
        /// `check` with the effects and subjects the built-in tool declares for the call.
        fn check_call(&self, call: &ToolCall) -> Result<(), GuardError> {
            let args = call.parsed_arguments();
            let registry = crate::tools::Registry::builtin();
            let tool = registry.get(&call.name).expect("a built-in tool");
            let subjects = tool.subjects(&args);
            self.check(&ToolUse {
                call,
                effects: tool.effects(&args),
                subjects: &subjects,
            })
        }
    }

    fn guard() -> WorkflowGuard {
        WorkflowGuard::new(
            "fix-tests",
            Path::new("/w"),
            Some(vec![
                "read_file".into(),
                "edit_file".into(),
                "apply_patch".into(),
            ]),
            &["tests/**".into(), "*.lock".into()],
        )
        .unwrap()
    }

    #[test]
    fn tools_outside_the_allow_list_are_refused_with_the_list() {
        let err = guard()
            .check_call(&call("shell", serde_json::json!({"command": "ls"})))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`shell` is not one of them") && err.contains("read_file, edit_file"),
            "{err}"
        );
        assert!(guard()
            .check_call(&call(
                "read_file",
                serde_json::json!({"path": "tests/a.py"})
            ))
            .is_ok());
    }

    #[test]
    fn writes_to_denied_paths_are_refused_however_spelled() {
        let g = guard();
        for path in [
            "tests/test_a.py",
            "./tests/x/y.py",
            "src/../tests/a.py",
            "/w/tests/a.py",
            "Cargo.lock",
        ] {
            let r = g.check_call(&call(
                "edit_file",
                serde_json::json!({"path": path, "old_string": "a", "new_string": "b"}),
            ));
            assert!(r.is_err(), "{path}");
        }
        assert!(g
            .check_call(&call("edit_file", serde_json::json!({"path": "src/a.py"})))
            .is_ok());
        let patch = "*** Begin Patch\n*** Update File: tests/t.py\n@@\n-a\n+b\n*** End Patch";
        assert!(g
            .check_call(&call("apply_patch", serde_json::json!({"patch": patch})))
            .is_err());
    }

    #[test]
    fn plain_deny_paths_become_protected_directories() {
        let p = protected_dirs(&[
            "tests/**".into(),
            "*.lock".into(),
            "docs/api".into(),
            "src/**/*.rs".into(),
        ]);
        assert_eq!(p, ["tests", "docs/api"]);
    }
}
