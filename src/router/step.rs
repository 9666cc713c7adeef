//! Step kinds and the classification of what happened since the last model request. Kept apart
//! from the router so the session can label steps (for events and logs) even without a router.

use crate::types::Exit;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a model request is for; rules match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// The first request after a user message.
    #[default]
    Plan,
    /// Continuing after tool results that all succeeded.
    Act,
    /// The previous step ended in a hard failure (non-zero exit, failed edit, tool error).
    Fix,
    /// Summarising history.
    Compact,
    /// Any other tool-less call (titles, summaries for the UI, …).
    Side,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Plan => "plan",
            StepKind::Act => "act",
            StepKind::Fix => "fix",
            StepKind::Compact => "compact",
            StepKind::Side => "side",
        }
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One tool call's result as the router sees it: tool name, whether the tool succeeded, and the
/// exit code when the tool ran a command. A tuple so the session can build it without new types.
pub type ToolOutcome = (String, bool, Option<i32>);

/// Whether a result counts as a hard failure: a tool error, or a command with a non-zero exit
/// (the `shell` tool reports a failing command as a successful call, so `ok` alone is not enough).
pub fn is_hard_failure(outcome: &ToolOutcome) -> bool {
    let (_, ok, exit) = outcome;
    !ok || exit.is_some_and(|c| c != 0)
}

/// Classifies the step from what happened since the last request.
///
/// `compact` is never returned: only the caller knows it is summarising. No results and not the
/// first request after the user means a tool-less call, hence `side`.
pub fn step_kind(first_after_user: bool, last_results: &[ToolOutcome]) -> StepKind {
    if first_after_user {
        StepKind::Plan
    } else if last_results.is_empty() {
        StepKind::Side
    } else if last_results.iter().any(is_hard_failure) {
        StepKind::Fix
    } else {
        StepKind::Act
    }
}

/// Builds a [`ToolOutcome`] from a finished call and the exit its tool reported: a timeout or
/// a kill is a failure without an exit code.
pub fn tool_outcome(name: &str, ok: bool, exit: Option<Exit>) -> ToolOutcome {
    match exit {
        Some(Exit::Code(code)) => (name.to_string(), ok, Some(code)),
        Some(Exit::TimedOut | Exit::Killed) => (name.to_string(), false, None),
        None => (name.to_string(), ok, None),
    }
}

/// Longest command or error text quoted in a route reason.
const NOTE_LIMIT: usize = 60;

/// A short account of a failure for the parenthesis of a route reason, e.g. `exit 1 from cargo
/// test` or `edit_file: old_string not found`. `arguments` is the raw JSON the model wrote.
pub fn failure_note(name: &str, arguments: &str, exit: Option<i32>, output: &str) -> String {
    match exit {
        Some(code) => format!("exit {code} from {}", command_of(name, arguments)),
        None => {
            let first = output.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            let first = first.trim().trim_start_matches("error: ");
            format!("{name}: {}", clip(first))
        }
    }
}

fn command_of(name: &str, arguments: &str) -> String {
    let parsed = serde_json::from_str::<serde_json::Value>(arguments).ok();
    let command = parsed
        .as_ref()
        .and_then(|v| v.get("command"))
        .and_then(|c| c.as_str())
        .and_then(|c| c.lines().find(|l| !l.trim().is_empty()));
    command.map_or_else(|| name.to_string(), |c| clip(c.trim()))
}

fn clip(s: &str) -> String {
    match s.char_indices().nth(NOTE_LIMIT) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reported_exit_decides_the_outcome() {
        assert_eq!(
            tool_outcome("shell", true, Some(Exit::Code(101))),
            ("shell".into(), true, Some(101))
        );
        assert!(is_hard_failure(&tool_outcome(
            "t",
            true,
            Some(Exit::Code(1))
        )));
        assert_eq!(
            tool_outcome("shell", true, Some(Exit::TimedOut)),
            ("shell".into(), false, None)
        );
        // Text that looks like a status line means nothing without a reported exit.
        assert_eq!(
            tool_outcome("read_file", true, None),
            ("read_file".into(), true, None)
        );
    }

    #[test]
    fn notes_quote_the_command_or_the_error() {
        let n = failure_note("shell", r#"{"command":"cargo test\n"}"#, Some(1), "");
        assert_eq!(n, "exit 1 from cargo test");
        let n = failure_note("edit_file", "{}", None, "error: old_string not found\nmore");
        assert_eq!(n, "edit_file: old_string not found");
        let long = "x".repeat(100);
        assert!(failure_note("t", "{}", None, &long).ends_with('…'));
    }
}
