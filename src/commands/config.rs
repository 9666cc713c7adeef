//! `reins config show`: the effective configuration, each key with its source.

use crate::cli::{ConfigCommand, GlobalArgs};
use crate::frontend::{setup, ExitError};

pub fn run(cmd: ConfigCommand, global: GlobalArgs) -> Result<i32, ExitError> {
    let ConfigCommand::Show = cmd;
    let ws = setup::workspace(&global)?;
    println!("# workspace: {}", ws.root.display());
    for w in &ws.loaded.warnings {
        println!("# warning: {w}");
    }
    let mut leaves = Vec::new();
    flatten(&ws.loaded.merged, "", &mut leaves);
    let mut lines: Vec<(String, String)> = leaves
        .into_iter()
        .map(|(key, value)| {
            let source = ws
                .loaded
                .sources
                .get(&key)
                .map(String::as_str)
                .unwrap_or("?");
            let shown = if key.ends_with(".api_key_env") {
                describe_key_var(&value)
            } else {
                value
            };
            let line = format!(
                "{key} = {shown}    # {source}{}",
                untrusted_mark(&ws.loaded, &key)
            );
            (key, line)
        })
        .collect();
    let set = |key: &str, lines: &[(String, String)]| lines.iter().any(|(k, _)| k == key);
    for (key, value, note) in super::config_defaults::implied() {
        if !set(key, &lines) {
            lines.push((key.to_string(), format!("{key} = {value}    # {note}")));
        }
    }
    if ws.loaded.config.model.is_empty() {
        lines.retain(|(k, _)| k != "model");
        lines.push(("model".to_string(), picked_model_line()));
    }
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, line) in lines {
        println!("{line}");
    }
    if let Some(report) = &ws.loaded.untrusted {
        for refused in &report.refused {
            println!("# refused (untrusted {}): {refused}", report.file);
        }
    }
    Ok(0)
}

/// No `model` is configured: the one the API keys in the environment pick, and why.
fn picked_model_line() -> String {
    match crate::config::model::picked_from_keys(&|k| std::env::var(k).ok()) {
        Some((model, var)) => format!("model = {model:?}    # picked: {var} is set"),
        None => "model = \"\"    # default: none; set ANTHROPIC_API_KEY or OPENAI_API_KEY, or model = \"NAME\"".to_string(),
    }
}

/// What an untrusted project layer added to `key`, if anything.
fn untrusted_mark(loaded: &crate::config::Loaded, key: &str) -> String {
    let Some(added) = loaded.untrusted.as_ref().and_then(|r| r.added.get(key)) else {
        return String::new();
    };
    let quoted: Vec<String> = added.iter().map(|a| format!("{a:?}")).collect();
    format!(" (untrusted: only added {})", quoted.join(", "))
}

/// Shows whether the key variable is set, masking the key itself.
fn describe_key_var(value: &str) -> String {
    let var = value.trim_matches('"');
    if var.is_empty() {
        return value.to_string();
    }
    match std::env::var(var) {
        Ok(k) if !k.is_empty() => format!("{value} (set: {})", mask(&k)),
        _ => format!("{value} (not set)"),
    }
}

fn mask(key: &str) -> String {
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("****{tail}")
}

/// The leaves of `table` as `(dotted key, TOML text)`; empty tables say nothing and are left out.
pub(super) fn flatten(table: &toml::Table, prefix: &str, out: &mut Vec<(String, String)>) {
    let is_empty_table = |v: &toml::Value| v.as_table().is_some_and(|t| t.is_empty());
    out.extend(
        crate::config::leaves::leaves(table, prefix)
            .into_iter()
            .filter(|(_, v)| !is_empty_table(v))
            .map(|(k, v)| (k, v.to_string())),
    );
}
