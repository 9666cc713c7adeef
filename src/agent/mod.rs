//! The agent core: a session's neutral history and the turn loop that alternates model requests
//! and tool calls. It never prints; it reports `Event`s to whoever runs it.

mod accounts;
mod checkpoint_step;
mod compact;
mod compact_step;
mod context_gauge;
pub mod events;
pub mod extension;
pub(crate) mod instructions;
mod model_step;
mod native_format;
mod planted_step;
pub mod prompt;
mod recorder;
pub(crate) mod repo_map_step;
mod request;
mod request_size;
pub mod routing;
mod session;
pub mod session_control;
mod session_setup;
mod session_tools;
pub mod spend;
mod thread;
mod thread_step;
mod tool_step;
mod turn;
mod usage_step;

pub use events::{Event, Status};
pub use session::Session;
pub use session_setup::{ModelSetup, RecordSetup, SessionSetup, ToolSetup};
pub use session_tools::ToolSource;
