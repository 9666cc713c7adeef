//! `[[hooks]]`: a command run at a moment of the session.

use serde::{Deserialize, Serialize};

/// How long a hook may run unless `timeout_ms` says otherwise.
pub const DEFAULT_TIMEOUT_MS: u64 = 60_000;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HookConfig {
    pub event: HookEvent,
    /// A regular expression the whole tool name must match (`pre_tool`, `post_tool`); absent
    /// matches every tool. Ignored by the other events.
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
    /// Run with `bash -c` in the workspace, in the sandbox, with the event as JSON on stdin.
    pub command: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// When a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HookEvent {
    /// Before the first prompt of a session reaches the model; stdout becomes context.
    SessionStart,
    /// Before every prompt reaches the model; stdout becomes context.
    UserPrompt,
    /// Before a tool runs; exit 2 refuses the call with stderr as the reason.
    PreTool,
    /// After a tool ran (formatters, linters, notifications).
    PostTool,
    /// When the model ends its turn; exit 2 sends it back to work with stderr as the instruction.
    Stop,
}

impl HookEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::SessionStart => "session_start",
            HookEvent::UserPrompt => "user_prompt",
            HookEvent::PreTool => "pre_tool",
            HookEvent::PostTool => "post_tool",
            HookEvent::Stop => "stop",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_parse_from_toml() {
        #[derive(Deserialize)]
        struct File {
            hooks: Vec<HookConfig>,
        }
        let f: File = toml::from_str(
            r#"
[[hooks]]
event = "post_tool"
match = "edit_file|write_file"
command = "cargo fmt"
timeout_ms = 10000

[[hooks]]
event = "stop"
command = "./check.sh"
"#,
        )
        .unwrap();
        assert_eq!(f.hooks[0].event, HookEvent::PostTool);
        assert_eq!(f.hooks[0].matcher.as_deref(), Some("edit_file|write_file"));
        assert_eq!(f.hooks[1].timeout_ms, None);
        let bad = toml::from_str::<File>("[[hooks]]\nevent = \"later\"\ncommand = \"x\"");
        assert!(bad.is_err());
    }
}
