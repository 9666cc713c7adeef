//! Reproducing commands: where the project has checks, a finding may carry a shell command that
//! fails because of the problem it reports. reins runs it in a scratch copy of the reviewed state
//! (never the user's work tree), confined by the sandbox (writes only inside the copy, no
//! network, secrets scrubbed from the environment) and time-limited; a finding whose command does
//! not fail is dropped with a note.
//!
//! The command is model output, so it is treated as hostile: it runs with the same confinement
//! as the agent's own `shell` calls, in a directory that is thrown away afterwards. "Fails" means
//! an exit code other than 0; 126 and 127 (not executable, not found), a timeout, a signal or a
//! sandbox refusal say nothing about the problem and drop the finding too.

use super::finding::{Dropped, Finding, Reproduced};
use super::scope::Scope;
use crate::eval::gitsource;
use crate::tools::{run_command, ToolContext};
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

/// How much of a reproduction's output the report keeps.
const OUTPUT_TAIL: usize = 2_000;

/// How a reproduction ended, before it decides the finding's fate.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Failed(Reproduced),
    /// Why the finding is dropped.
    NotReproduced(String),
}

/// What the reproductions run with.
pub struct Confinement {
    /// The environment the command gets (secrets already removed).
    pub env: Vec<(OsString, OsString)>,
    /// Run unconfined when the kernel cannot confine (the user's `allow_unsandboxed`).
    pub allow_unsandboxed: bool,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ScratchError {
    #[error("cannot create a scratch directory: {0}")]
    Temp(std::io::Error),
    #[error("cannot open the repository at {path}: {source}")]
    Open { path: String, source: git2::Error },
    #[error("cannot copy the reviewed state: {0}")]
    Export(#[from] gitsource::SourceError),
    #[error("cannot resolve HEAD: {0}")]
    Head(git2::Error),
}

/// A throw-away copy of the reviewed state: the commit for `--commit`, HEAD for `--base`, and
/// HEAD with the reviewed diff applied for `--uncommitted` (so ignored files and anything not in
/// the change stay out). Read from the object store with libgit2: no checkout, so no filter or
/// hook the repository names runs.
pub fn scratch_copy(
    repo: &Path,
    scope: &Scope,
    diff_text: &str,
) -> Result<tempfile::TempDir, ScratchError> {
    let dir = tempfile::Builder::new()
        .prefix("reins-repro-")
        .tempdir()
        .map_err(ScratchError::Temp)?;
    let r = git2::Repository::open(repo).map_err(|source| ScratchError::Open {
        path: repo.display().to_string(),
        source,
    })?;
    let work = dir.path().join("repo");
    let (rev, patch) = match scope {
        Scope::Commit(sha) => (sha.clone(), None),
        Scope::Base(_) => ("HEAD".to_string(), None),
        Scope::Uncommitted => ("HEAD".to_string(), Some(diff_text.as_bytes())),
    };
    if rev == "HEAD" {
        r.head().map_err(ScratchError::Head)?;
    }
    gitsource::export(&r, &rev, &work)?;
    gitsource::commit_with_patch(&work, patch)?;
    Ok(dir)
}

/// The copy's work tree inside [`scratch_copy`]'s directory.
pub fn work_tree(scratch: &Path) -> std::path::PathBuf {
    scratch.join("repo")
}

/// Runs `command` in `work` (a scratch copy) under `how`.
pub async fn run(command: &str, work: &Path, how: &Confinement) -> Outcome {
    let ctx = match ToolContext::new(work, crate::cancel::Cancel::never()) {
        Ok(mut ctx) => {
            ctx.child_env = how.env.clone();
            ctx.allow_unsandboxed = how.allow_unsandboxed;
            // ToolContext::new already confines writes to `work` (workspace-write, no network).
            ctx
        }
        Err(e) => return Outcome::NotReproduced(format!("cannot open the scratch copy: {e}")),
    };
    let out = match run_command(command, &ctx.root, &ctx, how.timeout).await {
        Ok(out) => out,
        Err(e) => {
            return Outcome::NotReproduced(format!(
                "its reproducing command could not run: {}",
                e.0
            ))
        }
    };
    match (out.timed_out, out.exit_code) {
        (Some(t), _) => Outcome::NotReproduced(format!(
            "its reproducing command timed out after {} s",
            t.as_secs()
        )),
        (None, None) => {
            Outcome::NotReproduced("its reproducing command was killed by a signal".into())
        }
        (None, Some(0)) => Outcome::NotReproduced(
            "its reproducing command passed, so the problem did not show".into(),
        ),
        (None, Some(c @ (126 | 127))) => Outcome::NotReproduced(format!(
            "its reproducing command could not run (exit {c}: not found or not executable)"
        )),
        (None, Some(c)) => Outcome::Failed(Reproduced {
            exit_code: c,
            output: tail(&out.output, OUTPUT_TAIL),
        }),
    }
}

/// Runs each finding's reproducing command in its own fresh copy (so one command cannot set up
/// the next one's failure); findings without a command pass through untouched.
pub async fn check_all(
    findings: Vec<Finding>,
    copy: &(dyn Fn() -> Result<tempfile::TempDir, ScratchError> + Sync),
    how: &Confinement,
) -> (Vec<Finding>, Vec<Dropped>) {
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for mut f in findings {
        let Some(command) = f.reproduce.clone().filter(|c| !c.trim().is_empty()) else {
            kept.push(f);
            continue;
        };
        let outcome = match copy() {
            Ok(scratch) => run(&command, &work_tree(scratch.path()), how).await,
            Err(e) => Outcome::NotReproduced(e.to_string()),
        };
        match outcome {
            Outcome::Failed(r) => {
                f.reproduced = Some(r);
                kept.push(f);
            }
            Outcome::NotReproduced(reason) => dropped.push(Dropped { reason, finding: f }),
        }
    }
    (kept, dropped)
}

fn tail(s: &str, max: usize) -> String {
    let s = s.trim_end();
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s[start..].to_string()
}
