//! What the real APIs refuse in a request's native structured output, written from their
//! documentation independently of reins' own checks:
//! - Responses: the format lives in `text.format` (`response_format` is refused there), a
//!   `json_schema` format needs a `name` of `[a-zA-Z0-9_-]{1,64}` and a `schema` object;
//! - Chat Completions: `response_format.json_schema` needs the same;
//! - both: with `strict: true` every object sets `additionalProperties: false` and requires every
//!   property, and `minLength`/`maxLength` are refused;
//! - Anthropic: the format lives in `output_config.format` (the beta `output_format` is refused),
//!   `{type: "json_schema", schema}`, every object closed, and no numeric, length or `maxItems`
//!   constraints.

use serde_json::Value;

pub fn check_format_request(wire: &str, body: &Value) -> Result<(), String> {
    match wire {
        "responses" => {
            if body.get("response_format").is_some() {
                return Err("Unsupported parameter: 'response_format'. In the Responses API, this parameter has moved to 'text.format'.".into());
            }
            match body.pointer("/text/format") {
                Some(f) if f["type"] == "json_schema" => openai(f, "text.format"),
                _ => Ok(()),
            }
        }
        "chat" => match body.get("response_format") {
            Some(f) if f["type"] == "json_schema" => {
                openai(&f["json_schema"], "response_format.json_schema")
            }
            _ => Ok(()),
        },
        _ => {
            if body.get("output_format").is_some() {
                return Err("output_format: Extra inputs are not permitted".into());
            }
            match body.pointer("/output_config/format") {
                Some(f) => anthropic(f),
                None => Ok(()),
            }
        }
    }
}

fn openai(f: &Value, at: &str) -> Result<(), String> {
    let name = f["name"].as_str().unwrap_or_default();
    let name_ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !name_ok {
        return Err(format!("Invalid '{at}.name': '{name}'."));
    }
    if !f["schema"].is_object() {
        return Err(format!("Missing required parameter: '{at}.schema'."));
    }
    if f["strict"] == true {
        strict(&f["schema"], &["minLength", "maxLength"])
            .map_err(|e| format!("Invalid schema for response_format '{name}': {e}"))?;
    }
    Ok(())
}

fn anthropic(f: &Value) -> Result<(), String> {
    if f["type"] != "json_schema" || !f["schema"].is_object() {
        return Err("output_config.format: expected {type: \"json_schema\", schema}".into());
    }
    let refused = [
        "minimum",
        "maximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "maxItems",
    ];
    walk(&f["schema"], &mut |s| {
        if let Some(k) = refused.iter().find(|k| s.get(**k).is_some()) {
            return Err(format!(
                "output_config.format.schema: `{k}` is not supported"
            ));
        }
        let object = s["type"] == "object" || s.get("properties").is_some();
        if object && s["additionalProperties"] != false {
            return Err(
                "output_config.format.schema: objects must set additionalProperties to false"
                    .into(),
            );
        }
        Ok(())
    })
}

/// Strict mode's rules on every subschema.
fn strict(schema: &Value, refused: &[&str]) -> Result<(), String> {
    walk(schema, &mut |s| {
        if let Some(k) = refused.iter().find(|k| s.get(**k).is_some()) {
            return Err(format!("'{k}' is not permitted."));
        }
        let Some(props) = s.get("properties").and_then(Value::as_object) else {
            return Ok(());
        };
        if s["additionalProperties"] != false {
            return Err(
                "'additionalProperties' is required to be supplied and to be false.".into(),
            );
        }
        let required: Vec<&str> = s["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        match props.keys().find(|k| !required.contains(&k.as_str())) {
            Some(k) => Err(format!(
                "'required' is required to be supplied and to be an array including every key in properties. Missing '{k}'."
            )),
            None => Ok(()),
        }
    })
}

/// Calls `f` on `schema` and every subschema below it.
fn walk(schema: &Value, f: &mut dyn FnMut(&Value) -> Result<(), String>) -> Result<(), String> {
    f(schema)?;
    for key in ["properties", "$defs", "definitions"] {
        for s in schema
            .get(key)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            walk(s.1, f)?;
        }
    }
    for key in ["anyOf", "allOf", "oneOf"] {
        for s in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk(s, f)?;
        }
    }
    if let Some(items) = schema.get("items") {
        walk(items, f)?;
    }
    Ok(())
}
