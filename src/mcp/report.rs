//! Reporting MCP status changes from inside a turn. Servers fail and restart while tools run,
//! where there is no event sink; their events wait in the hub and this extension hands them to
//! the session's reporter at the next moment it is called (around every tool call, at the stop).

use super::hub::McpHub;
use crate::agent::extension::{Blocked, Extension, Report, StopVerdict, ToolUse};
use crate::conversation::ToolCall;
use crate::types::BoxFuture;
use std::sync::Arc;

/// The extension that reports a hub's status changes (crashes, restarts) as they happen in a turn.
pub fn reporter(hub: &Arc<McpHub>) -> Box<dyn Extension> {
    Box::new(StatusReporter::new(hub.clone()))
}

pub struct StatusReporter {
    hub: Arc<McpHub>,
}

impl StatusReporter {
    pub fn new(hub: Arc<McpHub>) -> Self {
        StatusReporter { hub }
    }

    fn flush(&self, report: Report<'_>) {
        for event in self.hub.take_events() {
            report(event);
        }
    }
}

impl Extension for StatusReporter {
    fn session_start<'a>(&'a self, report: Report<'a>) -> BoxFuture<'a, Option<String>> {
        self.flush(report);
        Box::pin(async { None })
    }

    fn user_prompt<'a>(
        &'a self,
        _prompt: &'a str,
        report: Report<'a>,
    ) -> BoxFuture<'a, Option<String>> {
        self.flush(report);
        Box::pin(async { None })
    }

    fn pre_tool<'a>(
        &'a self,
        _call: &'a ToolUse<'a>,
        report: Report<'a>,
    ) -> BoxFuture<'a, Result<(), Blocked>> {
        self.flush(report);
        Box::pin(async { Ok(()) })
    }

    fn post_tool<'a>(
        &'a self,
        _call: &'a ToolCall,
        _ok: bool,
        _output: &'a str,
        report: Report<'a>,
    ) -> BoxFuture<'a, ()> {
        self.flush(report);
        Box::pin(async {})
    }

    fn stop<'a>(&'a self, _last: &'a str, report: Report<'a>) -> BoxFuture<'a, StopVerdict> {
        self.flush(report);
        Box::pin(async { StopVerdict::Done })
    }
}
