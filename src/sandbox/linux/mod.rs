//! Kernel confinement of child processes on Linux. Everything that allocates or can fail in an
//! interesting way happens here, in the parent, before `fork`: the Landlock rulesets are created
//! as file descriptors, the seccomp program is compiled, the mount plan is turned into C strings.
//! The `pre_exec` hook ([`child::Prepared::apply`]) then only issues system calls on that data,
//! because after `fork` in a multi-threaded parent (tokio) the child may not allocate or take
//! locks.

mod borrow;
mod caps;
mod child;
mod contain;
mod fs_rules;
mod limit;
mod mounts;
mod namespaces;
mod probe;
mod probe_child;
mod seccomp;
mod sockets;
pub(crate) mod spawner;
mod stacks;
mod terminals;
#[cfg(test)]
mod tests;

use std::os::unix::process::CommandExt;

use super::layout::WriteLayout;
use super::{SandboxError, SandboxPolicy};

pub(crate) use probe::{degraded, degraded_if_known};

/// Installs the confinement of `policy` (a confined mode) on `cmd`.
pub(crate) fn confine(
    policy: &SandboxPolicy,
    cmd: &mut std::process::Command,
) -> Result<(), SandboxError> {
    probe::require_landlock()?;
    probe::require_seccomp()?;
    let layout = WriteLayout::keeping_visible(policy, &must_see(cmd), probe::namespaces().mount);
    let prepared = child::Prepared::new(&layout, policy.network)?;
    if let Some(tmpdir) = &layout.tmpdir {
        cmd.env("TMPDIR", tmpdir);
    }
    // SAFETY: `apply` only makes async-signal-safe system calls on data prepared above (no
    // allocation, no locks), as required between `fork` and `exec`.
    unsafe {
        cmd.pre_exec(move || prepared.apply());
    }
    Ok(())
}

/// What the child must still find after its mounts: its working directory and its program
/// (when named by path), which a covered temp dir would hide.
fn must_see(cmd: &std::process::Command) -> Vec<std::path::PathBuf> {
    let cwd = cmd
        .get_current_dir()
        .map(std::path::Path::to_path_buf)
        .or_else(|| std::env::current_dir().ok());
    let program = std::path::Path::new(cmd.get_program());
    let program = program.is_absolute().then(|| program.to_path_buf());
    cwd.into_iter()
        .chain(program)
        .map(|p| p.canonicalize().unwrap_or(p))
        .collect()
}
