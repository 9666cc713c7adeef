//! A tool's arguments as one Rust type: the schema the model is shown is derived from it, and a
//! call is checked against that same schema before it is decoded, so the two cannot drift apart.
//!
//! Every tool declares its arguments as
//!
//! ```ignore
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct Args {
//!     /// Line count (the doc comment is the description the model reads: keep it short).
//!     #[schemars(range(min = 1, max = 10_000))]
//!     limit: Option<usize>,
//! }
//! ```
//!
//! returns [`schema_for::<Args>()`](schema_for) from `Tool::parameters` and decodes with
//! [`parse_args`]. Unknown fields are refused rather than ignored (a misspelled `max_result`
//! silently dropped would leave the model wondering why its limit had no effect), and the bounds
//! a `range` states are enforced with a message naming the argument.

use super::ToolError;
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The argument schema of `T` as tools send it to the model: a plain object schema with
/// `type`, `properties`, `required`, `description`, `enum`, `minimum`, `maximum` and
/// `additionalProperties`, which OpenAI (Chat Completions and Responses, non-strict) and
/// Anthropic accept as they are. What schemars adds for its own use is dropped: `$schema`,
/// titles, integer `format`s (`uint`, which no provider knows), references (subschemas are
/// inlined), and the `null` an `Option` field allows (an optional argument is one that is not
/// `required`; a `null` sent for it is treated as absent).
pub fn schema_for<T: JsonSchema>() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.meta_schema = None;
    settings.inline_subschemas = true;
    let mut schema = settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    if let Value::Object(top) = &mut schema {
        // The tool's description (from `prompts/tools/`) says what the struct's doc would.
        top.remove("description");
        // A tool without arguments still declares an empty object, as providers expect.
        top.entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
    }
    compact(&mut schema);
    schema
}

/// Drops what schemars adds for itself, in every subschema.
fn compact(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    for key in ["$schema", "title", "format"] {
        map.remove(key);
    }
    // `"type": ["integer", "null"]` (an `Option`) becomes `"type": "integer"`.
    if let Some(Value::Array(types)) = map.get("type") {
        let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if let [only] = kept.as_slice() {
            map.insert("type".into(), only.clone());
        }
    }
    // `anyOf: [S, {"type": "null"}]` (an optional enum or struct) becomes S itself.
    if let Some(Value::Array(any)) = map.get("anyOf") {
        let kept: Vec<Value> = any
            .iter()
            .filter(|s| s.get("type").is_none_or(|t| t != "null"))
            .cloned()
            .collect();
        if let [Value::Object(only)] = kept.as_slice() {
            map.remove("anyOf");
            for (k, v) in only {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    // Enum values may include the `null` of an `Option`.
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    for (key, value) in map.iter_mut() {
        match key.as_str() {
            "properties" => {
                if let Value::Object(props) = value {
                    props.values_mut().for_each(compact);
                }
            }
            "items" | "additionalProperties" => compact(value),
            "anyOf" | "oneOf" | "allOf" => {
                if let Value::Array(subs) = value {
                    subs.iter_mut().for_each(compact);
                }
            }
            _ => {}
        }
    }
}

/// Parses `raw` as the tool's argument object. Empty text counts as `{}`.
///
/// Before decoding, each argument is checked against `T`'s schema, so an error names the
/// argument and says what it accepts: an unknown argument lists the known ones (with the
/// nearest as a suggestion), a wrong type or enum value says what was expected, and a number
/// outside the schema's `minimum`/`maximum` states the range. A `null` for an optional argument
/// counts as leaving it out (models write `"path": null` for "not given").
pub fn parse_args<T: DeserializeOwned + JsonSchema>(tool: &str, raw: &str) -> Result<T, ToolError> {
    let text = if raw.trim().is_empty() { "{}" } else { raw };
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ToolError(format!("the arguments of `{tool}` are not valid JSON ({e}); resend the call with a JSON object"))
    })?;
    let Value::Object(mut given) = value else {
        return Err(ToolError(format!(
            "the arguments of `{tool}` must be a JSON object, got: {text}"
        )));
    };
    let schema = schema_for::<T>();
    check(tool, &schema, &mut given)?;
    serde_json::from_value(Value::Object(given)).map_err(|e| {
        ToolError(format!(
            "bad arguments for `{tool}`: {e}; see the tool's schema and resend"
        ))
    })
}

/// Checks the top-level arguments against the schema (every tool's arguments are one flat
/// object) and removes the `null`s of optional ones. What it does not cover (a missing required
/// argument, nested values) is left to the decoder, whose message names the field too.
fn check(tool: &str, schema: &Value, given: &mut Map<String, Value>) -> Result<(), ToolError> {
    let empty = Map::new();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required = |name: &str| {
        schema
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|n| n == name))
    };
    given.retain(|name, v| !(v.is_null() && !required(name) && props.contains_key(name)));
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    for (name, value) in given.iter() {
        let Some(prop) = props.get(name) else {
            if closed {
                return Err(unknown(tool, name, props));
            }
            continue;
        };
        check_value(tool, name, prop, value)?;
    }
    Ok(())
}

