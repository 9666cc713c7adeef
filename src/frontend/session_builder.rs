//! Building a ready-to-run session from the command line: the [`Factory`] every front end hands
//! the engine.

use super::{setup, ExitError};
use crate::agent::extension::Extension;
use crate::agent::repo_map_step::StartMap;
use crate::agent::{ModelSetup, RecordSetup, Resumed, Session, SessionSetup, ToolSetup};
use crate::cancel::Cancel;
pub use crate::engine::{Built, Resume};
use crate::engine::{OpenError, Overrides, SessionFactory, SharedApprover};
use crate::provider::retry_policy;
use crate::sandbox::approval::{Approval, Approver};
use crate::store::sessions::{self, LoadedSession};
use crate::store::transcript::TranscriptWriter;
use crate::tools::Registry;
use crate::types::{BoxFuture, SharedApproval};
use std::sync::{Arc, Mutex};

/// Compact when a request would pass this share of the context window, unless configured.
pub const DEFAULT_COMPACT_THRESHOLD: f64 = 0.85;

/// Everything a front end decides about a session.
pub struct SessionOptions {
    pub model: Option<String>,
    pub route: Option<String>,
    pub max_cost: Option<f64>,
    pub max_steps: Option<u32>,
    pub sandbox: setup::SandboxFlags,
    pub resume: Resume,
    /// The approval policy, shared with the session's subagents.
    pub approval: SharedApproval,
    pub approver: Box<dyn Approver>,
    /// Checks, hooks and other participants.
    pub extensions: Vec<Box<dyn Extension>>,
    /// The budget ledger shared with the session's subagents.
    pub spend: Option<Arc<crate::agent::spend::SharedSpend>>,
    /// Tools this front end adds (`task`).
    pub extra_tools: Vec<Box<dyn crate::tools::Tool>>,
    /// Where the file tools read and write instead of the disk (an editor's buffers).
    pub files: Option<Arc<dyn crate::tools::FileAccess>>,
}

/// The front end's side of the engine: its workspace, flags and approver, from which every
/// session it opens (the first, and those of `/clear` and `/resume`) is built the same way.
pub struct Factory {
    pub ws: setup::Workspace,
    pub model: Option<String>,
    pub route: Option<String>,
    pub max_cost: Option<f64>,
    pub max_steps: Option<u32>,
    pub sandbox: setup::SandboxFlags,
    /// The approval policy when the config sets none (`never` headless, `on-request` interactive).
    pub default_approval: Approval,
    pub approver: SharedApprover,
    pub cancel: Cancel,
    /// MCP servers, started once; every session of this front end shares them.
    pub mcp: Arc<crate::mcp::McpHub>,
    /// Participants of the first session only (a workflow's guard in `reins run`).
    pub first_only: Mutex<Vec<Box<dyn Extension>>>,
    /// Where the file tools read and write instead of the disk (an editor's buffers, in
    /// `reins acp`); `None`: the disk.
    pub files: Option<Arc<dyn crate::tools::FileAccess>>,
    /// This front end's OpenTelemetry export (off unless `[telemetry]` says where), shared by
    /// its sessions and their subagents and stopped when the engine closes.
    pub telemetry: crate::telemetry::Telemetry,
}

impl Factory {
    /// A session with the config's checks, hooks and MCP servers, and the overrides applied.
    pub fn build_session(&self, resume: Resume, overrides: Overrides) -> Result<Built, ExitError> {
        let mut sandbox = self.sandbox;
        sandbox.mode = overrides.sandbox.or(sandbox.mode);
        let (mut extensions, hook_session) =
            extensions(&self.ws, &self.cancel, sandbox, &self.mcp)?;
        let (trace, lineage) = self.telemetry.session();
        extensions.extend(trace);
        if let Ok(mut first) = self.first_only.lock() {
            extensions.extend(first.drain(..));
        }
        let spend = Arc::new(crate::agent::spend::SharedSpend::default());
        let approval = SharedApproval::new(
            overrides
                .approval
                .or(self.ws.loaded.config.approval)
                .unwrap_or(self.default_approval),
        );
        let (task, agent_warnings) =
            self.task_tool(spend.clone(), approval.clone(), lineage, overrides);
        let opts = SessionOptions {
            spend: Some(spend),
            extra_tools: vec![task],
            files: self.files.clone(),
            model: self.model.clone(),
            route: self.route.clone(),
            max_cost: self.max_cost,
            max_steps: self.max_steps,
            sandbox,
            resume,
            approval,
            approver: Box::new(self.approver.clone()),
            extensions,
        };
        let mut built = build(&self.ws, opts, self.cancel.clone())?;
        built.warnings.extend(agent_warnings);
        hook_session.set(built.session.id());
        Ok(built)
    }
}

