//! What an untrusted project layer may do: only tighten. A repository's `.reins/config.toml`
//! arrives with the code, from whoever wrote it, and the agent's own commands may have written it
//! (when `.reins/` did not exist to be protected). Until the user trusts the workspace, the layer
//! may only add entries to the restrictive lists ([`APPENDABLE`]); its entries are appended to
//! what the lower layers hold, so it can never empty or replace the user's rules. Every other key
//! (models, routers, limits, retries, compaction, providers, the sandbox, ...) is refused and
//! named in a warning. An allow-list rather than a list of sensitive keys, so that a key added to
//! the schema later is refused until someone decides it is harmless.

use std::collections::BTreeMap;

/// The dotted keys an untrusted layer may add entries to.
pub const APPENDABLE: &[&str] = &[
    "permissions.deny",
    "permissions.ask",
    "permissions.protected",
];

/// What was taken from an untrusted layer and what was refused, for warnings and `config show`.
#[derive(Debug, Clone, Default)]
pub struct UntrustedReport {
    /// The layer's label (its file path).
    pub file: String,
    /// Dotted key → the entries appended to it.
    pub added: BTreeMap<String, Vec<String>>,
    /// Dotted keys ignored, and entries refused (`permissions.deny entry "x": why`).
    pub refused: Vec<String>,
}

impl UntrustedReport {
    /// The warning naming what was ignored, if anything was.
    pub fn warning(&self) -> Option<String> {
        (!self.refused.is_empty()).then(|| {
            format!(
                "ignored from {} (this workspace is not trusted, so its config may only add deny, ask and protected entries): {}; review the file and run `reins trust` in the workspace to apply it",
                self.file,
                self.refused.join(", ")
            )
        })
    }
}

/// Reduces an untrusted `layer` to the lists it may extend, each holding what `below` (the
/// lower layers merged) already has followed by the layer's new valid entries.
pub fn restrict(
    file: &str,
    layer: &toml::Table,
    below: &toml::Table,
) -> (toml::Table, UntrustedReport) {
    let mut report = UntrustedReport {
        file: file.to_string(),
        ..UntrustedReport::default()
    };
    let mut out = toml::Table::new();
    for (key, value) in super::leaves::leaves(layer, "") {
        if !APPENDABLE.contains(&key.as_str()) {
            report.refused.push(key);
            continue;
        }
        let mut list = strings(lookup(below, &key));
        let mut added = Vec::new();
        for entry in strings(Some(value)) {
            match check_entry(&key, &entry) {
                Err(why) => report
                    .refused
                    .push(format!("{key} entry {entry:?} ({why})")),
                Ok(()) if list.contains(&entry) => {}
                Ok(()) => {
                    list.push(entry.clone());
                    added.push(entry);
                }
            }
        }
        if !added.is_empty() {
            insert(&mut out, &key, list);
            report.added.insert(key, added);
        }
    }
    (out, report)
}

/// Why an untrusted layer's list entry is left out.
#[derive(Debug, thiserror::Error)]
enum EntryError {
    #[error("a protected path must be relative to the workspace, without `..`")]
    ProtectedOutside,
    #[error(transparent)]
    BadRule(#[from] crate::sandbox::SandboxError),
}

/// Whether an entry is well formed: a rule that parses (a malformed one would make every start
/// in the workspace fail), or a protected path inside the workspace.
fn check_entry(key: &str, entry: &str) -> Result<(), EntryError> {
    if key == "permissions.protected" {
        let p = std::path::Path::new(entry);
        let inside = p.is_relative()
            && p.components().all(|c| {
                matches!(
                    c,
                    std::path::Component::Normal(_) | std::path::Component::CurDir
                )
            });
        return if inside && !entry.trim().is_empty() {
            Ok(())
        } else {
            Err(EntryError::ProtectedOutside)
        };
    }
    let one = [entry.to_string()];
    crate::sandbox::Rules::parse(&[], &one, &[])?;
    Ok(())
}

fn lookup<'a>(table: &'a toml::Table, dotted: &str) -> Option<&'a toml::Value> {
    let mut parts = dotted.split('.');
    let mut cur = table.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_table()?.get(p)?;
    }
    Some(cur)
}

fn strings(value: Option<&toml::Value>) -> Vec<String> {
    value
        .and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn insert(table: &mut toml::Table, dotted: &str, list: Vec<String>) {
    let Some((parent, last)) = dotted.rsplit_once('.') else {
        table.insert(dotted.to_string(), list.into());
        return;
    };
    let inner = table
        .entry(parent.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(t) = inner {
        t.insert(last.to_string(), list.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn appends_to_restrictive_lists_and_refuses_everything_else() {
        let below = table("[permissions]\ndeny = [\"shell(rm*)\"]\nask = [\"shell(git push*)\"]\n");
        let layer = table(
            "model = \"x\"\nmax_steps = 1\n[retry]\nmax_tries = 99\n[permissions]\ndeny = []\nask = [\"shell(curl*)\", \"shell(git push*)\"]\nallow = [\"shell\"]\nprotected = [\"../x\", \"db/\"]\n",
        );
        let (out, report) = restrict("f", &layer, &below);
        assert_eq!(
            out.to_string(),
            "[permissions]\nask = [\"shell(git push*)\", \"shell(curl*)\"]\nprotected = [\"db/\"]\n"
        );
        assert_eq!(report.added["permissions.ask"], ["shell(curl*)"]);
        let refused = report.refused.join("; ");
        for key in [
            "model",
            "max_steps",
            "retry.max_tries",
            "permissions.allow",
            "\"../x\"",
        ] {
            assert!(refused.contains(key), "{key} not refused: {refused}");
        }
        assert!(report.warning().unwrap().contains("max_steps"));
    }

    #[test]
    fn a_malformed_rule_is_refused_not_fatal() {
        let (out, report) = restrict(
            "f",
            &table("[permissions]\ndeny = [\"shell(\"]\n"),
            &toml::Table::new(),
        );
        assert!(out.is_empty());
        assert!(
            report.refused[0].contains("permissions.deny entry"),
            "{report:?}"
        );
    }
}
