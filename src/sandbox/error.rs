//! The one error type of the sandbox. Messages are read by two audiences: the model (a refused
//! write or read must say what to do instead) and the user (an unavailable sandbox must name the
//! cause and the way out), so each variant carries enough context to be acted on.

use std::io;
use std::path::PathBuf;

/// Why the sandbox refused something or could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A file tool tried to write where the policy forbids it.
    #[error("writing `{path}` is not permitted by the sandbox: {reason}")]
    WriteDenied { path: String, reason: WriteRefusal },

    /// A file tool tried to read a file that looks like a secret.
    #[error(
        "reading `{path}` is not permitted: it looks like a secret (matches `{pattern}`); \
         ask the user, who can allow it with the rule `read({suggestion})` in [permissions].allow"
    )]
    ReadDenied {
        path: String,
        pattern: String,
        suggestion: String,
    },

    /// A file tool tried to read a file a `read(...)` deny rule names.
    #[error(
        "reading `{path}` is not permitted: denied by the rule `{rule}` in [permissions].deny"
    )]
    ReadDeniedByRule { path: String, rule: String },

    /// Confinement was requested but the kernel cannot provide it. Never degraded silently.
    #[error(
        "the sandbox cannot confine child processes: {cause}; run with `--sandbox full` or set \
         `allow_unsandboxed = true` to run commands without confinement"
    )]
    Unavailable { cause: String },

    /// A permission rule (`tool(pattern)`) or glob that does not parse.
    #[error("invalid permission rule `{rule}`: {reason}")]
    BadRule { rule: String, reason: String },

    /// Preparing the confinement touched the filesystem and failed.
    #[error("cannot prepare the sandbox: {context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },

    /// `reins sandbox` was given no command.
    #[error("no command given: use `reins sandbox -- COMMAND [ARGS...]`")]
    EmptyCommand,

    /// The confined command could not be started or awaited.
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
}

/// Why a write was refused, worded for the model: each says what stays possible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteRefusal {
    #[error(
        "the sandbox is read-only; the user can allow writes with `--sandbox workspace-write`"
    )]
    ReadOnly,
    #[error("writes are limited to the workspace and the temp directories")]
    OutsideRoots,
    #[error(
        "`{}` is protected and stays read-only (the repository internals and the reins \
         project config cannot be changed by the agent; ask the user to do it)",
        protected.display()
    )]
    Protected { protected: PathBuf },
    #[error(
        "a repository's `.git` is not written by the file tools (git manages it; a planted \
         config or hook would run on the user's next git command)"
    )]
    RepositoryInternals,
    #[error(
        "the file has {links} hard links, which may be outside the workspace, and writing it \
         would change them all"
    )]
    HardLinks { links: u64 },
}

impl SandboxError {
    /// Shorthand for [`SandboxError::Io`].
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        SandboxError::Io {
            context: context.into(),
            source,
        }
    }

    /// Shorthand for [`SandboxError::Unavailable`].
    pub(crate) fn unavailable(cause: impl Into<String>) -> Self {
        SandboxError::Unavailable {
            cause: cause.into(),
        }
    }
}
