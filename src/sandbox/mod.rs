//! The boundary between the untrusted model and the user's machine: which paths a file tool may
//! touch, which permission rules apply to a tool call, and how child processes are confined.
//!
//! # Modes
//!
//! - `read-only`: children read everything and write nothing but `/dev/null`-like devices and
//!   terminals;
//! - `workspace-write`: children also write the workspace and the temp dirs (`$TMPDIR`, `/tmp`,
//!   `/var/tmp`, `/dev/shm`), except the protected paths (`.git`, `.reins/config.toml`,
//!   configured ones), which stay read-only;
//! - `full`: no confinement.
//!
//! With `network = false` (confined modes), children cannot open internet or loopback sockets.
//!
//! # How (Linux)
//!
//! - Files: Landlock (ABI 3, Linux 6.2+), an unprivileged LSM: the child gets read and execute
//!   everywhere and write rights only beneath the writable roots (device nodes excepted).
//!   Landlock cannot subtract a subtree from a grant (rights on a directory reach everything
//!   beneath it and rules only add up), so "the workspace except `.git`" is made of two parts:
//!   the whole workspace is granted, and the protected paths are covered by read-only bind mounts
//!   in a private mount namespace of the child (root creates it directly, other users through a
//!   user namespace mapping only their own ids). The bind mounts are made before Landlock is
//!   applied, and a Landlock domain forbids changing mounts, so the child cannot undo them.
//! - Where no namespace can be created (containers, distributions restricting user namespaces)
//!   the ruleset is *carved* instead: every entry of the workspace except the protected ones is
//!   granted, recursively along the protected paths' ancestors. Then nothing can be created
//!   directly in those ancestors (the workspace root, `.reins/`): `touch newfile` at the root
//!   fails, `cargo build` writing the existing `target/` works. The fallback is chosen in the
//!   child, silently, because both variants enforce the policy; only convenience differs.
//! - Network: a seccomp filter refusing `socket(2)` for address families other than `AF_UNIX`
//!   and `AF_NETLINK`. Seccomp rather than an empty network namespace because it works without
//!   root or user namespaces and needs no helper program (no slirp, no veth setup). The filter
//!   also refuses `TIOCSTI`/`TIOCLINUX` (typing into the user's terminal) and `io_uring_setup`
//!   (io_uring can open sockets behind the filter's back), whatever the network setting.
//! - Root: a child of root loses the capabilities that bypass any file policy (module loading,
//!   `mknod`, `CAP_SYS_ADMIN`, raw I/O, network administration...) from its bounding set.
//! - Everything is prepared before `fork` (ruleset descriptors, BPF program, C strings); the
//!   `pre_exec` hook only makes system calls, since the parent is a multi-threaded tokio
//!   process and the child may not allocate.
//! - Fail closed: if the kernel lacks Landlock ABI 3 or seccomp filters, [`SandboxPolicy::confine`]
//!   returns an error naming the cause and the way out (`--sandbox full` or
//!   `allow_unsandboxed = true`); it never runs a child unconfined in a confined mode.
//!
//! # Limits
//!
//! - `git commit` (and anything else writing `.git`) fails in `workspace-write`: the user runs it,
//!   or a git tool does it outside the sandbox.
//! - A protected path that does not exist yet and whose parent is a writable root (e.g.
//!   `.reins/config.toml` when `.reins/` does not exist) cannot be covered by a mount: with
//!   namespaces a child could create it. Creating `.reins/` up front closes this.
//! - Only the workspace's own `.git` is protected, not those of nested repositories (a dangerous
//!   one is set aside at the end of the turn, see [`crate::workspace::planted`]); and when `.git`
//!   is a symlink, its target is protected but the link itself can be replaced.
//! - Children may read everything, secrets included; the secret deny list
//!   ([`SandboxPolicy::check_read`]) covers the file tools only. Scrub the environment with
//!   [`scrubbed_env`].
//! - Path unix sockets are hidden only where daemons usually put them (`/run`, the runtime dir,
//!   the agents the environment names; see `linux/sockets.rs`): a daemon listening elsewhere
//!   can still be reached, and through it a child may act outside the sandbox.
//! - Landlock does not govern metadata: `chmod`, `chown`, `utime`, extended attributes outside
//!   the writable roots still succeed where file permissions allow.
//! - Hard links to outside files that already exist in the workspace are written through by
//!   children (Landlock checks the path, not the inode); children cannot create new ones, and
//!   file tools refuse to read or write multiply-linked files (a hard link to `.env` would
//!   otherwise pass the path-based read rules).
//! - The in-process checks of the file tools run on the resolved path, which is then opened
//!   through [`beneath::Beneath`] with no symlink allowed: a link swapped in between makes the
//!   call fail. A directory *renamed* in between (no link) still moves what the path names.

pub mod approval;
pub mod beneath;
pub(crate) mod env;
mod error;
mod layout;
#[cfg(target_os = "linux")]
mod linux;
pub mod paths;
mod pattern;
mod policy;
mod private_tmp;
pub mod program;
pub mod rules;
mod run;
pub(crate) mod secrets;
mod shell;

pub use crate::types::SandboxMode;
pub use env::scrubbed_env;
pub use error::{SandboxError, WriteRefusal};
pub use policy::SandboxPolicy;
pub use private_tmp::remove as remove_private_tmp;
pub use rules::{Decision, Rules};
pub use run::run_command;
