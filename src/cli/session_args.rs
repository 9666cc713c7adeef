//! Flag groups that several commands share (the TUI, `exec`/`run`, `acp`, `review`), declared
//! once so each flag reads the same everywhere and a command's type stays small.

use clap::Args;
use std::path::PathBuf;

/// Which model serves the session.
#[derive(Debug, Args, Clone, Default)]
pub struct ModelArgs {
    /// A [models.*] key, PROVIDER/MODEL-ID, or replay:PATH.
    #[arg(short, long, value_name = "NAME")]
    pub model: Option<String>,
    /// Use the router of [routers.NAME] (see the README's routing section).
    #[arg(long, value_name = "NAME")]
    pub route: Option<String>,
}

/// Overrides of the sandbox settings.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct SandboxArgs {
    /// Sandbox for commands and file tools: read-only, workspace-write (default) or full.
    #[arg(long, value_name = "MODE")]
    pub sandbox: Option<crate::sandbox::SandboxMode>,
    /// Let sandboxed commands use the network.
    #[arg(long)]
    pub network: bool,
}

/// Which earlier session to continue, if any.
#[derive(Debug, Args, Clone, Default)]
pub struct ResumeArgs {
    /// Resume the session ID (see `reins sessions`) with its full conversation.
    #[arg(long, value_name = "ID", conflicts_with = "continue_last")]
    pub resume: Option<String>,
    /// Resume the latest session of this workspace.
    #[arg(long = "continue")]
    pub continue_last: bool,
}

/// Where the session works besides the workspace itself, and what it is shown first.
#[derive(Debug, Args, Clone, Default)]
pub struct PlaceArgs {
    /// Work in the git worktree NAME (.git/reins-worktrees/NAME, branch reins/NAME from HEAD),
    /// made the first time and reused after; `reins worktrees` lists and removes them.
    #[arg(long, value_name = "NAME")]
    pub worktree: Option<String>,
    /// Attach an image (PNG, JPEG, GIF or WebP, at most 3.75 MB) to the first prompt (in the
    /// TUI: to the composer when no prompt is given); repeatable. The model must have
    /// `vision = true` in its [models.*] table.
    #[arg(long = "image", value_name = "FILE")]
    pub image: Vec<PathBuf>,
}

/// The limits of a headless run.
#[derive(Debug, Args, Clone, Default)]
pub struct BudgetArgs {
    /// Stop after N model requests (default 50, or `max_steps` in config); at least 1.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_steps: Option<u32>,
    /// Stop before a request that would take the session's cost past USD.
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
}

/// What a headless run prints, and what ends it early.
#[derive(Debug, Args, Clone, Default)]
pub struct ExecOutputArgs {
    /// Write JSON Lines events to stdout instead of human-readable progress.
    #[arg(long)]
    pub json: bool,
    /// Also write the final assistant message to FILE.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output_last_message: Option<PathBuf>,
    /// Show every tool call's output in the trace, not only the last lines of a failing one.
    #[arg(short, long)]
    pub verbose: bool,
    /// No trace on stderr, only errors that end the run (the answer still goes to stdout).
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// The final answer must be one JSON value valid against the JSON Schema in FILE; an invalid
    /// one goes back to the model with the errors (twice at most), then the run exits 5. Models
    /// with `structured_output` also get the schema as their API's native response format.
    #[arg(long, value_name = "FILE")]
    pub output_schema: Option<PathBuf>,
    /// End the run at the first refused tool call, with exit code 6 (status `denied`).
    #[arg(long)]
    pub deny_exit: bool,
}
