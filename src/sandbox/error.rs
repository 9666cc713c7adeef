//! The one error type of the sandbox. Messages are read by two audiences: the model (a refused
//! write or read must say what to do instead) and the user (an unavailable sandbox must name the
//! cause and the way out), so each variant carries enough context to be acted on.

use std::io;

/// Why the sandbox refused something or could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A file tool tried to write where the policy forbids it.
    #[error("writing `{path}` is not permitted by the sandbox: {reason}")]
    WriteDenied { path: String, reason: String },

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
