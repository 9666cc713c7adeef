//! Command-line types (clap). Parsing only: behaviour lives in `commands/`, `tui/` and the modules
//! they call. The fan-out commands' types (`eval`, `batch`) are in [`fanout_args`], the flag groups
//! several commands share in [`session_args`].

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

mod fanout_args;
mod session_args;
pub use fanout_args::*;
pub use session_args::*;

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
    /// A first prompt to send when the UI opens; a one-word prompt goes after `--`
    /// (`reins -- refactor`), since a lone word is taken for a mistyped command.
    pub prompt: Option<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub resume: ResumeArgs,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    #[command(flatten)]
    pub place: PlaceArgs,
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
    /// Reasoning effort for every request: minimal, low, medium or high (default: each model's
    /// `effort`, else the provider's default).
    #[arg(long, global = true, value_name = "LEVEL")]
    pub effort: Option<crate::types::Effort>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a task headless: no questions asked, progress on stderr (or JSON Lines with --json),
    /// the final answer on stdout, and an exit code a script can act on.
    Exec(ExecArgs),
    /// Serve the Agent Client Protocol on stdin/stdout, for editors (Zed, JetBrains, Neovim):
    /// stdout carries only protocol messages, logs go to stderr.
    Acp(AcpArgs),
    /// List the model-facing tools or run one exactly as the model would.
    #[command(subcommand)]
    Tool(ToolCommand),
    /// Inspect the effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// List the configured MCP servers and their tools, or call one tool.
    #[command(subcommand)]
    Mcp(McpCommand),
    /// List the sessions of this workspace (or all of them): id, start, prompt, steps, cost, status.
    Sessions {
        /// Sessions of every workspace.
        #[arg(long)]
        all: bool,
        #[command(subcommand)]
        command: Option<SessionsCommand>,
    },
    /// What sessions spent, from the session index: tokens, cost, sessions and steps per day,
    /// model, workflow, workspace or route, and what routed sessions would have cost on their
    /// route's top rung.
    Usage(UsageArgs),
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
    /// Run a workflow (.reins/workflows/NAME.toml or $REINS_HOME/workflows/NAME.toml) headless,
    /// with the same flags, events and exit codes as exec.
    Run(RunArgs),
    /// List the workflows of this workspace and of $REINS_HOME with their descriptions.
    Workflows,
    /// List the configured models: context window, output limit, prices (input, cached input,
    /// cache write, output), capabilities, and the API key variable each one still needs.
    Models {
        /// One JSON object per model, per line.
        #[arg(long)]
        json: bool,
    },
    /// Review a change (uncommitted by default) with a read-only session: findings held to the
    /// diff, confirmed by a second pass, as text, JSON or SARIF; exit 7 when one reaches --fail-on.
    Review(ReviewArgs),
    /// Run an eval suite over models and routes (`reins eval SUITE.toml`), or compare and merge
    /// eval reports.
    Eval(EvalArgs),
    /// Run a batch of `exec`/`run` tasks from a file (`reins batch FILE.toml`), one shard of it,
    /// or write its sharded run for GitHub Actions or Kubernetes and merge the shard reports.
    Batch(BatchArgs),
    /// Trust this workspace: show what its .reins/config.toml, workflows and commands would
    /// enable, ask, and let them apply in full (until then the config may only add restrictions).
    Trust {
        /// Take the trust back.
        #[arg(long)]
        revoke: bool,
        /// Trust without asking (for scripts); without a terminal this is required.
        #[arg(long)]
        yes: bool,
    },
    /// Print the unified diff of everything a session changed (default: the latest session).
    Diff {
        /// The session (default: the latest of this workspace).
        #[arg(long, value_name = "ID")]
        session: Option<String>,
    },
    /// Restore the workspace to the checkpoint before the last step (or before step N).
    Undo {
        /// The session (default: the latest of this workspace).
        #[arg(long, value_name = "ID")]
        session: Option<String>,
        /// Restore the state before step N (or an undo point's number, to undo an undo).
        #[arg(long, value_name = "N")]
        to: Option<u32>,
    },
    /// Manage the checkpoint stores (`reins checkpoints gc` removes old sessions' checkpoints).
    #[command(subcommand)]
    Checkpoints(CheckpointsCommand),
    /// Apply a patch (apply_patch format) from FILE, or stdin with `-`, atomically.
    ApplyPatch {
        /// The patch file; `-` reads it from stdin.
        #[arg(default_value = "-")]
        file: String,
    },
    /// Show, edit, locate or compact the memory files.
    Memory {
        #[command(subcommand)]
        command: Option<MemoryCommand>,
    },
    /// Print a shell completion script: `reins completions bash > ~/.local/share/bash-completion/completions/reins`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `reins man > ~/.local/share/man/man1/reins.1`.
    Man,
    /// List the git worktrees `--worktree` made (name, branch, uncommitted changes, path), or
    /// remove one.
    Worktrees {
        #[command(subcommand)]
        command: Option<WorktreesCommand>,
    },
    /// Print the repository map: the most referenced definitions, ranked over the references
    /// between files (what the `repo_map` tool gives the model).
    Map {
        /// The map's size in tokens.
        #[arg(long, value_name = "N", default_value_t = crate::tools::repo_map::DEFAULT_TOKENS)]
        tokens: usize,
        /// Rank toward these files or names (repeatable).
        #[arg(long, value_name = "PATH|NAME")]
        focus: Vec<String>,
        /// Also print on stderr how many files were read and how long it took.
        #[arg(long)]
        stats: bool,
    },
}

/// `reins worktrees` subcommands.
#[derive(Debug, Subcommand)]
pub enum WorktreesCommand {
    /// List them (the default).
    List,
    /// Remove the worktree NAME and git's record of it; its branch `reins/NAME` is kept.
    Remove {
        /// The worktree's name (the NAME of `--worktree NAME`).
        name: String,
        /// Remove it even with uncommitted changes (they are lost).
        #[arg(long)]
        force: bool,
    },
}

