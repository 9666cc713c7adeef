//! Opening subagents' sessions: the front end's side of [`crate::subagent::Spawn`]. A child is
//! built like the parent (same workspace, config, sandbox, approver and cancel signal), with its
//! agent's tools, model and step limit, a transcript of its own, the parent's budget ledger, and the
//! user's tool hooks.

use super::setup;
use crate::agent::spend::SharedSpend;
use crate::agent::{ModelSetup, RecordSetup, Session, SessionSetup, ToolSetup};
use crate::cancel::Cancel;
use crate::engine::SharedApprover;
use crate::provider::retry_policy;
use crate::store::transcript::TranscriptWriter;
use crate::subagent::{AgentDef, Spawn, SpawnError, TOOL_NAME};
use crate::tools::{Registry, Tool};
use crate::types::SharedApproval;
use std::sync::Arc;

/// What a child inherits from the parent's front end.
pub struct ChildSpawner {
    pub ws: setup::Workspace,
    pub model: Option<String>,
    pub route: Option<String>,
    pub max_cost: Option<f64>,
    pub max_steps: Option<u32>,
    pub sandbox: setup::SandboxFlags,
    /// The parent's policy, as `/approval` leaves it.
    pub approval: SharedApproval,
    pub approver: SharedApprover,
    pub cancel: Cancel,
    pub spend: Arc<SharedSpend>,
    pub compact_threshold: f64,
    /// The parent's telemetry, and the parent's running tool call, which a child's trace
    /// hangs under.
    pub telemetry: crate::telemetry::Telemetry,
    pub lineage: crate::telemetry::Lineage,
}

/// A tool that only reads, by its own declaration for a call with no arguments.
fn reads_only(tool: &dyn Tool) -> bool {
    let e = tool.effects(&serde_json::json!({}));
    use crate::types::{Runs, ToolKind};
    matches!(e.kind, ToolKind::Read | ToolKind::Search)
        && !e.edits
        && e.runs == Runs::Nothing
        && !e.external
        && !e.writes_outside
}

impl ChildSpawner {
    /// The parent's tools a child with `def` may call: its list, or those that only read; never
    /// `task` (no grandchildren).
    fn registry(&self, def: &AgentDef, policy: &crate::sandbox::SandboxPolicy) -> Registry {
        let (skills, _) = crate::skills::tools(policy, self.ws.home.as_deref(), self.ws.trusted);
        let mut registry = Registry::builtin()
            .with(crate::checks::tools(&self.ws.loaded.config.checks))
            .with(skills);
        registry.retain(|t| {
            t.name() != TOOL_NAME
                && match &def.tools {
                    Some(names) => names.iter().any(|n| n == t.name()),
                    None => reads_only(t),
                }
        });
        registry
    }

    fn build(&self, def: &AgentDef) -> Result<Session, super::ExitError> {
        let ws = &self.ws;
        let cfg = &ws.loaded.config;
        // The agent's model or route replaces the parent's choice; otherwise the parent's holds.
        let (model, route) = match (&def.model, &def.route) {
            (None, None) => (self.model.clone(), self.route.clone()),
            (m, r) => (m.clone(), r.clone()),
        };
        let routing = setup::routing(ws, model.as_deref(), route.as_deref())?;
        let id = crate::workspace::new_session_id();
        let transcript = TranscriptWriter::open(ws.home()?, &id)
            .map_err(|e| super::ExitError::failure(e.to_string()))?
            .with_redactor(ws.redactor());
        let tools = setup::tool_context(ws, self.cancel.clone(), self.sandbox)?;
        let registry = self.registry(def, &tools.policy);
        let gate = setup::gate(ws, self.approval.clone())?.with_network(tools.policy.network);
        let base = ws.system_builder();
        let extra = format!(
            "{}\n\n{}",
            include_str!("../../prompts/subagent.md").trim(),
            def.instructions
        );
        let builder = move || format!("{}\n\n{}", base(), extra.trim_end());
        let hooks = setup::tool_hooks(ws, self.cancel.clone(), self.sandbox, &id)?;
        Ok(Session::new(SessionSetup {
            model: ModelSetup {
                routing,
                retry: retry_policy(&cfg.retry),
                max_steps: def
                    .max_steps
                    .or(self.max_steps)
                    .or(cfg.max_steps)
                    .unwrap_or(50),
                system: builder(),
                system_builder: Some(Box::new(builder)),
                compact_threshold: self.compact_threshold,
                start_map: None,
            },
            tools: ToolSetup {
                registry,
                context: tools,
                gate,
                approver: Box::new(self.approver.clone()),
                redactor: ws.redactor(),
                checkpoints: None,
            },
            record: RecordSetup {
                subagent: Some(def.name.clone()),
                ..RecordSetup::new(id, Some(transcript))
            },
            extensions: hooks
                .into_iter()
                .chain(self.telemetry.subagent(&self.lineage, &def.name))
                .collect(),
            budget: setup::budget(ws, self.max_cost)?,
            spend: Some(self.spend.clone()),
        }))
    }
}

impl Spawn for ChildSpawner {
    fn child(&self, def: &AgentDef) -> Result<Session, SpawnError> {
        self.build(def).map_err(|e| SpawnError {
            agent: def.name.clone(),
            reason: e.message,
        })
    }

    fn read_only_tools(&self) -> Vec<String> {
        Registry::builtin()
            .names()
            .into_iter()
            .filter(|n| Registry::builtin().get(n).is_some_and(reads_only))
            .map(str::to_string)
            .collect()
    }
}
