//! The final answer's schema as native structured output: which requests carry it, what the
//! trace says about how each model takes it, and what happens when a provider refuses it.
//!
//! The schema comes from an extension (`--output-schema`, review) and goes with every request of
//! the session's turns to a model whose client sends it (the format constrains the final text;
//! tool calls go on as before). A provider that answers 400 naming the format drops it for that
//! model, and the request is made again without it: the extension's validation and corrections
//! hold the answer to the schema either way.

use super::events::{Emit, Event};
use super::routing::Entry;
use crate::provider::{AnswerFormat, ProviderError};
use std::collections::BTreeSet;

/// The session's answer format and what it learnt about each model.
#[derive(Default)]
pub(super) struct NativeFormat {
    format: Option<AnswerFormat>,
    /// Models whose note has been shown (once per session each).
    announced: BTreeSet<String>,
    /// Models whose provider refused the format: their requests go without it.
    refused: BTreeSet<String>,
}

impl NativeFormat {
    pub(super) fn new(format: Option<AnswerFormat>) -> Self {
        NativeFormat {
            format,
            ..Self::default()
        }
    }

    /// The format a request to `entry` carries, announcing once per model how it goes (strict,
    /// non-strict, cut down, or not at all) when that is not simply "as written".
    pub(super) fn for_entry(&mut self, entry: &Entry, emit: Emit<'_>) -> bool {
        let Some(format) = &self.format else {
            return false;
        };
        let label = &entry.model.label;
        if self.refused.contains(label) {
            return false;
        }
        let used = entry.client.answer_format(format);
        if self.announced.insert(label.clone()) {
            if let Some(note) = used.note {
                emit(Event::Warning {
                    message: format!("{label}: {note}"),
                });
            }
        }
        used.sent.is_some()
    }

    /// Whether `e` is the provider refusing the format a request to `entry` carried; if so the
    /// format is dropped for that model and the caller asks again.
    pub(super) fn refused_by(
        &mut self,
        e: &ProviderError,
        entry: &Entry,
        sent: bool,
        emit: Emit<'_>,
    ) -> bool {
        if !sent || !names_the_format(e) {
            return false;
        }
        let label = entry.model.label.clone();
        emit(Event::Warning {
            message: format!(
                "{label} refused the output schema as native structured output ({e}); asking again without it, the answer is checked by validation alone"
            ),
        });
        self.refused.insert(label);
        true
    }

    /// The format for the request being built, if it is to carry one.
    pub(super) fn carried(&self, sent: bool) -> Option<&AnswerFormat> {
        self.format.as_ref().filter(|_| sent)
    }
}

/// A 400 (422 from some compatible servers) whose message is about the format or a schema.
fn names_the_format(e: &ProviderError) -> bool {
    let ProviderError::Status {
        status, message, ..
    } = e
    else {
        return false;
    };
    let m = message.to_ascii_lowercase();
    matches!(status, 400 | 422)
        && [
            "response_format",
            "json_schema",
            "text.format",
            "output_config",
            "schema",
        ]
        .iter()
        .any(|w| m.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, message: &str) -> ProviderError {
        ProviderError::Status {
            provider: "p".into(),
            status: code,
            message: message.into(),
            retry_after: None,
        }
    }

    #[test]
    fn only_a_client_error_about_the_schema_names_the_format() {
        assert!(names_the_format(&status(
            400,
            "Invalid schema for response_format 'x': minLength is not permitted"
        )));
        assert!(names_the_format(&status(
            400,
            "output_config.format.schema: bad"
        )));
        assert!(!names_the_format(&status(400, "max_tokens too large")));
        assert!(!names_the_format(&status(500, "schema service down")));
    }
}