/// `reins usage`: the cost ledger.
#[derive(Debug, Args)]
pub struct UsageArgs {
    /// Only sessions started on or after this UTC day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// What to group by.
    #[arg(long, value_enum, default_value_t = UsageBy::Day)]
    pub by: UsageBy,
    /// Print JSON for scripts instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UsageBy {
    Day,
    Model,
    Workflow,
    Workspace,
    Route,
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// One session: its summary, and with --routes the router's decision for every step.
    Show {
        /// The session's id, as `reins sessions` lists it.
        id: String,
        /// Print the routing decision table.
        #[arg(long)]
        routes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CheckpointsCommand {
    /// Remove the checkpoints of sessions past the limits of [checkpoints] (every workspace's
    /// store; one a running session has open is left alone) and reclaim their space.
    Gc {
        /// Keep the checkpoints of this many most recent sessions per workspace.
        #[arg(long, value_name = "N")]
        keep_sessions: Option<usize>,
        /// Keep a session's checkpoints this many days after its last one.
        #[arg(long, value_name = "D")]
        keep_days: Option<u64>,
        /// Only say what would be removed.
        #[arg(long)]
        dry_run: bool,
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

/// Options of `reins acp`; the editor picks the workspace (each session's cwd).
#[derive(Debug, Args, Clone, Default)]
pub struct AcpArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    /// Seconds to wait for the editor to answer a file read or write before the tool call
    /// fails (default 30).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub fs_timeout: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The task; `-` reads it from stdin.
    pub prompt: Option<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub output: ExecOutputArgs,
    #[command(flatten)]
    pub budget: BudgetArgs,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    #[command(flatten)]
    pub resume: ResumeArgs,
    /// A command that must pass for the task to be done (repeatable; adds to [checks]).
    #[arg(long = "check", value_name = "CMD")]
    pub check: Vec<String>,
    #[command(flatten)]
    pub place: PlaceArgs,
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
        /// The tool's model-facing name (see `reins tool list`).
        name: String,
        /// The arguments as a JSON object, e.g. '{"path": "src/lib.rs"}'.
        #[arg(default_value = "{}")]
        args: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Start every configured server and show its state and tools (as the model names them).
    List {
        /// Print the servers as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Start SERVER and call its tool TOOL (the server's own name) with JSON arguments; exit 1
    /// if the call fails.
    Call {
        /// The server's [mcp_servers.NAME] name.
        server: String,
        /// The tool's own name on that server (as `reins mcp list` shows it after the server's prefix).
        tool: String,
        /// The arguments as a JSON object, e.g. '{"text": "hi"}'.
        #[arg(default_value = "{}")]
        args: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Every effective key with its value and source; API keys masked.
    Show,
}

/// `reins run`: a workflow with its variables; every exec flag applies and overrides the file.
#[derive(Debug, Args)]
#[command(mut_arg("prompt", |a| a.help("Extra instructions appended to the workflow's prompt; `-` reads them from stdin")))]
pub struct RunArgs {
    /// A workflow name (see `reins workflows`) or the path of its .toml file.
    pub workflow: String,
    /// A value for the workflow's {{NAME}} placeholder (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    #[command(flatten)]
    pub exec: ExecArgs,
}

/// Options of `reins review`.
#[derive(Debug, Clone, Default, Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub scope: ReviewScopeArgs,
    #[command(flatten)]
    pub report: ReviewReportArgs,
    #[command(flatten)]
    pub verify: ReviewVerifyArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Review the diff in parts of at most N bytes, grouped by file, and merge the findings
    /// (default: `[review] part_size`, else 60000).
    #[arg(long, value_name = "N")]
    pub part_size: Option<usize>,
}

/// What `reins review` looks at.
#[derive(Debug, Clone, Default, Args)]
pub struct ReviewScopeArgs {
    /// Review the staged and unstaged changes and untracked files (the default).
    #[arg(long, conflicts_with_all = ["base", "commit"])]
    pub uncommitted: bool,
    /// Review the commits since HEAD left BRANCH (the merge-base diff; the work tree is left out).
    #[arg(long, value_name = "BRANCH", conflicts_with = "commit")]
    pub base: Option<String>,
    /// Review one commit.
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
}

/// How `reins review` reports, and when it fails the run.
#[derive(Debug, Clone, Default, Args)]
pub struct ReviewReportArgs {
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write the findings as SARIF 2.1.0 to FILE.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Exit 7 when a finding of this priority or a higher one is reported: P0, P1, P2 or P3
    /// (default: `[review] fail_on`, else never).
    #[arg(long, value_name = "P")]
    pub fail_on: Option<crate::types::Priority>,
    /// No trace on stderr: only the report (and errors).
    #[arg(short, long)]
    pub quiet: bool,
}

/// The second pass that confirms each finding, and the reproducing commands.
#[derive(Debug, Clone, Default, Args)]
pub struct ReviewVerifyArgs {
    /// Skip the second pass that confirms each finding.
    #[arg(long, conflicts_with = "verify")]
    pub no_verify: bool,
    /// Run the second pass even when `[review] verify = false`.
    #[arg(long)]
    pub verify: bool,
    /// Do not run the findings' reproducing commands.
    #[arg(long)]
    pub no_repro: bool,
    /// The model of the verify pass (default: `[review] verify_model`, else the reviewing model).
    #[arg(long, value_name = "NAME")]
    pub verify_model: Option<String>,
    /// The router of the verify pass, a [routers.NAME] name.
    #[arg(long, value_name = "NAME")]
    pub verify_route: Option<String>,
}
