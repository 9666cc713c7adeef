//! Where a session's subagents hang their traces: the span of the tool call that is running in
//! it now. A session runs its tool calls one at a time, so while the `task` tool builds its
//! children, the open call is the `task` call that starts them.

use opentelemetry::trace::TraceContextExt;
use opentelemetry::Context;
use std::sync::{Arc, Mutex};

/// Shared by a session's trace (which sets it at `tool.call` and clears it at `tool.result`)
/// and the front end's subagent spawner (which reads it when it builds a child).
#[derive(Clone, Default)]
pub struct Lineage(Arc<Mutex<Option<Context>>>);

impl Lineage {
    /// The span of the running tool call, as a parent for another session's spans.
    pub(super) fn current(&self) -> Option<Context> {
        self.0.lock().ok().and_then(|c| c.clone())
    }

    pub(super) fn enter(&self, span: &opentelemetry::trace::SpanContext) {
        if let Ok(mut c) = self.0.lock() {
            *c = Some(Context::new().with_remote_span_context(span.clone()));
        }
    }

    pub(super) fn leave(&self) {
        if let Ok(mut c) = self.0.lock() {
            *c = None;
        }
    }
}