impl Factory {
    /// A session for the workflow `name` (`/NAME ARGS` in the TUI) and its task, prepared as
    /// `reins run` prepares it; the front end's `--model`/`--route` win over the workflow's.
    fn workflow_session(
        &self,
        name: &str,
        args: &str,
        overrides: Overrides,
    ) -> Result<(Built, String), ExitError> {
        let (vars, extra) = super::workflow_job::split_slash_args(args);
        let vars = crate::workflow::parse_vars(&vars)?;
        let job = super::workflow_job::prepare(&self.ws, name, &vars, Some(&extra))?;
        let (model, route) = match (&self.model, &self.route) {
            (None, None) => (job.model, job.route),
            (m, r) => (m.clone(), r.clone()),
        };
        let factory = Factory {
            ws: job.ws,
            model,
            route,
            max_cost: self.max_cost.or(job.max_cost),
            max_steps: self.max_steps.or(job.max_steps),
            sandbox: self.sandbox,
            default_approval: self.default_approval,
            approver: self.approver.clone(),
            cancel: self.cancel.clone(),
            mcp: self.mcp.clone(),
            first_only: Mutex::new(vec![Box::new(job.guard)]),
            files: self.files.clone(),
            telemetry: self.telemetry.clone(),
        };
        let mut built = factory.build_session(Resume::New, overrides)?;
        built.warnings.extend(job.warnings);
        Ok((built, job.task))
    }

    /// The `task` tool, with the agents the user and this workspace define, and warnings about
    /// definitions passed over.
    fn task_tool(
        &self,
        spend: Arc<crate::agent::spend::SharedSpend>,
        approval: SharedApproval,
        lineage: crate::telemetry::Lineage,
        overrides: Overrides,
    ) -> (Box<dyn crate::tools::Tool>, Vec<String>) {
        let policy = setup::policy(&self.ws, self.sandbox);
        let (agents, warnings) =
            crate::subagent::discover(&policy, self.ws.home.as_deref(), self.ws.trusted);
        let cfg = &self.ws.loaded.config;
        let mut sandbox = self.sandbox;
        sandbox.mode = overrides.sandbox.or(sandbox.mode);
        let spawner = crate::frontend::subagents::ChildSpawner {
            ws: self.ws.clone(),
            model: self.model.clone(),
            route: self.route.clone(),
            max_cost: self.max_cost,
            max_steps: self.max_steps,
            sandbox,
            approval,
            approver: self.approver.clone(),
            cancel: self.cancel.clone(),
            spend,
            compact_threshold: cfg.compact_threshold.unwrap_or(DEFAULT_COMPACT_THRESHOLD),
            telemetry: self.telemetry.clone(),
            lineage,
        };
        let tool = crate::subagent::TaskTool::new(Arc::new(spawner), agents);
        (Box::new(tool), warnings)
    }
}

impl SessionFactory for Factory {
    fn build(&self, resume: Resume, overrides: Overrides) -> Result<Built, OpenError> {
        self.build_session(resume, overrides)
            .map_err(|e| OpenError::FrontEnd(Box::new(e)))
    }

    fn attach<'a>(
        &'a self,
        session: &'a mut Session,
        emit: crate::agent::events::Emit<'a>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(self.mcp.attach(session, emit))
    }

    fn workflow(
        &self,
        name: &str,
        args: &str,
        overrides: Overrides,
    ) -> Result<(Built, String), OpenError> {
        self.workflow_session(name, args, overrides)
            .map_err(|e| OpenError::FrontEnd(Box::new(e)))
    }

    fn home(&self) -> Option<&std::path::Path> {
        self.ws.home.as_deref()
    }

    fn stop_servers(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.mcp.shutdown())
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // Stopped already, unless the engine skipped `stop_servers`: then here.
            self.mcp.shutdown().await;
            // The engine has its own thread: waiting here for the last export holds no one.
            self.telemetry.stop();
        })
    }
}

