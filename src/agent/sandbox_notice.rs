//! The sandbox's weaknesses on this machine (see `SandboxPolicy::weaknesses`), told once per
//! session. Finding them means trying the namespaces in a throwaway child, which runs in the
//! background while the session starts (a few milliseconds); the first model request does not
//! wait for it. They are told as the first turn starts when the probe is done by then, and
//! otherwise before the first step that runs programs (the only thing they weaken) or as the
//! turn ends, whichever comes first.

use super::events::{Emit, Event};
use crate::sandbox::SandboxMode;
use crate::tools::ToolContext;

#[derive(Default)]
pub(super) struct SandboxNotice {
    told: bool,
}

impl SandboxNotice {
    /// Tells the weaknesses if the probe has found them already.
    pub(super) fn tell_if_known(&mut self, tools: &ToolContext, emit: Emit<'_>) {
        if let Some(found) = tools.policy.weaknesses_if_known() {
            self.tell_found(tools.policy.mode, found, emit);
        }
    }

    /// Tells the weaknesses, waiting for the probe if it still runs.
    pub(super) fn tell(&mut self, tools: &ToolContext, emit: Emit<'_>) {
        if !self.told {
            self.tell_found(tools.policy.mode, tools.policy.weaknesses(), emit);
        }
    }

    /// Under `full` nothing is confined, so there is nothing to tell yet: after a switch to a
    /// confined mode (`/sandbox`) they are told at its first command.
    fn tell_found(&mut self, mode: SandboxMode, found: &[String], emit: Emit<'_>) {
        if self.told || mode == SandboxMode::Full {
            return;
        }
        self.told = true;
        for w in found {
            emit(Event::Warning {
                message: format!("sandbox: {w}"),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn told(notice: &mut SandboxNotice, mode: SandboxMode, found: &[String]) -> Vec<String> {
        let mut seen = Vec::new();
        notice.tell_found(mode, found, &mut |e| {
            if let Event::Warning { message } = e {
                seen.push(message);
            }
        });
        seen
    }

    #[test]
    fn weaknesses_are_told_once_and_only_when_something_is_confined() {
        let found = vec!["no PID namespace".to_string()];
        let mut notice = SandboxNotice::default();
        assert!(told(&mut notice, SandboxMode::Full, &found).is_empty());
        assert_eq!(
            told(&mut notice, SandboxMode::WorkspaceWrite, &found),
            ["sandbox: no PID namespace"],
            "a switch from full to a confined mode tells them"
        );
        assert!(told(&mut notice, SandboxMode::WorkspaceWrite, &found).is_empty());
        assert!(told(&mut notice, SandboxMode::ReadOnly, &found).is_empty());
    }

    #[test]
    fn a_machine_without_weaknesses_tells_nothing_and_is_done() {
        let mut notice = SandboxNotice::default();
        assert!(told(&mut notice, SandboxMode::WorkspaceWrite, &[]).is_empty());
        assert!(notice.told);
    }
}
