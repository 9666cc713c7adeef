//! The session participant that holds the final answer to its schema.

use super::OutputSchema;
use crate::agent::extension::{Extension, Report, StopVerdict};
use crate::types::BoxFuture;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// Checks the model's final message whenever it stops: a refused answer goes back with the
/// errors while corrections remain, then the turn fails. The accepted value is kept for the
/// front end, which prints it instead of the raw message.
pub struct SchemaExtension {
    schema: Arc<OutputSchema>,
    retries: u32,
    used: Mutex<u32>,
    accepted: Arc<Mutex<Option<Value>>>,
}

impl SchemaExtension {
    pub fn new(schema: Arc<OutputSchema>, retries: u32) -> Self {
        SchemaExtension {
            schema,
            retries,
            used: Mutex::new(0),
            accepted: Arc::default(),
        }
    }

    /// Where the accepted answer appears once the turn ends with one.
    pub fn accepted(&self) -> Arc<Mutex<Option<Value>>> {
        self.accepted.clone()
    }
}

impl Extension for SchemaExtension {
    fn answer_format(&self) -> Option<crate::provider::AnswerFormat> {
        Some(crate::provider::AnswerFormat::new(
            &self.schema.name,
            &self.schema.value,
        ))
    }

    fn user_prompt<'a>(
        &'a self,
        _prompt: &'a str,
        _report: Report<'a>,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move { Some(self.schema.instructions()) })
    }

    fn stop<'a>(
        &'a self,
        last_message: &'a str,
        _report: Report<'a>,
    ) -> BoxFuture<'a, StopVerdict> {
        Box::pin(async move {
            let rejection = match self.schema.check(last_message) {
                Ok(value) => {
                    if let Ok(mut slot) = self.accepted.lock() {
                        *slot = Some(value);
                    }
                    return StopVerdict::Done;
                }
                Err(r) => r,
            };
            let Ok(mut used) = self.used.lock() else {
                return StopVerdict::Fail {
                    message: "the output schema check failed (lock poisoned)".into(),
                };
            };
            if *used < self.retries {
                *used += 1;
                return StopVerdict::Continue {
                    message: self.schema.correction(&rejection),
                    unfinished: false,
                };
            }
            StopVerdict::Fail {
                message: format!(
                    "the final answer does not match the output schema {} after {} correction{}:\n{}",
                    self.schema.source,
                    self.retries,
                    if self.retries == 1 { "" } else { "s" },
                    rejection.describe()
                ),
            }
        })
    }
}
