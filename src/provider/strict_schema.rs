//! Whether a schema is inside OpenAI's strict mode subset (Structured Outputs guide, "Supported
//! schemas"): the root is an object (not `anyOf`); every object sets `additionalProperties:
//! false` and lists every property in `required`; `$ref`s are local; and only these keywords
//! appear: the types, `enum`, `anyOf`, `$ref`/`$defs`/`definitions`, `description`/`title`,
//! strings' `pattern` and `format`, numbers' `minimum`/`maximum`/`exclusiveMinimum`/
//! `exclusiveMaximum`/`multipleOf`, arrays' `items`, `minItems` and `maxItems`.
//!
//! The check errs towards "not strict": a keyword the guide does not list (`minLength`,
//! `const`, `allOf`, `oneOf`, `not`, `if`…) makes the schema go non-strict, which the API
//! accepts for any schema, rather than risk a strict request it refuses. The size limits
//! (properties, nesting, enum values) are left to the API: a refusal drops the native format
//! for the session (see the agent's answer-format step).

use serde_json::{Map, Value};

/// Keywords strict mode takes.
const STRICT_KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "anyOf",
    "$ref",
    "$defs",
    "definitions",
    "description",
    "title",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
];

/// Why `schema` cannot go strict, or `None` when it can.
pub(super) fn violation(schema: &Value) -> Option<String> {
    let Some(root) = schema.as_object() else {
        return Some("the schema is not an object".into());
    };
    if root.contains_key("anyOf") || root.get("type") != Some(&Value::from("object")) {
        return Some("strict mode needs `\"type\": \"object\"` at the root".into());
    }
    check(schema, "")
}

fn check(schema: &Value, at: &str) -> Option<String> {
    let Some(o) = schema.as_object() else {
        return Some(format!("{} is a boolean schema", shown(at)));
    };
    if let Some(k) = o.keys().find(|k| !STRICT_KEYWORDS.contains(&k.as_str())) {
        return Some(format!(
            "`{k}` at {} is outside strict mode's subset",
            shown(at)
        ));
    }
    if let Some(r) = o.get("$ref").and_then(Value::as_str) {
        if !r.starts_with('#') {
            return Some(format!("the `$ref` at {} is not local", shown(at)));
        }
    }
    if is_object(o) {
        if let Some(why) = object_rules(o, at) {
            return Some(why);
        }
    }
    if let Some(items) = o.get("items") {
        if !items.is_object() {
            return Some(format!("`items` at {} is not one schema", shown(at)));
        }
    }
    children(o, at)
        .into_iter()
        .find_map(|(child, path)| check(child, &path))
}

fn is_object(o: &Map<String, Value>) -> bool {
    let typed = match o.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => false,
    };
    typed || o.contains_key("properties")
}

/// `additionalProperties: false` and every property required.
fn object_rules(o: &Map<String, Value>, at: &str) -> Option<String> {
    if o.get("additionalProperties") != Some(&Value::Bool(false)) {
        return Some(format!(
            "the object at {} does not set `additionalProperties: false`",
            shown(at)
        ));
    }
    let required: Vec<&str> = o
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let props = o.get("properties").and_then(Value::as_object);
    let optional = props
        .into_iter()
        .flat_map(|p| p.keys())
        .find(|k| !required.contains(&k.as_str()));
    optional.map(|k| {
        format!(
            "`{k}` at {} is optional (strict mode needs every property in `required`)",
            shown(at)
        )
    })
}

/// The subschemas of `o`, with their JSON Pointers.
fn children<'a>(o: &'a Map<String, Value>, at: &str) -> Vec<(&'a Value, String)> {
    let mut out = Vec::new();
    for key in ["properties", "$defs", "definitions"] {
        for (name, s) in o.get(key).and_then(Value::as_object).into_iter().flatten() {
            out.push((s, format!("{at}/{key}/{name}")));
        }
    }
    for (i, s) in o
        .get("anyOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        out.push((s, format!("{at}/anyOf/{i}")));
    }
    if let Some(s) = o.get("items").filter(|s| s.is_object()) {
        out.push((s, format!("{at}/items")));
    }
    out
}

fn shown(at: &str) -> &str {
    if at.is_empty() {
        "/"
    } else {
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strict() -> Value {
        json!({"type": "object", "required": ["a", "b"], "additionalProperties": false,
               "properties": {"a": {"type": "string", "description": "x"},
                              "b": {"type": "array", "maxItems": 3,
                                    "items": {"$ref": "#/$defs/n"}}},
               "$defs": {"n": {"type": ["integer", "null"], "minimum": 0}}})
    }

    #[test]
    fn a_closed_fully_required_schema_is_strict() {
        assert_eq!(violation(&strict()), None);
    }

    #[test]
    fn each_broken_rule_is_named_with_its_place() {
        let cases = [
            ("/properties/a/minLength", "`minLength` at /properties/a"),
            (
                "/additionalProperties",
                "does not set `additionalProperties: false`",
            ),
            ("/required", "`a` at / is optional"),
        ];
        for (pointer, expected) in cases {
            let mut s = strict();
            match pointer {
                "/properties/a/minLength" => s["properties"]["a"]["minLength"] = json!(1),
                "/additionalProperties" => s["additionalProperties"] = json!(true),
                _ => s["required"] = json!(["b"]),
            }
            let why = violation(&s).unwrap_or_default();
            assert!(why.contains(expected), "{pointer}: {why}");
        }
        let mut nested = strict();
        nested["$defs"]["n"] = json!({"type": "object", "properties": {"x": {}}});
        let why = violation(&nested).unwrap_or_default();
        assert!(why.contains("/$defs/n"), "{why}");
        assert!(violation(&json!({"anyOf": [strict()]})).is_some());
        let mut remote = strict();
        remote["properties"]["a"] = json!({"$ref": "https://example.com/s.json"});
        assert!(violation(&remote).unwrap_or_default().contains("not local"));
    }
}
