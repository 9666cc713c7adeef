//! The tool registry: what the model may call, with one gate for argument checking. Each tool lives
//! in its own file; every failure comes back as a message the model can act on, never a crash.

mod apply_patch;
mod apply_patch_editor;
mod args;
mod edit_file;
mod file_access;
mod files;
mod fs_read;
mod fuzzy_edit;
mod git;
pub mod grep;
pub(crate) mod output_cap;
mod patch_shared;
mod plan;
mod remember;
pub mod repo_map;
pub(crate) mod shell;
mod view_image;
pub mod walk;
mod web_fetch;
mod write_file;

use crate::cancel::Cancel;
use crate::conversation::ToolSpec;
use crate::sandbox::{SandboxMode, SandboxPolicy};
use crate::types::{BoxFuture, Effects, Exit, Subject};
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

pub use apply_patch::apply_text as apply_patch_text;
pub use args::{parse_args, schema_for};
pub use file_access::FileAccess;
pub use files::Reader;
/// Checks run commands exactly as the shell tool does (same sandbox, environment, timeout handling).
pub use shell::{run_command, CommandOutput};

/// An error for the model: the message says what went wrong and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ToolError(pub String);

impl ToolError {
    pub fn new(msg: impl Into<String>) -> Self {
        ToolError(msg.into())
    }
}

/// What a call produced: the text the model reads, and what reins itself acts on, so no caller
/// has to read it back out of the text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolOutput {
    pub text: String,
    /// How the command ended, for calls that ran one.
    pub exit: Option<Exit>,
    /// Workspace-relative paths the call changed (file tools; a command's changes are found by
    /// the checkpointer).
    pub changed: Vec<String>,
    /// The plan the call set (`update_plan`): the session announces it and keeps it for a resume.
    pub plan: Option<crate::types::Plan>,
    /// Images for the model to see (`view_image`).
    pub images: Vec<crate::conversation::Image>,
}

impl ToolOutput {
    /// Whether the call did what it was asked: no command that failed, timed out or was killed.
    pub fn succeeded(&self) -> bool {
        self.exit.is_none_or(Exit::succeeded)
    }
}

impl From<String> for ToolOutput {
    fn from(text: String) -> Self {
        ToolOutput {
            text,
            ..ToolOutput::default()
        }
    }
}

impl std::fmt::Display for ToolOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

pub type ToolResult = Result<ToolOutput, ToolError>;

/// How long a command may run unless `shell.timeout_ms` says otherwise.
pub const DEFAULT_SHELL_TIMEOUT: Duration = Duration::from_secs(120);

/// Everything a tool may use: the workspace, the cancel signal, and per-session state.
pub struct ToolContext {
    /// Canonical workspace root; every path a tool touches resolves inside it.
    pub root: PathBuf,
    /// The workspace root opened once: all file I/O of the tools goes through it (see
    /// [`crate::sandbox::beneath`]), so a path cannot be swapped between check and use.
    pub fs: Arc<crate::sandbox::beneath::Beneath>,
    pub cancel: Cancel,
    /// The environment child processes get (secrets already removed).
    pub child_env: Vec<(OsString, OsString)>,
    /// `$REINS_HOME`, for the user's memory file.
    pub reins_home: Option<PathBuf>,
    /// What file tools may touch and how child processes are confined.
    pub policy: SandboxPolicy,
    /// Run commands unconfined (with a note) when the kernel cannot confine them.
    pub allow_unsandboxed: bool,
    /// The workspace had no `.git` at its top when the session started: one a command creates
    /// there is checked after each command (see [`crate::workspace::planted`]).
    pub git_absent_at_start: bool,
    /// An editor that serves the file tools' reads and takes their writes instead of the disk,
    /// after every check (see [`FileAccess`]); `None`: the disk.
    pub files: Option<Arc<dyn FileAccess>>,
    pub settings: ToolSettings,
    pub traces: CallTraces,
    /// Where the shell tool's bash is, found once on the commands' `PATH` (see
    /// [`shell::bash`]); `None` inside: not found outside the sandbox's writable places.
    pub bash: std::sync::OnceLock<Option<PathBuf>>,
}

