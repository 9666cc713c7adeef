//! What the two schema subsets reins checks share (Claude's structured outputs in
//! [`super::claude_schema`], OpenAI's strict mode in [`super::strict_schema`]): the problems
//! each finds in a schema, named with their place (a JSON Pointer) so a user can fix the schema,
//! and the checks both make on every subschema.

use serde_json::{Map, Value};

/// The keywords both subsets take as written: the structure of a schema (types, properties,
/// items, `enum`, `anyOf`, local `$ref`s and their definitions), its annotations and strings'
/// `pattern`. Each subset adds its own ([`super::claude_schema`], [`super::strict_schema`]).
pub(super) const SHARED_KEYWORDS: &[&str] = &[
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
];

/// Which provider's subset a schema is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Subset {
    Claude,
    OpenAiStrict,
}

impl Subset {
    fn needs(self) -> &'static str {
        match self {
            Subset::Claude => "Claude's structured outputs need",
            Subset::OpenAiStrict => "strict mode needs",
        }
    }

    fn refuses(self) -> &'static str {
        match self {
            Subset::Claude => "not supported by Claude's structured outputs",
            Subset::OpenAiStrict => "outside strict mode's subset",
        }
    }
}

/// Why a schema is outside a subset; `at` is the JSON Pointer of the subschema (`""`: the
/// root, shown as `/`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum SchemaIssue {
    #[error("the schema is not an object")]
    NotAnObject,
    #[error("{} `\"type\": \"object\"` at the root", .0.needs())]
    RootNotObject(Subset),
    #[error("{} is a boolean schema", shown(.0))]
    BooleanSchema(String),
    #[error("`{keyword}` at {} is {}", shown(.at), .subset.refuses())]
    Unsupported {
        keyword: String,
        at: String,
        subset: Subset,
    },
    #[error("the object at {} does not set `additionalProperties: false`", shown(.0))]
    Open(String),
    #[error("the `$ref` at {} is not local", shown(.0))]
    RemoteRef(String),
    #[error(
        "`{key}` at {} is optional (strict mode needs every property in `required`)",
        shown(.at)
    )]
    Optional { key: String, at: String },
    #[error("`items` at {} is not one schema", shown(.0))]
    ItemsNotOneSchema(String),
    #[error("the `enum` at {} holds objects or arrays", shown(.0))]
    EnumOfObjects(String),
    #[error("the schema is recursive (through `{0}`)")]
    Recursive(String),
}

/// The subschema at `at` as an object; `true`/`false` schemas are in neither subset.
pub(super) fn object<'a>(
    schema: &'a Value,
    at: &str,
) -> Result<&'a Map<String, Value>, SchemaIssue> {
    schema
        .as_object()
        .ok_or_else(|| SchemaIssue::BooleanSchema(at.to_string()))
}

/// Whether `o` describes an object (by its `type`, or by having `properties`).
pub(super) fn is_object(o: &Map<String, Value>) -> bool {
    let typed = match o.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => false,
    };
    typed || o.contains_key("properties")
}

/// Both subsets take only closed objects (`additionalProperties: false`) and `$ref`s inside
/// the schema (starting with `local`: `#/` for Claude, `#` for OpenAI).
pub(super) fn closed_and_local(
    o: &Map<String, Value>,
    at: &str,
    local: &str,
) -> Result<(), SchemaIssue> {
    if is_object(o) && o.get("additionalProperties") != Some(&Value::Bool(false)) {
        return Err(SchemaIssue::Open(at.to_string()));
    }
    match o.get("$ref").and_then(Value::as_str) {
        Some(r) if !r.starts_with(local) => Err(SchemaIssue::RemoteRef(at.to_string())),
        _ => Ok(()),
    }
}

/// The subschemas of `o` with their JSON Pointers: each under `properties`, `$defs` and
/// `definitions`, each of the lists named in `lists` (`anyOf`, `allOf`), and `items` when it is
/// one schema.
pub(super) fn children<'a>(
    o: &'a Map<String, Value>,
    at: &str,
    lists: &[&str],
) -> Vec<(&'a Value, String)> {
    let mut out = Vec::new();
    for key in ["properties", "$defs", "definitions"] {
        for (name, s) in o.get(key).and_then(Value::as_object).into_iter().flatten() {
            out.push((s, format!("{at}/{key}/{name}")));
        }
    }
    for key in lists {
        let list = o.get(*key).and_then(Value::as_array).into_iter().flatten();
        for (i, s) in list.enumerate() {
            out.push((s, format!("{at}/{key}/{i}")));
        }
    }
    if let Some(s) = o.get("items").filter(|s| s.is_object()) {
        out.push((s, format!("{at}/items")));
    }
    out
}

/// A JSON Pointer as shown to the user: the root is `/`.
fn shown(at: &str) -> &str {
    if at.is_empty() {
        "/"
    } else {
        at
    }
}
