//! The agent core: a session's neutral history and the turn loop that alternates model requests
//! and tool calls. It never prints; it reports `Event`s to whoever runs it.

mod checkpoint_step;
mod compact;
mod compact_step;
mod context_gauge;
pub mod events;
pub mod extension;
mod extension_set;
mod history;
pub(crate) mod instructions;
mod ledger;
mod model_side;
mod model_step;
mod native_format;
mod permit;
mod planted_step;
pub mod prompt;
mod recorder;
pub(crate) mod repo_map_step;
mod request;
mod request_size;
pub mod routing;
mod sandbox_notice;
mod session;
pub mod session_control;
mod session_setup;
pub mod spend;
mod sync_step;
mod thread;
mod tool_step;
mod toolbox;
mod turn;

pub use events::{Event, Status};
pub use ledger::ModelTotals;
pub use session::Session;
pub use session_setup::{ModelSetup, RecordSetup, Resumed, SessionSetup, ToolSetup};
pub use toolbox::{ToolSource, Toolbox};
