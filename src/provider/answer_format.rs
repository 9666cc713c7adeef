//! Native structured output: the JSON Schema a session's final answer must meet, sent with the
//! request so the provider constrains (or at least steers) the answer to it.
//!
//! What each wire sends, as documented by the providers (looked up 2026-12-07):
//! - OpenAI Responses API: `text: {format: {type: "json_schema", name, schema, strict}}`
//!   (`TextResponseFormatJsonSchema`; `name` is `[a-zA-Z0-9_-]{1,64}`);
//! - OpenAI Chat Completions: `response_format: {type: "json_schema", json_schema: {name,
//!   schema, strict}}` (Structured Outputs guide);
//! - Anthropic Messages: `output_config: {format: {type: "json_schema", schema}}` (structured
//!   outputs, generally available; the beta `output_format` field moved there), beside the
//!   `effort` adaptive thinking puts in the same object.
//!
//! The format constrains the final text only: the model may still call tools first, so it goes
//! with every request of the turn. Strict decoding takes a subset of JSON Schema
//! ([`super::strict_schema`], [`super::claude_schema`]); a schema outside it is sent non-strict
//! (OpenAI) or relaxed or not at all (Anthropic), and [`FormatUse::note`] says so for the trace.
//! Whatever is sent, reins still validates the answer and sends an invalid one back.

use serde_json::Value;

/// A final-answer schema as the wires need it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerFormat {
    /// `[a-zA-Z0-9_-]{1,64}`, as OpenAI requires of a format's name.
    pub name: String,
    /// The schema without its `$schema` dialect marker, which names the draft for validators
    /// and means nothing to a provider's decoder.
    pub schema: Value,
}

impl AnswerFormat {
    /// `name` is cut down to the characters and length OpenAI accepts (`answer` if none is left).
    pub fn new(name: &str, schema: &Value) -> Self {
        let mut clean: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        if clean.trim_matches('_').is_empty() {
            clean = "answer".into();
        }
        let mut schema = schema.clone();
        if let Some(o) = schema.as_object_mut() {
            o.remove("$schema");
        }
        AnswerFormat {
            name: clean,
            schema,
        }
    }
}

/// What one wire does with an answer format for one model.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatUse {
    /// The wire's own object (`text.format`, `response_format`, `output_config.format`), or
    /// `None`: not sent.
    pub sent: Option<Value>,
    /// What the trace says about it; `None` when the schema goes as written, or when the model
    /// has no native structured output (the documented default).
    pub note: Option<String>,
}

impl FormatUse {
    /// Nothing goes on the wire and nothing needs saying.
    pub fn none() -> Self {
        FormatUse {
            sent: None,
            note: None,
        }
    }

    /// Not sent, for `reason`: validation alone holds the answer to the schema.
    pub fn not_sent(reason: &str) -> Self {
        FormatUse {
            sent: None,
            note: Some(format!(
                "the output schema is not sent as native structured output: {reason}; the answer is checked by validation alone"
            )),
        }
    }
}

/// The OpenAI object shared by both OpenAI wires: `{name, schema, strict}`, strict only when
/// the schema is in strict mode's subset, with a note saying why not otherwise.
pub(super) fn openai_json_schema(f: &AnswerFormat) -> (Value, Option<String>) {
    let violation = super::strict_schema::violation(&f.schema);
    let strict = violation.is_none();
    let body = serde_json::json!({"name": f.name, "schema": f.schema, "strict": strict});
    let note = violation.map(|why| {
        format!("the output schema is sent as native structured output without strict mode: {why}; the answer is still validated")
    });
    (body, note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_name_fits_openai_and_the_dialect_marker_is_dropped() {
        let f = AnswerFormat::new(
            "my answer.schema",
            &json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}),
        );
        assert_eq!(f.name, "my_answer_schema");
        assert_eq!(f.schema, json!({"type": "object"}));
        assert_eq!(AnswerFormat::new("..", &json!({})).name, "answer");
        assert_eq!(
            AnswerFormat::new(&"x".repeat(80), &json!({})).name.len(),
            64
        );
    }
}