fn unknown(tool: &str, name: &str, props: &Map<String, Value>) -> ToolError {
    if props.is_empty() {
        return ToolError(format!(
            "`{tool}` takes no arguments, got `{name}`; call it with {{}}"
        ));
    }
    let known: Vec<String> = props.keys().map(|k| format!("`{k}`")).collect();
    let nearest = props
        .keys()
        .map(|k| (strsim::jaro_winkler(name, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    ToolError(format!(
        "`{tool}` has no argument `{name}`{nearest}; it takes {}",
        known.join(", ")
    ))
}

/// One argument's type, enum membership and numeric range.
fn check_value(tool: &str, name: &str, prop: &Value, value: &Value) -> Result<(), ToolError> {
    let bad = |expected: String| {
        ToolError(format!(
            "argument `{name}` of `{tool}` must be {expected}, got {value}"
        ))
    };
    if let Some(kind) = prop.get("type").and_then(Value::as_str) {
        let fits = match kind {
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        };
        if !fits {
            return Err(bad(format!("{} {kind}", article(kind))));
        }
    }
    if let Some(Value::Array(allowed)) = prop.get("enum") {
        if !allowed.contains(value) {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            return Err(bad(format!("one of {}", list.join(", "))));
        }
    }
    let (lo, hi) = (prop.get("minimum"), prop.get("maximum"));
    let range = match (lo, hi) {
        (Some(lo), Some(hi)) => format!("between {lo} and {hi}"),
        (Some(lo), None) => format!("at least {lo}"),
        (None, Some(hi)) => format!("at most {hi}"),
        (None, None) => return Ok(()),
    };
    if let Some(n) = value.as_f64() {
        let below = lo.and_then(Value::as_f64).is_some_and(|m| n < m);
        let above = hi.and_then(Value::as_f64).is_some_and(|m| n > m);
        if below || above {
            return Err(bad(range));
        }
    }
    Ok(())
}

fn article(kind: &str) -> &'static str {
    match kind {
        "integer" | "array" | "object" => "an",
        _ => "a",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, JsonSchema, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct A {
        /// The file.
        path: String,
        #[schemars(range(min = 1, max = 20))]
        depth: Option<usize>,
        #[serde(default)]
        all: bool,
        mode: Option<Mode>,
    }

    #[derive(Deserialize, JsonSchema, Debug, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        Fast,
        Slow,
    }

    #[derive(Deserialize, JsonSchema, Debug)]
    #[serde(deny_unknown_fields)]
    struct Nothing {}

    #[test]
    fn malformed_json_is_explained() {
        let e = parse_args::<A>("read_file", "{\"path\": ").unwrap_err();
        assert!(e.0.contains("not valid JSON"), "{e}");
    }

    #[test]
    fn missing_field_is_named() {
        let e = parse_args::<A>("read_file", "{}").unwrap_err();
        assert!(e.0.contains("missing field `path`"), "{e}");
    }

    #[test]
    fn a_misspelled_argument_is_named_with_the_accepted_ones() {
        let e = parse_args::<A>("t", r#"{"path": "a", "dpeth": 3}"#).unwrap_err();
        assert_eq!(
            e.0,
            "`t` has no argument `dpeth` (did you mean `depth`?); it takes `path`, `depth`, `all`, `mode`"
        );
        let e = parse_args::<Nothing>("t", r#"{"x": 1}"#).unwrap_err();
        assert!(e.0.contains("takes no arguments, got `x`"), "{e}");
    }

    #[test]
    fn bounds_types_and_enums_are_enforced_with_the_argument_named() {
        let e = parse_args::<A>("t", r#"{"path": "a", "depth": 50}"#).unwrap_err();
        assert_eq!(
            e.0,
            "argument `depth` of `t` must be between 1 and 20, got 50"
        );
        let e = parse_args::<A>("t", r#"{"path": "a", "depth": 0}"#).unwrap_err();
        assert!(e.0.contains("between 1 and 20, got 0"), "{e}");
        let e = parse_args::<A>("t", r#"{"path": "a", "depth": "3"}"#).unwrap_err();
        assert_eq!(e.0, "argument `depth` of `t` must be an integer, got \"3\"");
        let e = parse_args::<A>("t", r#"{"path": 7}"#).unwrap_err();
        assert!(e.0.contains("`path` of `t` must be a string, got 7"), "{e}");
        let e = parse_args::<A>("t", r#"{"path": "a", "mode": "medium"}"#).unwrap_err();
        assert!(e.0.contains("one of \"fast\", \"slow\""), "{e}");
        let ok: A = parse_args("t", r#"{"path": "a", "depth": 20, "mode": "slow"}"#).unwrap();
        assert_eq!((ok.depth, ok.mode), (Some(20), Some(Mode::Slow)));
    }

    #[test]
    fn null_for_an_optional_argument_is_absent() {
        let a: A = parse_args("t", r#"{"path": "a", "depth": null, "all": null}"#).unwrap();
        assert_eq!((a.depth, a.all), (None, false));
        let e = parse_args::<A>("t", r#"{"path": null}"#).unwrap_err();
        assert!(
            e.0.contains("`path` of `t` must be a string, got null"),
            "{e}"
        );
    }

    #[test]
    fn the_schema_is_compact_and_states_the_bounds() {
        let s = schema_for::<A>();
        assert_eq!(
            s,
            serde_json::json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "The file."},
                    "depth": {"type": "integer", "minimum": 1, "maximum": 20},
                    "all": {"type": "boolean", "default": false},
                    "mode": {"type": "string", "enum": ["fast", "slow"]}
                },
                "required": ["path"],
                "additionalProperties": false
            })
        );
        assert_eq!(
            schema_for::<Nothing>(),
            serde_json::json!({"type": "object", "properties": {}, "additionalProperties": false})
        );
    }
}
