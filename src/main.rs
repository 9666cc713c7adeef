//! The `reins` binary: parse the command line and hand off to a front end.

use clap::Parser;
use reins::cli::{Cli, Command, SessionsCommand};
use reins::ui::{self, ExitError};

fn main() {
    ui::stop_signals::survive_file_size_limit();
    let cli = Cli::parse();
    let raw: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let checked = match &cli.command {
        None => ui::first_word::check(cli.tui.prompt.as_deref(), &raw),
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
        Some(Command::Exec(args)) => runtime.block_on(ui::exec::run(args, cli.global)),
        Some(Command::Acp(args)) => runtime.block_on(reins::acp::serve(args, cli.global)),
        Some(Command::Run(args)) => runtime.block_on(ui::run_cmd::run(args, cli.global)),
        Some(Command::Workflows) => ui::run_cmd::list(cli.global),
        Some(Command::Review(args)) => runtime.block_on(ui::review_cmd::run(args, cli.global)),
        Some(Command::Eval(args)) => runtime.block_on(ui::eval_cmd::run(args, cli.global)),
        Some(Command::Tool(cmd)) => runtime.block_on(ui::tool_cmd::run(cmd, cli.global)),
        Some(Command::Config(cmd)) => ui::config_cmd::run(cmd, cli.global),
        Some(Command::Mcp(cmd)) => runtime.block_on(ui::mcp_cmd::run(cmd, cli.global)),
        Some(Command::Sandbox {
            mode,
            network,
            command,
        }) => ui::tool_cmd::sandbox(mode, network, &command, cli.global),
        Some(Command::Trust { revoke, yes }) => ui::trust_cmd::run(revoke, yes, cli.global),
        Some(Command::Diff { session }) => ui::checkpoint_cmd::diff(session.as_deref(), cli.global),
        Some(Command::Undo { session, to }) => {
            ui::checkpoint_cmd::undo(session.as_deref(), to, cli.global)
        }
        Some(Command::Checkpoints(cmd)) => ui::checkpoint_cmd::run(cmd, cli.global),
        Some(Command::ApplyPatch { file }) => {
            runtime.block_on(ui::tool_cmd::apply_patch(&file, cli.global))
        }
        Some(Command::Usage(args)) => ui::usage_cmd::run(args, cli.global),
        Some(Command::Sessions { all, command: None }) => ui::sessions_cmd::list(all, cli.global),
        Some(Command::Sessions {
            command: Some(SessionsCommand::Show { id, routes }),
            ..
        }) => ui::sessions_cmd::show(&id, routes, cli.global),
        Some(Command::Memory { command }) => {
            runtime.block_on(ui::memory_cmd::run(command, cli.global))
        }
        Some(Command::Completions { shell }) => ui::shell_docs::completions(shell),
        Some(Command::Man) => ui::shell_docs::man(),
        Some(Command::Map {
            tokens,
            focus,
            stats,
        }) => ui::map_cmd::run(tokens, &focus, stats, cli.global),
        None => runtime.block_on(ui::tui::run(cli.tui, cli.global)),
    }
}
