//! Checks as a session participant: when the model ends its turn, run them; if one fails, send
//! the failure back as the next step and mark the work unfinished, so a session that runs out of
//! steps or budget with failing checks ends `checks_failed`.

use super::run::{failure_message, run_all};
use crate::agent::extension::{Extension, Report, StopVerdict};
use crate::tools::ToolContext;
use crate::types::BoxFuture;
use std::time::Duration;

pub struct ChecksExtension {
    commands: Vec<String>,
    /// A context of its own, built like the session's (same root, sandbox policy, environment,
    /// cancel signal): the stop hook is not handed the session's.
    ctx: ToolContext,
    timeout: Duration,
}

impl ChecksExtension {
    pub fn new(commands: Vec<String>, ctx: ToolContext, timeout: Duration) -> Self {
        ChecksExtension {
            commands,
            ctx,
            timeout,
        }
    }
}

impl Extension for ChecksExtension {
    fn stop<'a>(
        &'a self,
        _last_message: &'a str,
        report: Report<'a>,
    ) -> BoxFuture<'a, StopVerdict> {
        Box::pin(async move {
            let mut emit = |o: &super::CheckOutcome| report(o.event());
            let outcomes = run_all(&self.commands, &self.ctx, self.timeout, &mut emit).await;
            if outcomes.len() == self.commands.len() && outcomes.iter().all(|o| o.passed) {
                return StopVerdict::Done;
            }
            StopVerdict::Continue {
                message: failure_message(&outcomes),
                unfinished: true,
            }
        })
    }
}
