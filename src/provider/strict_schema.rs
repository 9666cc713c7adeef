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

use super::schema_subset::{
    children, closed_and_local, is_object, object, SchemaIssue, Subset, SHARED_KEYWORDS,
};
use serde_json::{Map, Value};

/// Keywords strict mode takes besides [`SHARED_KEYWORDS`]: value constraints it enforces.
const STRICT_KEYWORDS: &[&str] = &[
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
pub(super) fn violation(schema: &Value) -> Option<SchemaIssue> {
    let Some(root) = schema.as_object() else {
        return Some(SchemaIssue::NotAnObject);
    };
    if root.contains_key("anyOf") || root.get("type") != Some(&Value::from("object")) {
        return Some(SchemaIssue::RootNotObject(Subset::OpenAiStrict));
    }
    check(schema, "").err()
}

fn check(schema: &Value, at: &str) -> Result<(), SchemaIssue> {
    let o = object(schema, at)?;
    let taken = |k: &str| SHARED_KEYWORDS.contains(&k) || STRICT_KEYWORDS.contains(&k);
    if let Some(k) = o.keys().find(|k| !taken(k)) {
        return Err(SchemaIssue::Unsupported {
            keyword: k.clone(),
            at: at.to_string(),
            subset: Subset::OpenAiStrict,
        });
    }
    closed_and_local(o, at, "#")?;
    if is_object(o) {
        every_property_required(o, at)?;
    }
    if o.get("items").is_some_and(|items| !items.is_object()) {
        return Err(SchemaIssue::ItemsNotOneSchema(at.to_string()));
    }
    children(o, at, &["anyOf"])
        .into_iter()
        .try_for_each(|(child, path)| check(child, &path))
}

/// Strict mode has no optional properties: every one is listed in `required`.
fn every_property_required(o: &Map<String, Value>, at: &str) -> Result<(), SchemaIssue> {
    let required: Vec<&str> = o
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let props = o.get("properties").and_then(Value::as_object);
    match props
        .into_iter()
        .flat_map(|p| p.keys())
        .find(|k| !required.contains(&k.as_str()))
    {
        Some(k) => Err(SchemaIssue::Optional {
            key: k.clone(),
            at: at.to_string(),
        }),
        None => Ok(()),
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
            let why = violation(&s).map(|e| e.to_string()).unwrap_or_default();
            assert!(why.contains(expected), "{pointer}: {why}");
        }
        let mut nested = strict();
        nested["$defs"]["n"] = json!({"type": "object", "properties": {"x": {}}});
        let why = violation(&nested)
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(why.contains("/$defs/n"), "{why}");
        assert!(violation(&json!({"anyOf": [strict()]})).is_some());
        let mut remote = strict();
        remote["properties"]["a"] = json!({"$ref": "https://example.com/s.json"});
        let why = violation(&remote)
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(why.contains("not local"), "{why}");
    }
}