pub fn build(
    ws: &setup::Workspace,
    opts: SessionOptions,
    cancel: Cancel,
) -> Result<Built, ExitError> {
    let cfg = &ws.loaded.config;
    // First, so the store opens and the sandbox is probed while the rest is built.
    setup::policy(ws, opts.sandbox).probe_in_background();
    let mut store_warnings = Vec::new();
    let checkpoints = open_checkpoints(ws, &mut store_warnings);
    let routing = setup::routing(ws, opts.model.as_deref(), opts.route.as_deref())?;
    let budget = setup::budget(ws, opts.max_cost)?;
    let resumed = load_resumed(ws, &opts.resume)?;
    let id = resumed
        .as_ref()
        .map_or_else(crate::workspace::new_session_id, |r| r.info.id.clone());
    let transcript = TranscriptWriter::open(ws.home()?, &id)
        .map_err(|e| ExitError::failure(e.to_string()))?
        .with_redactor(ws.redactor());
    let mut tools = setup::tool_context(ws, cancel, opts.sandbox)?;
    tools.files = opts.files;
    let gate = setup::gate(ws, opts.approval)?.with_network(tools.policy.network);
    let builder = ws.system_builder();
    let mut warnings: Vec<String> = resumed
        .as_ref()
        .map(|r| r.warnings.clone())
        .unwrap_or_default()
        .into_iter()
        .chain(ws.instruction_warnings())
        .chain(store_warnings)
        .collect();
    let (skill_tool, skill_warnings) =
        crate::skills::tools(&tools.policy, ws.home.as_deref(), ws.trusted);
    warnings.extend(skill_warnings);
    let session = Session::new(SessionSetup {
        model: ModelSetup {
            routing,
            retry: retry_policy(&cfg.retry),
            max_steps: opts.max_steps.or(cfg.max_steps).unwrap_or(50),
            system: builder(),
            system_builder: Some(Box::new(builder)),
            compact_threshold: cfg.compact_threshold.unwrap_or(DEFAULT_COMPACT_THRESHOLD),
            start_map: Some(StartMap {
                when: cfg.repo_map.start.unwrap_or_default(),
                tokens: cfg
                    .repo_map
                    .tokens
                    .unwrap_or(crate::agent::repo_map_step::START_TOKENS),
            }),
        },
        tools: ToolSetup {
            registry: Registry::builtin()
                .with(crate::checks::tools(&cfg.checks))
                .with(skill_tool)
                .with(opts.extra_tools),
            context: tools,
            gate,
            approver: opts.approver,
            redactor: ws.redactor(),
            checkpoints,
        },
        record: RecordSetup {
            resume: resumed.map(|r| Resumed {
                history: r.history,
                plan: r.plan,
                state: r.state,
                first_prompt: r.info.prompt,
            }),
            ..RecordSetup::new(id, Some(transcript))
        },
        extensions: opts.extensions,
        budget,
        spend: opts.spend,
    });
    Ok(Built { session, warnings })
}

fn load_resumed(
    ws: &setup::Workspace,
    resume: &Resume,
) -> Result<Option<LoadedSession>, ExitError> {
    let id = match resume {
        Resume::New => return Ok(None),
        Resume::Id(id) => id.clone(),
        Resume::Latest => {
            sessions::latest(ws.home()?, &ws.root).map_err(|e| ExitError::usage(e.to_string()))?
        }
    };
    sessions::load_by_id(ws.home()?, &id)
        .map(Some)
        .map_err(|e| ExitError::usage(e.to_string()))
}

/// The workspace's checkpoint store, opened on a thread of its own (see
/// [`crate::store::Checkpoints`]); a store that cannot be opened costs undo, not the session.
fn open_checkpoints(
    ws: &setup::Workspace,
    warnings: &mut Vec<String>,
) -> Option<crate::store::Checkpoints> {
    let home = ws.home.as_deref()?;
    match crate::store::Checkpoints::open_in_background(home.to_path_buf(), ws.root.clone()) {
        Ok(store) => Some(store),
        Err(e) => {
            warnings.push(format!(
                "checkpoints are off for this session (reins undo will not cover it): {e}"
            ));
            None
        }
    }
}

type BoxedExtension = Box<dyn Extension>;

/// The participants every session gets from the config: the checks, the `[[hooks]]`, and the MCP
/// status reporter; plus the slot that hands the hooks the session id once it is known.
pub fn extensions(
    ws: &setup::Workspace,
    cancel: &Cancel,
    flags: setup::SandboxFlags,
    mcp: &std::sync::Arc<crate::mcp::McpHub>,
) -> Result<(Vec<BoxedExtension>, crate::hooks::SessionIdSlot), ExitError> {
    let mut out: Vec<BoxedExtension> = Vec::new();
    out.extend(checks_extension(ws, cancel.clone(), flags)?);
    let (hooks, slot) = hooks_extension(ws, cancel.clone(), flags)?;
    out.extend(hooks);
    out.push(crate::mcp::reporter(mcp));
    Ok((out, slot))
}

/// The checks that judge the session when the model stops, with a tool context of their own
/// built like the session's, so they run in the same sandbox and environment.
fn checks_extension(
    ws: &setup::Workspace,
    cancel: Cancel,
    flags: setup::SandboxFlags,
) -> Result<Option<BoxedExtension>, ExitError> {
    let checks = &ws.loaded.config.checks;
    if checks.commands.is_empty() {
        return Ok(None);
    }
    let ctx = setup::tool_context(ws, cancel, flags)?;
    Ok(Some(Box::new(crate::checks::ChecksExtension::new(
        checks.commands.clone(),
        ctx,
        checks.timeout(),
    ))))
}

/// The `[[hooks]]`, run like the session's commands, and where the session id goes once known.
fn hooks_extension(
    ws: &setup::Workspace,
    cancel: Cancel,
    flags: setup::SandboxFlags,
) -> Result<(Option<BoxedExtension>, crate::hooks::SessionIdSlot), ExitError> {
    let ctx = setup::tool_context(ws, cancel, flags)?;
    let hooks = crate::hooks::Hooks::new(&ws.loaded.config.hooks, ctx)
        .map_err(|e| ExitError::usage(e.to_string()))?;
    let slot = hooks.session_id_slot();
    let ext: Option<BoxedExtension> = (!hooks.is_empty()).then(|| Box::new(hooks) as _);
    Ok((ext, slot))
}