/// What single tools are allowed from the config, beyond the sandbox policy every tool shares:
/// limits and allowances a call's arguments cannot change.
pub struct ToolSettings {
    /// How long a command may run when the call names no timeout (`shell.timeout_ms`).
    pub shell_timeout: Duration,
    /// The most the memory file may hold (`memory_cap_bytes`).
    pub memory_cap: usize,
    /// Hosts `web_fetch` may reach at private, loopback or link-local addresses
    /// (`[web_fetch] private_hosts`); every other host must resolve to public addresses only.
    pub fetch_private_hosts: Vec<String>,
}

impl Default for ToolSettings {
    fn default() -> Self {
        ToolSettings {
            shell_timeout: DEFAULT_SHELL_TIMEOUT,
            memory_cap: crate::store::memory::DEFAULT_CAP_BYTES,
            fetch_private_hosts: Vec::new(),
        }
    }
}

/// What the session's calls left behind for later calls: kept apart from the settings because it
/// changes with every call while they never do.
#[derive(Default)]
pub struct CallTraces {
    /// Modification time of each file when the model last read or wrote it, so an edit to a file
    /// changed behind the model's back is refused rather than applied to text it has not seen.
    pub seen: Mutex<HashMap<PathBuf, SystemTime>>,
    /// Workspace paths the session's calls named or changed: the repo map ranks toward them.
    pub touched: Mutex<std::collections::BTreeSet<String>>,
}

impl ToolContext {
    pub fn new(root: &Path, cancel: Cancel) -> std::io::Result<Self> {
        let root = root.canonicalize()?;
        let git_absent_at_start = root.join(".git").symlink_metadata().is_err();
        let policy = SandboxPolicy::new(SandboxMode::WorkspaceWrite, false, &root, Vec::new());
        Ok(ToolContext {
            fs: Arc::new(crate::sandbox::beneath::Beneath::open(&root)?),
            root,
            cancel,
            child_env: std::env::vars_os().collect(),
            reins_home: None,
            git_absent_at_start,
            policy,
            allow_unsandboxed: false,
            files: None,
            settings: ToolSettings::default(),
            traces: CallTraces::default(),
            bash: std::sync::OnceLock::new(),
        })
    }

    /// Switches the sandbox mode; where bash was found is forgotten, since which places the
    /// sandbox can write (where a bash is refused) depends on the mode.
    pub fn set_sandbox_mode(&mut self, mode: SandboxMode) {
        self.policy.mode = mode;
        self.bash = std::sync::OnceLock::new();
    }

    /// Resolves a model-supplied path inside the workspace.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, ToolError> {
        crate::sandbox::paths::resolve(&self.root, path).map_err(|e| ToolError(e.to_string()))
    }

    /// Refuses writes the sandbox policy forbids (read-only mode, `.git`, protected paths).
    pub fn check_write(&self, path: &Path) -> Result<(), ToolError> {
        self.policy
            .check_write(path)
            .map_err(|e| ToolError(e.to_string()))
    }

    /// Refuses reading files that look like secrets unless an allow rule names them.
    pub fn check_read(&self, path: &Path) -> Result<(), ToolError> {
        self.policy
            .check_read(path)
            .map_err(|e| ToolError(e.to_string()))
    }

    pub fn relative(&self, path: &Path) -> String {
        crate::sandbox::paths::relative(&self.root, path)
    }

    pub(crate) fn mark_seen(&self, path: &Path) {
        if let Some(mtime) = self.mtime(path) {
            if let Ok(mut seen) = self.traces.seen.lock() {
                seen.insert(path.to_path_buf(), mtime);
            }
        }
    }
}

