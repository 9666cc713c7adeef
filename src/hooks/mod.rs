//! Hooks: the user's own commands at the moments of a session (`session_start`, `user_prompt`,
//! `pre_tool`, `post_tool`, `stop`), to enforce a team's rules (formatters after edits, forbidden
//! commands, checks before stopping, notifications) without the model's cooperation.
//!
//! A hook gets the event as a JSON object on stdin: `event`, `session_id`, `cwd`, and by event
//! `tool` and `arguments` (tool events), `ok` and `result` (`post_tool`), `prompt`
//! (`user_prompt`), `last_message` and `stop_hook_active` (`stop`). It runs with `bash -c` in
//! the workspace, in the sandbox with the same policy and environment as the shell tool's
//! commands, its output capped and the process group killed at `timeout_ms`.

mod config;
mod extension;
mod run;

pub use config::{HookConfig, HookEvent};
pub use extension::{Hooks, SessionIdSlot};
