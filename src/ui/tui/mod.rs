//! The interactive terminal UI (being written).

use super::ExitError;
use crate::cli::{GlobalArgs, TuiArgs};
use std::io::IsTerminal;

/// `reins` without a subcommand: the TUI when both ends are terminals, else a hint (exit 2), so
/// a pipe is never garbled.
pub async fn run(_args: TuiArgs, _global: GlobalArgs) -> Result<i32, ExitError> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(ExitError::usage(
            "not a terminal: use `reins exec \"TASK\"` for headless runs (see reins --help)",
        ));
    }
    Err(ExitError::usage(
        "the interactive UI is not built yet; use `reins exec \"TASK\"`",
    ))
}
