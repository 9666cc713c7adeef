//! Command-line types (clap). Parsing only: behaviour lives in `ui/` and the modules it calls.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "reins",
    version,
    about = "A terminal coding agent: any model, any provider, your rules.",
    long_about = "A terminal coding agent: any model, any provider, your rules.\n\nWithout a subcommand, reins opens the interactive terminal UI in the workspace (optionally sending PROMPT first). Use `reins exec` for headless runs.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub tui: TuiArgs,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Options of the interactive UI (`reins` without a subcommand).
#[derive(Debug, Args, Clone, Default)]
pub struct TuiArgs {
    /// A first prompt to send when the UI opens.
    pub prompt: Option<String>,
    /// A [models.*] key, PROVIDER/MODEL-ID, or replay:PATH.
    #[arg(short, long, value_name = "NAME")]
    pub model: Option<String>,
    /// Reopen the session ID.
    #[arg(long, value_name = "ID", conflicts_with = "continue_last")]
    pub resume: Option<String>,
    /// Reopen the latest session of this workspace.
    #[arg(long = "continue")]
    pub continue_last: bool,
    /// Sandbox for commands and file tools: read-only, workspace-write (default) or full.
    #[arg(long, value_name = "MODE")]
    pub sandbox: Option<crate::sandbox::SandboxMode>,
    /// Let sandboxed commands use the network.
    #[arg(long)]
    pub network: bool,
    /// Use the router of [routers.NAME].
    #[arg(long, value_name = "NAME")]
    pub route: Option<String>,
}

/// Options every subcommand understands.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Workspace root (default: the enclosing git repository's root, else the current directory).
    #[arg(short = 'C', long = "cd", global = true, value_name = "DIR")]
    pub cd: Option<PathBuf>,
    /// Override a config key for this run, in TOML value syntax (repeatable): -c max_steps=20.
    #[arg(short = 'c', long = "config", global = true, value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a task headless: no questions asked, progress on stderr (or JSON Lines with --json),
    /// the final answer on stdout, and an exit code a script can act on.
    Exec(ExecArgs),
    /// List the model-facing tools or run one exactly as the model would.
    #[command(subcommand)]
    Tool(ToolCommand),
    /// Inspect the effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// List the sessions of this workspace (or all of them): id, start, prompt, steps, cost, status.
    Sessions {
        /// Sessions of every workspace.
        #[arg(long)]
        all: bool,
        #[command(subcommand)]
        command: Option<SessionsCommand>,
    },
    /// Run a command under the sandbox policy, to see what it allows.
    Sandbox {
        /// read-only, workspace-write (default) or full.
        #[arg(long, value_name = "MODE", default_value = "workspace-write")]
        mode: crate::sandbox::SandboxMode,
        /// Allow network sockets.
        #[arg(long)]
        network: bool,
        /// The command and its arguments, after `--`.
        #[arg(trailing_var_arg = true, required = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// Apply a patch (apply_patch format) from FILE, or stdin with `-`, atomically.
    ApplyPatch {
        #[arg(default_value = "-")]
        file: String,
    },
    /// Show, edit or locate the memory files.
    Memory {
        #[command(subcommand)]
        command: Option<MemoryCommand>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// One session: its summary, and with --routes the router's decision for every step.
    Show {
        id: String,
        /// Print the routing decision table.
        #[arg(long)]
        routes: bool,
    },
}

#[derive(Debug, Subcommand, Clone)]
pub enum MemoryCommand {
    /// Print the user and project memory files (the default).
    Show,
    /// Open the project memory file in $EDITOR.
    Edit {
        /// Edit the user's memory file instead.
        #[arg(long)]
        user: bool,
    },
    /// Print the memory files' paths.
    Path,
    /// Ask the model to merge duplicate and stale entries; shows the diff before writing.
    Compact {
        /// Compact the user's memory file instead of the project's.
        #[arg(long)]
        user: bool,
        /// Write without asking (needed when stdin is not a terminal).
        #[arg(long)]
        yes: bool,
        /// The model to use (default: the configured one).
        #[arg(short, long, value_name = "NAME")]
        model: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The task; `-` reads it from stdin.
    pub prompt: Option<String>,
    /// A [models.*] key, PROVIDER/MODEL-ID, or replay:PATH.
    #[arg(short, long, value_name = "NAME")]
    pub model: Option<String>,
    /// Write JSON Lines events to stdout instead of human-readable progress.
    #[arg(long)]
    pub json: bool,
    /// Also write the final assistant message to FILE.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output_last_message: Option<PathBuf>,
    /// Stop after N model requests (default 50, or `max_steps` in config).
    #[arg(long, value_name = "N")]
    pub max_steps: Option<u32>,
    /// Sandbox for commands and file tools: read-only, workspace-write (default) or full.
    #[arg(long, value_name = "MODE")]
    pub sandbox: Option<crate::sandbox::SandboxMode>,
    /// Let sandboxed commands use the network.
    #[arg(long)]
    pub network: bool,
    /// Stop before a request that would take the session's cost past USD.
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Use the router of [routers.NAME] (see the README's routing section).
    #[arg(long, value_name = "NAME")]
    pub route: Option<String>,
    /// Resume the session ID (see `reins sessions`) with its full conversation.
    #[arg(long, value_name = "ID", conflicts_with = "continue_last")]
    pub resume: Option<String>,
    /// Resume the latest session of this workspace.
    #[arg(long = "continue")]
    pub continue_last: bool,
}

#[derive(Debug, Subcommand)]
pub enum ToolCommand {
    /// Each tool's name, description and JSON schema.
    List {
        /// Print the schemas as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run one tool with JSON arguments and print its result (exit 1 if the tool reports an error).
    Run {
        name: String,
        /// The arguments as a JSON object, e.g. '{"path": "src/lib.rs"}'.
        #[arg(default_value = "{}")]
        args: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Every effective key with its value and source; API keys masked.
    Show,
}
