//! What Claude's structured outputs can take of a schema (Anthropic's "JSON Schema limitations"):
//! the basic types, `enum` of plain values, `const`, `anyOf`, `allOf`, local `$ref`s into
//! `$defs`/`definitions`, `default`, `required`, `additionalProperties: false` on every object,
//! some string `format`s, and `minItems` of 0 or 1. Recursive schemas, external `$ref`s and other
//! `additionalProperties` are refused; so is any keyword not listed here.
//!
//! Value constraints the decoder does not enforce (`minimum`, `maxLength`, `maxItems`, …) are
//! dropped from the copy sent, as Anthropic's own SDKs do: every answer meeting the full schema
//! still meets the copy, and reins validates the answer against the full schema anyway.

use super::schema_subset::{closed_and_local, object, SchemaIssue, Subset, SHARED_KEYWORDS};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Kept as written, besides [`SHARED_KEYWORDS`].
const KEPT: &[&str] = &["const", "allOf", "default"];

/// Dropped from the copy sent (the decoder does not enforce them; validation does).
const DROPPED: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// String formats the decoder knows; others are dropped.
const FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "uri",
    "ipv4",
    "ipv6",
    "uuid",
];

/// The schema to send and the keywords left out of it, or why it cannot be sent at all.
pub(super) fn adapt(schema: &Value) -> Result<(Value, BTreeSet<String>), SchemaIssue> {
    if schema.get("type") != Some(&Value::from("object")) {
        return Err(SchemaIssue::RootNotObject(Subset::Claude));
    }
    if let Some(name) = recursive_def(schema) {
        return Err(SchemaIssue::Recursive(name));
    }
    let mut removed = BTreeSet::new();
    let sent = walk(schema, "", &mut removed)?;
    Ok((sent, removed))
}

fn walk(schema: &Value, at: &str, removed: &mut BTreeSet<String>) -> Result<Value, SchemaIssue> {
    let mut out = Map::new();
    for (k, v) in object(schema, at)? {
        let keep = match k.as_str() {
            "minItems" => v.as_u64().is_some_and(|n| n <= 1),
            "format" => v.as_str().is_some_and(|f| FORMATS.contains(&f)),
            k if DROPPED.contains(&k) => false,
            k if SHARED_KEYWORDS.contains(&k) || KEPT.contains(&k) => true,
            _ => {
                return Err(SchemaIssue::Unsupported {
                    keyword: k.clone(),
                    at: at.to_string(),
                    subset: Subset::Claude,
                })
            }
        };
        if !keep {
            removed.insert(k.clone());
            continue;
        }
        out.insert(k.clone(), sub(k, v, at, removed)?);
    }
    closed_and_local(&out, at, "#/")?;
    plain_enum(&out, at)?;
    Ok(Value::Object(out))
}

/// A keyword's value, with its subschemas adapted.
fn sub(k: &str, v: &Value, at: &str, removed: &mut BTreeSet<String>) -> Result<Value, SchemaIssue> {
    Ok(match (k, v) {
        ("properties" | "$defs" | "definitions", Value::Object(m)) => {
            let mut out = Map::new();
            for (name, s) in m {
                out.insert(name.clone(), walk(s, &format!("{at}/{k}/{name}"), removed)?);
            }
            Value::Object(out)
        }
        ("anyOf" | "allOf", Value::Array(list)) => Value::Array(
            list.iter()
                .enumerate()
                .map(|(i, s)| walk(s, &format!("{at}/{k}/{i}"), removed))
                .collect::<Result<_, _>>()?,
        ),
        ("items", s) => walk(s, &format!("{at}/items"), removed)?,
        _ => v.clone(),
    })
}

/// `enum`s of plain values only.
fn plain_enum(o: &Map<String, Value>, at: &str) -> Result<(), SchemaIssue> {
    let plain = |v: &Value| !v.is_object() && !v.is_array();
    match o.get("enum").and_then(Value::as_array) {
        Some(values) if !values.iter().all(plain) => {
            Err(SchemaIssue::EnumOfObjects(at.to_string()))
        }
        _ => Ok(()),
    }
}

/// A definition that reaches itself through `$ref`s, or a `$ref` to the root.
fn recursive_def(schema: &Value) -> Option<String> {
    let mut defs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for key in ["$defs", "definitions"] {
        for (name, s) in schema
            .get(key)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let mut refs = Vec::new();
            collect_refs(s, &mut refs);
            defs.insert(format!("#/{key}/{name}"), refs);
        }
    }
    let mut root_refs = Vec::new();
    collect_refs(schema, &mut root_refs);
    if root_refs.iter().any(|r| r == "#") {
        return Some("#".into());
    }
    defs.keys()
        .find(|start| reaches(&defs, start, start, &mut BTreeSet::new()))
        .cloned()
}

fn reaches(
    defs: &BTreeMap<String, Vec<String>>,
    from: &str,
    target: &str,
    seen: &mut BTreeSet<String>,
) -> bool {
    for r in defs.get(from).into_iter().flatten() {
        if r == target {
            return true;
        }
        if seen.insert(r.clone()) && reaches(defs, r, target, seen) {
            return true;
        }
    }
    false
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn value_constraints_are_dropped_and_named() {
        let s = json!({"type": "object", "additionalProperties": false, "required": ["t"],
                       "properties": {"t": {"type": "string", "maxLength": 9, "format": "email"},
                                      "n": {"type": "array", "minItems": 1, "maxItems": 5,
                                            "items": {"type": "integer", "minimum": 0}}}});
        let (sent, removed) = adapt(&s).unwrap();
        assert_eq!(
            sent,
            json!({"type": "object", "additionalProperties": false, "required": ["t"],
                   "properties": {"t": {"type": "string", "format": "email"},
                                  "n": {"type": "array", "minItems": 1,
                                        "items": {"type": "integer"}}}})
        );
        let removed: Vec<&str> = removed.iter().map(String::as_str).collect();
        assert_eq!(removed, ["maxItems", "maxLength", "minimum"]);
    }

    #[test]
    fn what_cannot_be_sent_says_why() {
        let open = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        let why = |s: &Value| adapt(s).unwrap_err().to_string();
        assert!(why(&open).contains("additionalProperties"));
        let one_of = json!({"type": "object", "additionalProperties": false,
                            "properties": {"a": {"oneOf": [{"type": "string"}]}}});
        assert!(why(&one_of).contains("`oneOf` at /properties/a"));
        let tree = json!({"type": "object", "additionalProperties": false,
                          "properties": {"root": {"$ref": "#/$defs/node"}},
                          "$defs": {"node": {"type": "object", "additionalProperties": false,
                                             "properties": {"kids": {"type": "array",
                                                 "items": {"$ref": "#/$defs/node"}}}}}});
        assert!(why(&tree).contains("recursive"));
        assert!(adapt(&json!({"type": "array"})).is_err());
    }
}
