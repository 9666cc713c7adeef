//! Decoding a tool call's argument text, with errors that tell the model how to fix the call.

use super::ToolError;
use serde::de::DeserializeOwned;

/// Parses `raw` as the tool's argument object. Empty text counts as `{}`.
pub fn parse_args<T: DeserializeOwned>(tool: &str, raw: &str) -> Result<T, ToolError> {
    let text = if raw.trim().is_empty() { "{}" } else { raw };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        ToolError(format!("the arguments of `{tool}` are not valid JSON ({e}); resend the call with a JSON object"))
    })?;
    if !value.is_object() {
        return Err(ToolError(format!(
            "the arguments of `{tool}` must be a JSON object, got: {text}"
        )));
    }
    serde_json::from_value(value).map_err(|e| {
        ToolError(format!(
            "bad arguments for `{tool}`: {e}; see the tool's schema and resend"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct A {
        #[allow(dead_code)]
        path: String,
    }

    #[test]
    fn malformed_json_is_explained() {
        let e = parse_args::<A>("read_file", "{\"path\": ").unwrap_err();
        assert!(e.0.contains("not valid JSON"), "{e}");
    }

    #[test]
    fn missing_field_is_named() {
        let e = parse_args::<A>("read_file", "{}").unwrap_err();
        assert!(e.0.contains("path"), "{e}");
    }
}
