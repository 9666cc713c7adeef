//! The agent core: a session's neutral history and the turn loop that alternates model requests
//! and tool calls. It never prints; it reports `Event`s to whoever runs it.

mod compact;
mod compact_step;
pub mod events;
pub mod extension;
pub mod instructions;
pub mod prompt;
mod request;
pub mod routing;
mod session;
mod tool_step;

pub use events::{Event, Status};
pub use session::{Session, SessionSetup};
