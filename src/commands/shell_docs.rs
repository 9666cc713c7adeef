//! `reins completions SHELL` and `reins man`: generated from the same clap definition the
//! binary parses with, so they cannot drift from the real flags.

use crate::frontend::ExitError;
use clap::CommandFactory;
use std::io::Write;

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<i32, ExitError> {
    let mut cmd = crate::cli::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "reins", &mut out);
    write_stdout(&out)
}

/// Writes the man page (roff, section 1) to stdout.
pub fn man() -> Result<i32, ExitError> {
    let mut out = Vec::new();
    clap_mangen::Man::new(crate::cli::Cli::command())
        .render(&mut out)
        .map_err(|e| ExitError::failure(format!("cannot render the man page: {e}")))?;
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> Result<i32, ExitError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| ExitError::failure(format!("cannot write to stdout: {e}")))?;
    Ok(0)
}
