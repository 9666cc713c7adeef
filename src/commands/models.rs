//! `reins models`: the configured models with their limits, prices and capabilities, and which
//! API key each one still needs, so picking `-m NAME` needs no trip to the config files.

use crate::cli::GlobalArgs;
use crate::config::catalog::{catalog, CatalogEntry};
use crate::config::ProviderKind;
use crate::frontend::{setup, ExitError};
use serde_json::json;

pub fn run(as_json: bool, global: GlobalArgs) -> Result<i32, ExitError> {
    let ws = setup::workspace(&global)?;
    for w in &ws.loaded.warnings {
        eprintln!("reins: warning: {w}");
    }
    let list = catalog(&ws.loaded.config, &|k| std::env::var(k).ok());
    if as_json {
        for e in &list {
            println!("{}", entry_json(e));
        }
        return Ok(0);
    }
    print!("{}", table(&list));
    let missing: Vec<&str> = list
        .iter()
        .filter(|e| e.key_missing)
        .filter_map(|e| e.api_key_env.as_deref())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !missing.is_empty() {
        println!(
            "\nmissing keys: {} (a model whose key is missing cannot be used until the key is exported)",
            missing.join(", ")
        );
    }
    println!(
        "prices: USD per million tokens; `-`: not known (cost is reported as null, never guessed)"
    );
    Ok(0)
}

const HEAD: [&str; 11] = [
    "",
    "MODEL",
    "PROVIDER",
    "CONTEXT",
    "OUTPUT",
    "INPUT",
    "CACHED",
    "CACHE-WRITE",
    "OUTPUT$",
    "CAPABILITIES",
    "KEY",
];

/// The text table, columns padded to their widest cell.
fn table(list: &[CatalogEntry]) -> String {
    let mut rows: Vec<Vec<String>> = vec![HEAD.iter().map(|s| s.to_string()).collect()];
    for e in list {
        let price = |f: fn(&crate::config::prices::Prices) -> f64| {
            e.prices.as_ref().map_or("-".to_string(), |p| money(f(p)))
        };
        rows.push(vec![
            if e.default { "*" } else { "" }.to_string(),
            e.name.clone(),
            provider(e),
            tokens(e.context_window),
            tokens(e.max_output_tokens),
            price(|p| p.input),
            price(|p| p.cached_input),
            price(|p| p.cache_write),
            price(|p| p.output),
            capabilities(e).join(","),
            key(e),
        ]);
    }
    let widths: Vec<usize> = (0..HEAD.len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join(" ").trim_end());
        out.push('\n');
    }
    out
}

fn entry_json(e: &CatalogEntry) -> serde_json::Value {
    json!({
        "model": e.name,
        "default": e.default,
        "provider": e.provider,
        "api": e.kind.map(kind_name),
        "wire_name": e.wire_name,
        "context_window": e.context_window,
        "max_output_tokens": e.max_output_tokens,
        "prices": e.prices.map(|p| json!({
            "input": p.input,
            "cached_input": p.cached_input,
            "cache_write": p.cache_write,
            "output": p.output,
        })),
        "capabilities": capabilities(e),
        "api_key_env": e.api_key_env,
        "key_missing": e.key_missing,
    })
}

fn kind_name(k: ProviderKind) -> &'static str {
    match k {
        ProviderKind::Openai => "chat-completions",
        ProviderKind::OpenaiResponses => "responses",
        ProviderKind::Anthropic => "anthropic-messages",
    }
}

/// `provider/wire-id`, or a note that the provider is not configured.
fn provider(e: &CatalogEntry) -> String {
    match e.kind {
        Some(_) => format!("{}/{}", e.provider, e.wire_name),
        None if e.provider.is_empty() => "(no provider)".to_string(),
        None => format!("{} (not configured)", e.provider),
    }
}

fn capabilities(e: &CatalogEntry) -> Vec<&'static str> {
    let c = e.capabilities;
    let mut out = Vec::new();
    if c.tools {
        out.push("tools");
    }
    if c.vision {
        out.push("vision");
    }
    if c.reasoning {
        out.push("reasoning");
    }
    if c.thinking.is_some() {
        out.push("thinking");
    }
    if c.structured_output {
        out.push("structured_output");
    }
    out
}

fn key(e: &CatalogEntry) -> String {
    match (&e.api_key_env, e.key_missing) {
        (None, _) => "none needed".to_string(),
        (Some(v), true) => format!("{v} missing"),
        (Some(v), false) => format!("{v} set"),
    }
}

/// 1050000 → `1.05M`, 200000 → `200K`, unknown → `-`.
fn tokens(n: Option<u64>) -> String {
    match n {
        None => "-".to_string(),
        Some(n) if n >= 1_000_000 => {
            let m = format!("{:.2}", n as f64 / 1e6);
            format!("{}M", m.trim_end_matches('0').trim_end_matches('.'))
        }
        Some(n) if n >= 1_000 && n % 1_000 == 0 => format!("{}K", n / 1_000),
        Some(n) => n.to_string(),
    }
}

/// Dollars with as many decimals as the price needs (0.075, 0.5, 30).
fn money(p: f64) -> String {
    let s = format!("{p:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("${s}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_counts_and_prices_read_short() {
        assert_eq!(tokens(Some(1_050_000)), "1.05M");
        assert_eq!(tokens(Some(1_000_000)), "1M");
        assert_eq!(tokens(Some(200_000)), "200K");
        assert_eq!(tokens(Some(1_047_576)), "1.05M");
        assert_eq!(tokens(None), "-");
        assert_eq!(money(0.075), "$0.075");
        assert_eq!(money(30.0), "$30");
    }
}
