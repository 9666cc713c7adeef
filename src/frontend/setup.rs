//! Building what every front end needs from the command line: workspace, config, model, tools,
//! the prompt prefix and the transcript.

use super::ExitError;
use crate::agent::routing::{Entry, Routing, RoutingSetup};
use crate::cli::GlobalArgs;
use crate::config::resolve_model;
use crate::config::trust::TrustState;
use crate::config::{self, LoadOptions, Loaded};
use crate::provider::client_for;
use crate::redact::Redactor;
use crate::router::{Budget, Router};
use crate::sandbox::approval::Gate;
use crate::sandbox::{Rules, SandboxMode, SandboxPolicy};
use crate::tools::ToolContext;
use crate::types::SharedApproval;
use std::path::PathBuf;

#[derive(Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub home: Option<PathBuf>,
    pub loaded: Loaded,
    /// Whether the user trusts the workspace's own config, workflows and commands as they are.
    pub trusted: bool,
    /// `--effort`: every request's effort, over each model's configured one.
    pub effort: Option<crate::types::Effort>,
}

/// `--worktree NAME`: the options with the worktree (made or reused in the repository of `-C`
/// or the current directory) as the workspace; unchanged without a name.
pub fn in_worktree(mut global: GlobalArgs, name: Option<&str>) -> Result<GlobalArgs, ExitError> {
    let Some(name) = name else {
        return Ok(global);
    };
    let start = match &global.cd {
        Some(dir) => dir.clone(),
        None => std::env::current_dir()
            .map_err(|e| ExitError::usage(format!("the current directory: {e}")))?,
    };
    let wt = crate::workspace::worktree::open_or_create(&start, name)
        .map_err(|e| ExitError::usage(format!("--worktree {name}: {e}")))?;
    global.cd = Some(wt.path);
    Ok(global)
}

pub fn workspace(global: &GlobalArgs) -> Result<Workspace, ExitError> {
    let (root, repo_warning) = crate::workspace::discover(global.cd.as_deref())
        .map_err(|e| ExitError::usage(e.to_string()))?;
    let home = crate::workspace::reins_home();
    let main = crate::workspace::worktree::main_checkout(&root);
    let trust = home.as_deref().map_or(TrustState::Untrusted, |h| {
        config::trust::trust_state_via(h, &root, main.as_deref())
    });
    let mut loaded = config::load(&LoadOptions {
        reins_home: home.clone(),
        workspace: Some(root.clone()),
        overrides: global.overrides.clone(),
        workspace_trusted: trust == TrustState::Trusted,
    })?;
    loaded.warnings.extend(repo_warning);
    if trust == TrustState::Changed {
        loaded.warnings.insert(
            0,
            "this workspace's .reins/config.toml, workflows or commands changed since you trusted it, so they are treated as untrusted; review them and run `reins trust` again".to_string(),
        );
    }
    Ok(Workspace {
        root,
        home,
        loaded,
        trusted: trust == TrustState::Trusted,
        effort: global.effort,
    })
}

impl Workspace {
    /// `$REINS_HOME`, required for anything that persists.
    pub fn home(&self) -> Result<&std::path::Path, ExitError> {
        self.home.as_deref().ok_or_else(|| {
            ExitError::usage(
                "neither REINS_HOME nor HOME is set; set REINS_HOME to a directory reins may write",
            )
        })
    }

    /// The environment variables that hold the configured providers' keys.
    pub fn key_vars(&self) -> Vec<String> {
        self.loaded
            .config
            .providers
            .values()
            .filter_map(|p| p.api_key_env.clone())
            .filter(|k| !k.is_empty())
            .collect()
    }

    pub fn redactor(&self) -> Redactor {
        Redactor::from_env_vars(&self.key_vars())
    }

    /// A closure that assembles the prompt prefix from the files as they are now.
    /// Workspace files are read under the read side of the sandbox policy (secrets, deny rules).
    pub fn system_builder(&self) -> impl Fn() -> String + Send + Sync + 'static {
        let (root, home) = (self.root.clone(), self.home.clone());
        let policy = policy(self, SandboxFlags::default());
        move || {
            let cwd = std::env::current_dir().unwrap_or_else(|_| root.clone());
            let (instructions, _) =
                crate::agent::instructions::load(home.as_deref(), &policy, &cwd);
            let (memory, _) = crate::store::memory::prompt_section(&policy, home.as_deref());
            crate::agent::prompt::system_prefix(&instructions, &memory)
        }
    }

    /// Warnings about instruction files that were cut or unreadable.
    /// Warnings to show when a session opens: instruction files cut or unreadable, project
    /// config keys ignored because the workspace is not trusted.
    pub fn instruction_warnings(&self) -> Vec<String> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| self.root.clone());
        let policy = policy(self, SandboxFlags::default());
        let mut out = self.loaded.warnings.clone();
        out.extend(crate::agent::instructions::load(self.home.as_deref(), &policy, &cwd).1);
        out.extend(crate::store::memory::prompt_section(&policy, self.home.as_deref()).1);
        out
    }
}

/// Command-line overrides of the sandbox settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct SandboxFlags {
    pub mode: Option<SandboxMode>,
    pub network: bool,
}

impl From<crate::cli::SandboxArgs> for SandboxFlags {
    fn from(args: crate::cli::SandboxArgs) -> Self {
        SandboxFlags {
            mode: args.sandbox,
            network: args.network,
        }
    }
}

/// The session `--resume ID` / `--continue` ask for (a new one without either).
pub fn resume_of(args: &crate::cli::ResumeArgs) -> crate::engine::Resume {
    use crate::engine::Resume;
    match (&args.resume, args.continue_last) {
        (Some(id), _) => Resume::Id(id.clone()),
        (None, true) => Resume::Latest,
        (None, false) => Resume::New,
    }
}

