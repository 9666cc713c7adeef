//! Structured final answers (`reins exec --output-schema FILE`, and the review's findings): the
//! model's last message must be one JSON value valid against a JSON Schema. An answer that is not
//! goes back to the model with the validation errors, a bounded number of times; after that the
//! turn ends as `output_invalid`.
//!
//! The schema comes from the user (or from reins itself), the answer from the model: both are
//! untrusted. Remote and file `$ref`s are never fetched (the validator is built without its
//! resolvers), and errors quoted back to the model are capped.

mod extension;

pub use extension::SchemaExtension;

use serde_json::Value;
use std::path::Path;

/// How many times an invalid answer goes back to the model before the turn fails.
pub const DEFAULT_RETRIES: u32 = 2;

/// At most this many validation errors are quoted back to the model or to the user.
const MAX_ERRORS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot read the output schema {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the output schema {path} is not JSON: {source}")]
    NotJson {
        path: String,
        source: serde_json::Error,
    },
    #[error("the output schema {path} is not a valid JSON Schema: {message}")]
    Invalid { path: String, message: String },
}

/// A compiled JSON Schema the final answer must meet.
pub struct OutputSchema {
    /// Where it came from, for messages.
    pub source: String,
    /// What the providers' native structured output calls it: the file's name without its
    /// extension, or what [`OutputSchema::named`] set.
    pub name: String,
    /// The schema itself, shown to the model.
    pub value: Value,
    validator: jsonschema::Validator,
}

/// Why an answer was refused: not JSON at all, or JSON that breaks the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    NotJson(String),
    Invalid(Vec<String>),
}

impl Rejection {
    /// The reasons, one per line, as the model and the user read them.
    pub fn describe(&self) -> String {
        match self {
            Rejection::NotJson(e) => format!("- the answer is not one JSON value: {e}"),
            Rejection::Invalid(errors) => errors
                .iter()
                .map(|e| format!("- {e}"))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

impl OutputSchema {
    /// Reads and compiles the schema in `path`.
    pub fn load(path: &Path) -> Result<Self, SchemaError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Read {
            path: shown.clone(),
            source,
        })?;
        let value = serde_json::from_str(&text).map_err(|source| SchemaError::NotJson {
            path: shown.clone(),
            source,
        })?;
        Self::from_value(shown, value)
    }

    /// Compiles a schema given as a value; `source` names it in messages.
    pub fn from_value(source: impl Into<String>, value: Value) -> Result<Self, SchemaError> {
        let source = source.into();
        let validator = jsonschema::validator_for(&value).map_err(|e| SchemaError::Invalid {
            path: source.clone(),
            message: e.to_string(),
        })?;
        let name = Path::new(&source)
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.trim_end_matches(".json").to_string())
            .unwrap_or_else(|| "answer".into());
        Ok(OutputSchema {
            source,
            name,
            value,
            validator,
        })
    }

    /// The same schema under another name for native structured output.
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// The JSON in `answer` if it meets the schema. The answer may be the bare value or one
    /// fenced code block holding it (models often fence JSON); anything else around it is
    /// refused, so a consumer never has to dig the value out of prose.
    pub fn check(&self, answer: &str) -> Result<Value, Rejection> {
        let text = unfenced(answer);
        let value: Value =
            serde_json::from_str(text).map_err(|e| Rejection::NotJson(e.to_string()))?;
        let errors: Vec<String> = self
            .validator
            .iter_errors(&value)
            .take(MAX_ERRORS + 1)
            .map(|e| {
                let at = e.instance_path().to_string();
                let at = if at.is_empty() { "/".into() } else { at };
                format!("at {at}: {e}")
            })
            .collect();
        if errors.is_empty() {
            return Ok(value);
        }
        let mut errors = errors;
        if errors.len() > MAX_ERRORS {
            errors.truncate(MAX_ERRORS);
            errors.push("(more errors not shown)".into());
        }
        Err(Rejection::Invalid(errors))
    }

    /// What the model is told about the answer it must give, appended to the task.
    pub fn instructions(&self) -> String {
        let schema = serde_json::to_string_pretty(&self.value).unwrap_or_default();
        include_str!("../../prompts/output_schema.md").replace("{schema}", &schema)
    }

    /// The message that sends a refused answer back to the model.
    pub fn correction(&self, rejection: &Rejection) -> String {
        include_str!("../../prompts/output_schema_invalid.md")
            .replace("{errors}", &rejection.describe())
    }
}

/// The text inside a single fenced code block (```json … ```), or the trimmed text itself.
fn unfenced(answer: &str) -> &str {
    let text = answer.trim();
    let Some(rest) = text.strip_prefix("```") else {
        return text;
    };
    let Some(body) = rest.strip_suffix("```") else {
        return text;
    };
    // The info string (`json`) runs to the end of the first line.
    match body.split_once('\n') {
        Some((info, inner)) if !info.contains('`') => inner.trim(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> OutputSchema {
        OutputSchema::from_value(
            "test",
            json!({"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}},
                   "additionalProperties": false}),
        )
        .expect("a schema")
    }

    #[test]
    fn a_valid_answer_is_taken_bare_or_fenced() {
        let s = schema();
        assert_eq!(s.check(r#"{"n": 3}"#), Ok(json!({"n": 3})));
        assert_eq!(s.check("```json\n{\"n\": 3}\n```\n"), Ok(json!({"n": 3})));
    }

    #[test]
    fn prose_around_the_json_is_refused() {
        let s = schema();
        let r = s.check("Here it is: {\"n\": 3}");
        assert!(matches!(r, Err(Rejection::NotJson(_))), "{r:?}");
        let r = s.check("```json\n{\"n\": 3}\n```\nHope this helps");
        assert!(matches!(r, Err(Rejection::NotJson(_))), "{r:?}");
    }

    #[test]
    fn errors_name_the_place_and_the_rule() {
        let s = schema();
        let Err(Rejection::Invalid(errors)) = s.check(r#"{"n": "three", "x": 1}"#) else {
            panic!("refused")
        };
        assert!(errors.iter().any(|e| e.starts_with("at /n:")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("x")), "{errors:?}");
    }

    #[test]
    fn errors_are_capped() {
        let props: serde_json::Map<String, Value> = (0..30)
            .map(|i| (format!("p{i}"), json!({"type": "string"})))
            .collect();
        let s = OutputSchema::from_value("t", json!({"properties": props})).expect("schema");
        let answer: serde_json::Map<String, Value> =
            (0..30).map(|i| (format!("p{i}"), json!(i))).collect();
        let Err(Rejection::Invalid(errors)) = s.check(&Value::Object(answer).to_string()) else {
            panic!("refused")
        };
        assert_eq!(errors.len(), MAX_ERRORS + 1);
    }

    /// A schema pointing at a remote document must not make reins fetch it.
    #[test]
    fn remote_refs_are_not_fetched() {
        let r = OutputSchema::from_value("t", json!({"$ref": "http://127.0.0.1:9/x.json"}));
        assert!(r.is_err(), "a remote $ref compiled");
    }

    #[test]
    fn an_invalid_schema_is_refused_with_its_path() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("s.json");
        std::fs::write(&path, r#"{"type": 12}"#).expect("write");
        let e = OutputSchema::load(&path)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            e.contains("s.json") && e.contains("not a valid JSON Schema"),
            "{e}"
        );
    }
}
