//! Loop detection: a model that makes the same tool call over and over is stuck, and a stronger
//! model (or a rule) is the cheapest way out. Arguments are compared in canonical JSON so key order
//! and whitespace do not hide a repeat.

use serde_json::Value;

/// Identical calls in a row that count as a loop.
pub const LOOP_REPEATS: u32 = 3;

/// Remembers the last call and how many times in a row it was made.
#[derive(Debug, Clone, Default)]
pub struct LoopDetector {
    last: String,
    repeats: u32,
}

impl LoopDetector {
    pub fn new() -> Self {
        LoopDetector::default()
    }

    /// Records a call (raw argument text as the model wrote it) and says whether it is the
    /// [`LOOP_REPEATS`]th or later identical call in a row.
    pub fn observe(&mut self, name: &str, args: &str) -> bool {
        let key = format!("{name}\0{}", canonical_json(args));
        if key == self.last {
            self.repeats = self.repeats.saturating_add(1);
        } else {
            self.last = key;
            self.repeats = 1;
        }
        self.repeats >= LOOP_REPEATS
    }

    /// Forgets the history, e.g. when the user sends a new message.
    pub fn reset(&mut self) {
        self.last.clear();
        self.repeats = 0;
    }
}

/// JSON with object keys sorted and no whitespace; text that is not JSON is only trimmed, since a
/// malformed call repeated verbatim is still a repeat.
pub fn canonical_json(raw: &str) -> String {
    match serde_json::from_str::<Value>(raw) {
        Ok(v) => {
            let mut out = String::with_capacity(raw.len());
            write_canonical(&v, &mut out);
            out
        }
        Err(_) => raw.trim().to_string(),
    }
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(val, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        assert_eq!(
            canonical_json(r#"{ "b": [1, {"d":2, "c":3}], "a": "x" }"#),
            r#"{"a":"x","b":[1,{"c":3,"d":2}]}"#
        );
        assert_eq!(canonical_json("  not json "), "not json");
    }
}
