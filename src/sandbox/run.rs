//! `reins sandbox [--mode M] [--network] -- CMD ARGS...`: runs one command under a policy, so
//! the user can see what the agent's commands can and cannot do.

use std::process::{Command, ExitStatus};

use super::{SandboxError, SandboxPolicy};

/// Runs `argv` confined by `policy`, inheriting stdio and the environment, and returns its exit
/// code (128 + the signal number if a signal killed it, as shells report it).
pub fn run_command(policy: &SandboxPolicy, argv: &[String]) -> Result<i32, SandboxError> {
    let (program, args) = argv.split_first().ok_or(SandboxError::EmptyCommand)?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    policy.confine_std(&mut cmd)?;
    let status = cmd.status().map_err(|source| SandboxError::Spawn {
        program: program.clone(),
        source,
    })?;
    Ok(exit_code(status))
}

/// The shell convention for an exit status.
fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => 1,
    }
}
