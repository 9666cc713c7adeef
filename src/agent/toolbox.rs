//! What the model may call and what its calls may use: the registry, the specs it renders (part of
//! every request's prefix), the tools' context (workspace, sandbox policy, cancel signal), the
//! permission gate, and the redactor every output passes. Tools may join after the session was
//! built: MCP servers' tools, whose lists are known only once the servers have started and may
//! change while the session runs ([`ToolSource`]).
//!
//! The specs change only when a source's tools really changed, and only where the front end
//! refreshes: before the first request (after the servers started) and at the start of each user
//! turn. A change announced mid-turn is therefore seen by the model from its next user turn on;
//! until then the old proxies keep working.

use super::permit::Permissions;
use crate::cancel::Cancel;
use crate::conversation::{ToolCall, ToolSpec};
use crate::redact::Redactor;
use crate::sandbox::approval::Approval;
use crate::sandbox::SandboxMode;
use crate::tools::{Registry, Tool, ToolContext, ToolResult};
use crate::types::{BoxFuture, Subject, ToolKind};
use std::path::Path;

/// A provider of tools that come and go.
pub trait ToolSource: Send + Sync {
    /// Whether the registered tool called `name` belongs to this source.
    fn owns(&self, name: &str) -> bool;

    /// The source's complete current tool set, re-read where it announced a change.
    fn current_tools(&self) -> BoxFuture<'_, Vec<Box<dyn Tool>>>;
}

/// What a step's calls may do (see [`Toolbox::reach`]).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Reach {
    /// They may change files in the workspace.
    pub edits: bool,
    /// They run programs: only those can plant a repository (the file tools refuse `.git`).
    pub programs: bool,
}

/// The session's tools, their context and what checks their calls.
pub struct Toolbox {
    registry: Registry,
    /// What the model is told it may call, rendered from `registry`.
    specs: Vec<ToolSpec>,
    context: ToolContext,
    permissions: Permissions,
    redactor: Redactor,
}

impl Toolbox {
    pub(super) fn new(setup: super::session_setup::ToolSetup) -> Self {
        Toolbox {
            specs: setup.registry.specs(),
            registry: setup.registry,
            context: setup.context,
            permissions: Permissions::new(setup.gate, setup.approver),
            redactor: setup.redactor,
        }
    }

    pub(super) fn specs(&self) -> &[ToolSpec] {
        &self.specs
    }

    pub(super) fn context(&self) -> &ToolContext {
        &self.context
    }

    pub(super) fn permissions(&self) -> &Permissions {
        &self.permissions
    }

    /// The workspace root the session's tools work in.
    pub fn root(&self) -> &Path {
        &self.context.root
    }

    /// The signal the session's tools stop on.
    pub fn cancel(&self) -> Cancel {
        self.context.cancel.clone()
    }

    pub fn approval(&self) -> Approval {
        self.permissions.approval()
    }

    /// Changes the approval policy for the rest of the session.
    pub fn set_approval(&mut self, approval: Approval) {
        self.permissions.set_approval(approval);
    }

    pub fn sandbox_mode(&self) -> SandboxMode {
        self.context.policy.mode
    }

    /// Changes the sandbox mode for the commands and file tools that run from now on.
    pub fn set_sandbox(&mut self, mode: SandboxMode) {
        self.context.set_sandbox_mode(mode);
    }

    /// Replaces the source's registered tools with its current ones if they differ (names,
    /// descriptions or schemas), and rebuilds the specs sent to the model. Returns whether
    /// anything changed; when nothing did, the request prefix stays byte-identical.
    pub async fn refresh(&mut self, source: &dyn ToolSource) -> bool {
        let tools = source.current_tools().await;
        let fresh: Vec<_> = tools.iter().map(|t| signature(t.as_ref())).collect();
        let registered: Vec<_> = self
            .specs
            .iter()
            .filter(|s| source.owns(&s.name))
            .map(|s| (s.name.clone(), s.description.clone(), s.parameters.clone()))
            .collect();
        if fresh == registered {
            return false;
        }
        self.registry.retain(|t| !source.owns(t.name()));
        for tool in tools {
            self.registry.add(tool);
        }
        self.specs = self.registry.specs();
        true
    }

    /// Keeps only the tools `keep` accepts and rebuilds the specs: a review session gets the
    /// read-only ones. Call it before the first request, so the request prefix never changes.
    pub fn retain(&mut self, keep: impl FnMut(&dyn Tool) -> bool) {
        self.registry.retain(keep);
        self.specs = self.registry.specs();
    }

    pub(super) fn get(&self, name: &str) -> Option<&dyn Tool> {
        self.registry.get(name)
    }

    /// Runs a call that passed the checks.
    pub(super) async fn run(&self, call: &ToolCall) -> ToolResult {
        self.registry
            .run(&call.name, &call.arguments, &self.context)
            .await
    }

    /// What a step's calls may do, each call's declaration read once: change the workspace, run
    /// programs (a command, a check, a third-party server's tool). An unknown tool is assumed to
    /// do both.
    pub(super) fn reach(&self, calls: &[ToolCall]) -> Reach {
        let mut reach = Reach::default();
        for call in calls {
            let Some(tool) = self.registry.get(&call.name) else {
                return Reach {
                    edits: true,
                    programs: true,
                };
            };
            let effects = tool.effects(&call.parsed_arguments());
            reach.edits |= effects.edits;
            reach.programs |= effects.runs != crate::types::Runs::Nothing || effects.external;
        }
        reach
    }

    /// Whether the session has third-party servers' tools (MCP): their servers keep running
    /// between calls, so they may change the workspace during any turn.
    pub(super) fn has_servers(&self) -> bool {
        let registry = &self.registry;
        registry
            .names()
            .iter()
            .filter_map(|name| registry.get(name))
            .any(|t| t.effects(&serde_json::Value::Null).external)
    }

    /// What the tool declares about a call, for the `tool.call` event: its kind and the paths
    /// it names, workspace-relative. Nothing for a tool the session does not have.
    pub(super) fn declared(
        &self,
        name: &str,
        arguments: &serde_json::Value,
    ) -> (Option<ToolKind>, Vec<String>) {
        let Some(tool) = self.registry.get(name) else {
            return (None, Vec::new());
        };
        let paths = self
            .subjects(tool, arguments)
            .into_iter()
            .filter_map(|s| match s {
                Subject::Path(p) if !p.is_empty() => Some(p),
                _ => None,
            })
            .collect();
        (Some(tool.effects(arguments).kind), paths)
    }

    /// The call's subjects as the rules must see them: paths resolved (`..`, absolute paths and
    /// symlinks folded) to their workspace-relative form, so `src/../secrets/k` cannot slip past
    /// `write(secrets/**)`. A path that does not resolve stays as written; the tool refuses it.
    pub(super) fn subjects(&self, tool: &dyn Tool, arguments: &serde_json::Value) -> Vec<Subject> {
        let ctx = &self.context;
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

    /// Notes paths the session's calls named or changed: the repo map ranks toward them.
    pub(super) fn touch(&self, named: &[String], changed: &[String]) {
        if let Ok(mut touched) = self.context.traces.touched.lock() {
            touched.extend(named.iter().chain(changed).cloned());
        }
    }

    /// A tool's output with the secrets it may show removed, before the model sees it.
    pub(super) fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }
}

/// What the model sees of a tool, as the registry renders it into a spec.
fn signature(tool: &dyn Tool) -> (String, String, serde_json::Value) {
    (
        tool.name().to_string(),
        tool.description().trim().to_string(),
        tool.parameters(),
    )
}