/// The sandbox mode when neither a flag nor the config picks one.
pub const DEFAULT_SANDBOX: SandboxMode = SandboxMode::WorkspaceWrite;

/// The sandbox policy from config and flags.
pub fn policy(ws: &Workspace, flags: SandboxFlags) -> SandboxPolicy {
    let cfg = &ws.loaded.config;
    let mode = flags.mode.or(cfg.sandbox).unwrap_or(DEFAULT_SANDBOX);
    let network = flags.network || cfg.network.unwrap_or(false);
    let protected = cfg
        .permissions
        .protected
        .iter()
        .map(PathBuf::from)
        .collect();
    let mut policy = SandboxPolicy::new(mode, network, &ws.root, protected);
    policy.set_read_rules(
        crate::sandbox::rules::read_patterns(&cfg.permissions.allow),
        crate::sandbox::rules::read_patterns(&cfg.permissions.deny),
    );
    if let Some(home) = &ws.home {
        policy.protect_reins_home(home);
    }
    policy
}

/// The permission gate from `[permissions]` and the approval policy.
pub fn gate(ws: &Workspace, approval: SharedApproval) -> Result<Gate, ExitError> {
    let p = &ws.loaded.config.permissions;
    let rules = Rules::parse(&p.allow, &p.ask, &p.deny)
        .map_err(|e| ExitError::usage(format!("[permissions]: {e}")))?;
    Ok(Gate::sharing(rules, approval))
}

/// The tool context, with a child environment that carries no secrets.
pub fn tool_context(
    ws: &Workspace,
    cancel: crate::cancel::Cancel,
    flags: SandboxFlags,
) -> Result<ToolContext, ExitError> {
    let mut ctx = ToolContext::new(&ws.root, cancel)
        .map_err(|e| ExitError::usage(format!("workspace {}: {e}", ws.root.display())))?;
    let cfg = &ws.loaded.config;
    ctx.child_env = crate::sandbox::scrubbed_env(&ws.key_vars(), &cfg.shell.pass_env);
    if let Some(ms) = cfg.shell.timeout_ms {
        ctx.settings.shell_timeout = std::time::Duration::from_millis(ms);
    }
    ctx.reins_home = ws.home.clone();
    ctx.policy = policy(ws, flags);
    ctx.allow_unsandboxed = cfg.allow_unsandboxed.unwrap_or(false);
    ctx.settings.fetch_private_hosts = cfg.web_fetch.private_hosts.clone();
    if let Some(cap) = cfg.memory_cap_bytes {
        ctx.settings.memory_cap = cap;
    }
    Ok(ctx)
}

/// Which model serves each step: a router when `--route` names one or `[router]` is configured
/// and no `--model` pins a model; otherwise one model for the whole session.
pub fn routing(
    ws: &Workspace,
    model: Option<&str>,
    route: Option<&str>,
) -> Result<Routing, ExitError> {
    let cfg = &ws.loaded.config;
    let env = |k: &str| std::env::var(k).ok();
    let known: Vec<String> = cfg.models.keys().cloned().collect();
    let use_router = route.is_some() || model.is_none();
    let router = if use_router {
        crate::router::select(cfg.router.as_ref(), &cfg.routers, route)
            .and_then(|sel| {
                sel.map(|(table, rc)| Router::for_table(&table, rc, &known))
                    .transpose()
            })
            .map_err(|e| ExitError::usage(e.to_string()))?
    } else {
        None
    };
    let single = match router {
        Some(_) => None,
        None => {
            let resolved = resolve_model(cfg, model, &env)?;
            let client = client_for(&resolved).map_err(|e| ExitError::usage(e.to_string()))?;
            let why = match model {
                Some(m) => format!("pinned with --model {m}"),
                None if !cfg.model.is_empty() => "the configured default model".to_string(),
                None => "picked from the API key in the environment".to_string(),
            };
            Some((
                Entry {
                    model: resolved,
                    client,
                },
                why,
            ))
        }
    };
    let mut routing = Routing::new(RoutingSetup {
        config: cfg.clone(),
        env: Box::new(env),
        single,
        router,
    });
    routing.set_effort(ws.effort);
    Ok(routing)
}

/// The session's spending limit: `--max-cost` (or a subagent's parent's), else `max_cost`.
pub fn budget(ws: &Workspace, max_cost: Option<f64>) -> Result<Option<Budget>, ExitError> {
    match max_cost.or(ws.loaded.config.max_cost) {
        Some(usd) => Budget::new(usd)
            .map(Some)
            .map_err(|e| ExitError::usage(e.to_string())),
        None => Ok(None),
    }
}

/// The user's tool hooks (`pre_tool`, `post_tool`) for a subagent's session `id`: they are the
/// user's policy on commands and edits, which holds in a child as in the parent. The session
/// hooks (`session_start`, `user_prompt`, `stop`) belong to the user's own session and stay there.
pub(crate) fn tool_hooks(
    ws: &Workspace,
    cancel: crate::cancel::Cancel,
    flags: SandboxFlags,
    id: &str,
) -> Result<Option<Box<dyn crate::agent::extension::Extension>>, ExitError> {
    use crate::hooks::HookEvent;
    let configs: Vec<_> = ws
        .loaded
        .config
        .hooks
        .iter()
        .filter(|h| matches!(h.event, HookEvent::PreTool | HookEvent::PostTool))
        .cloned()
        .collect();
    if configs.is_empty() {
        return Ok(None);
    }
    let ctx = tool_context(ws, cancel, flags)?;
    let hooks =
        crate::hooks::Hooks::new(&configs, ctx).map_err(|e| ExitError::usage(e.to_string()))?;
    hooks.session_id_slot().set(id);
    Ok(Some(Box::new(hooks)))
}
