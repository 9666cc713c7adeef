//! The one engine every front end drives: a session on a thread of its own that takes [`Op`]s on
//! one channel and answers with [`UiMsg`]s on another. The lifecycle (open and announce, attach
//! the MCP servers, run a turn, compact, switch, finish) is written here once; `exec`, `run`,
//! the TUI and the ACP server differ only in how they send operations and show what comes back.

mod approver;
mod factory;
mod ops;
mod run;

pub use approver::{ChannelApprover, SharedApprover};
pub use factory::{Built, OpenError, Overrides, Resume, SessionFactory};
pub use ops::{ChangesError, Op, SessionState, UiMsg};
pub use run::{spawn, EngineHandle};
