//! `reins sandbox [--mode M] [--network] -- CMD ARGS...`: runs one command under a policy, so
//! the user can see what the agent's commands can and cannot do.

use std::ffi::OsString;
use std::process::{Command, ExitStatus};

use super::{SandboxError, SandboxPolicy};

/// Runs `argv` confined by `policy` with stdio inherited and the environment `env` (what the
/// agent's commands get: pass [`super::scrubbed_env`]), in the current directory when it lies in
/// the workspace, else in the workspace root, as the shell tool runs; returns its exit code (128 +
/// the signal number if a signal killed it, as shells report it).
pub fn run_command(
    policy: &SandboxPolicy,
    argv: &[String],
    env: &[(OsString, OsString)],
) -> Result<i32, SandboxError> {
    let (program, args) = argv.split_first().ok_or(SandboxError::EmptyCommand)?;
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|d| d.canonicalize().ok())
        .filter(|d| d.starts_with(&policy.workspace))
        .unwrap_or_else(|| policy.workspace.clone());
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)));
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
