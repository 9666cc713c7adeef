//! The `reins` binary: parse the command line and hand off to a front end.

// A panic in library code loses the session's state and the user's terminal; errors are
// returned instead. Tests may unwrap (clippy.toml allows it there).
#![deny(clippy::unwrap_used, clippy::expect_used)]

use clap::Parser;
use reins::cli::{Cli, Command, SessionsCommand};
use reins::frontend::{self, ExitError};
use reins::{commands, tui};

fn main() {
    frontend::stop_signals::survive_file_size_limit();
    let cli = Cli::parse();
    let raw: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let checked = match &cli.command {
        None => commands::first_word::check(cli.tui.prompt.as_deref(), &raw),
        Some(_) => Ok(()),
    };
    let code = match checked.and_then(|()| run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("reins: {}", e.message);
            e.code
        }
    };
    // Every confined child is gone with the runtime; their private temp files go too.
    reins::sandbox::remove_private_tmp();
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<i32, ExitError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ExitError::failure(format!("cannot start the async runtime: {e}")))?;
    match cli.command {
        Some(Command::Exec(args)) => runtime.block_on(commands::exec::run(args, cli.global)),
        Some(Command::Acp(args)) => runtime.block_on(reins::acp::serve(args, cli.global)),
        Some(Command::Run(args)) => runtime.block_on(commands::run::run(args, cli.global)),
        Some(Command::Workflows) => commands::run::list(cli.global),
        Some(Command::Models { json }) => commands::models::run(json, cli.global),
        Some(Command::Review(args)) => runtime.block_on(commands::review::run(args, cli.global)),
        Some(Command::Eval(args)) => runtime.block_on(commands::eval::run(args, cli.global)),
        Some(Command::Batch(args)) => runtime.block_on(commands::batch::run(args, cli.global)),
        Some(Command::Tool(cmd)) => runtime.block_on(commands::tool::run(cmd, cli.global)),
        Some(Command::Config(cmd)) => commands::config::run(cmd, cli.global),
        Some(Command::Mcp(cmd)) => runtime.block_on(commands::mcp::run(cmd, cli.global)),
        Some(Command::Sandbox {
            mode,
            network,
            command,
        }) => commands::tool::sandbox(mode, network, &command, cli.global),
        Some(Command::Trust { revoke, yes }) => commands::trust::run(revoke, yes, cli.global),
        Some(Command::Diff { session }) => {
            commands::checkpoint::diff(session.as_deref(), cli.global)
        }
        Some(Command::Undo { session, to }) => {
            commands::checkpoint::undo(session.as_deref(), to, cli.global)
        }
        Some(Command::Checkpoints(cmd)) => commands::checkpoint::run(cmd, cli.global),
        Some(Command::ApplyPatch { file }) => {
            runtime.block_on(commands::tool::apply_patch(&file, cli.global))
        }
        Some(Command::Usage(args)) => commands::usage::run(args, cli.global),
        Some(Command::Sessions { all, command: None }) => commands::sessions::list(all, cli.global),
        Some(Command::Sessions {
            command: Some(SessionsCommand::Show { id, routes }),
            ..
        }) => commands::sessions::show(&id, routes, cli.global),
        Some(Command::Memory { command }) => {
            runtime.block_on(commands::memory::run(command, cli.global))
        }
        Some(Command::Completions { shell }) => commands::shell_docs::completions(shell),
        Some(Command::Man) => commands::shell_docs::man(),
        Some(Command::Map {
            tokens,
            focus,
            stats,
        }) => commands::map::run(tokens, &focus, stats, cli.global),
        Some(Command::Worktrees { command }) => commands::worktrees::run(command, cli.global),
        None => runtime.block_on(tui::run(cli.tui, cli.global)),
    }
}
