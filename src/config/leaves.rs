//! A TOML table as its leaves: `(dotted.key, value)`, arrays and empty tables being leaves. What
//! `config show` prints and what the untrusted-layer check walks.

/// Every leaf of `table`, keys prefixed with `prefix` (empty at the top).
pub fn leaves<'a>(table: &'a toml::Table, prefix: &str) -> Vec<(String, &'a toml::Value)> {
    let mut out = Vec::new();
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) if !t.is_empty() => out.extend(leaves(t, &key)),
            other => out.push((key, other)),
        }
    }
    out
}