/// One tool the model can call.
pub trait Tool: Send + Sync {
    fn name(&self) -> &str;
    /// Model-facing description, from `prompts/tools/`.
    fn description(&self) -> &str;
    fn parameters(&self) -> serde_json::Value;
    /// Runs the call. `args` is the raw argument text the model wrote.
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult>;
    /// What a call with these arguments does: the gate, the checkpointer and the front ends act
    /// on this declaration, never on the tool's name.
    fn effects(&self, args: &serde_json::Value) -> Effects;
    /// What permission rules match the call against, as the model wrote them (paths are
    /// resolved by the caller). Malformed arguments give no subjects; the tool refuses them.
    fn subjects(&self, args: &serde_json::Value) -> Vec<Subject>;
}

/// The `path` argument as the call's one subject (the file tools).
pub fn path_subject(args: &serde_json::Value) -> Vec<Subject> {
    args.get("path")
        .and_then(|v| v.as_str())
        .map(|p| Subject::Path(p.to_string()))
        .into_iter()
        .collect()
}

/// The tools of a session, in a fixed order so the request prefix is byte-identical every step.
pub struct Registry {
    tools: Vec<Box<dyn Tool>>,
}

impl Registry {
    /// Every built-in tool.
    pub fn builtin() -> Self {
        let tools: Vec<Box<dyn Tool>> = vec![
            Box::new(fs_read::ReadFile),
            Box::new(fs_read::ListDir),
            Box::new(walk::Glob),
            Box::new(grep::Grep),
            Box::new(edit_file::EditFile),
            Box::new(apply_patch::ApplyPatch),
            Box::new(write_file::WriteFile),
            Box::new(shell::Shell),
            Box::new(git::GitStatus),
            Box::new(git::GitDiff),
            Box::new(remember::Remember),
            Box::new(plan::UpdatePlan),
            Box::new(repo_map::RepoMap),
            Box::new(web_fetch::WebFetch),
            Box::new(view_image::ViewImage),
        ];
        Registry { tools }
    }

    /// Adds tools that exist only when configured (`run_checks` when checks are set).
    pub fn with(mut self, extra: impl IntoIterator<Item = Box<dyn Tool>>) -> Self {
        self.tools.extend(extra);
        self
    }

    /// Adds a tool known only at run time (an MCP server's tool).
    pub fn add(&mut self, tool: Box<dyn Tool>) {
        self.tools.push(tool);
    }

    /// Keeps only the tools `keep` accepts (drops an MCP server's old tools on a list change).
    pub fn retain(&mut self, mut keep: impl FnMut(&dyn Tool) -> bool) {
        self.tools.retain(|t| keep(t.as_ref()));
    }

    pub fn get(&self, name: &str) -> Option<&dyn Tool> {
        self.tools
            .iter()
            .find(|t| t.name() == name)
            .map(|t| t.as_ref())
    }

    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools
            .iter()
            .map(|t| ToolSpec {
                name: t.name().into(),
                description: t.description().trim().into(),
                parameters: t.parameters(),
            })
            .collect()
    }

    pub fn names(&self) -> Vec<&str> {
        self.tools.iter().map(|t| t.name()).collect()
    }

    /// Runs one call; an unknown tool is an error the model can correct.
    pub async fn run(&self, name: &str, args: &str, ctx: &ToolContext) -> ToolResult {
        match self.get(name) {
            // Every result is capped, whatever the tool (an MCP server's included).
            Some(tool) => {
                let cap = |s: String| output_cap::cap_result(s, output_cap::MAX_RESULT_BYTES);
                tool.run(args, ctx)
                    .await
                    .map(|out| ToolOutput {
                        text: cap(out.text),
                        ..out
                    })
                    .map_err(|e| ToolError(cap(e.0)))
            }
            None => Err(ToolError(format!(
                "unknown tool `{name}`; available tools: {}",
                self.names().join(", ")
            ))),
        }
    }
}
