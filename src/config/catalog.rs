//! The configured models as a list, for `reins models`: what each one is, what it costs and can
//! do, and whether the key it needs is set. Unlike [`super::resolve_model`], a missing key does not
//! fail here: saying which key is missing is the point.

use super::model::{picked_from_keys, prices, Capabilities};
use super::prices::Prices;
use super::schema::{Config, ProviderKind};

/// One `[models.*]` entry as `reins models` shows it.
#[derive(Debug, Clone)]
pub struct CatalogEntry {
    /// The `[models.*]` key (what `-m` takes).
    pub name: String,
    pub provider: String,
    /// The provider's wire protocol; `None` when the provider is not configured.
    pub kind: Option<ProviderKind>,
    /// The id sent on the wire.
    pub wire_name: String,
    pub context_window: Option<u64>,
    pub max_output_tokens: Option<u64>,
    /// From the table, else the built-in list price of the wire id; `None`: cost unknown.
    pub prices: Option<Prices>,
    pub capabilities: Capabilities,
    /// The variable the provider's key is read from; `None` for a server without keys.
    pub api_key_env: Option<String>,
    /// `api_key_env` names a variable that is unset or empty.
    pub key_missing: bool,
    /// The model a session starts on (`model = …`, else the one the set keys pick).
    pub default: bool,
}

/// Every `[models.*]` entry, in key order.
pub fn catalog(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> Vec<CatalogEntry> {
    let default = if config.model.is_empty() {
        picked_from_keys(env).map(|(m, _)| m)
    } else {
        Some(config.model.clone())
    };
    config
        .models
        .iter()
        .map(|(name, m)| {
            let provider = m.provider.clone().unwrap_or_default();
            let p = config.providers.get(&provider);
            let api_key_env = p
                .and_then(|p| p.api_key_env.clone())
                .filter(|v| !v.is_empty());
            let key_missing = api_key_env
                .as_deref()
                .is_some_and(|v| env(v).is_none_or(|k| k.is_empty()));
            let wire_name = m.name.clone().unwrap_or_else(|| name.clone());
            CatalogEntry {
                name: name.clone(),
                kind: p.map(|p| p.kind.unwrap_or_default()),
                provider,
                context_window: m.context_window,
                max_output_tokens: m.max_output_tokens,
                prices: prices(m).or_else(|| super::prices::lookup(&wire_name)),
                capabilities: Capabilities::of(m),
                api_key_env,
                key_missing,
                default: default.as_deref() == Some(name.as_str()),
                wire_name,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load, LoadOptions};

    #[test]
    fn built_in_catalog_names_the_missing_key_and_the_picked_default() {
        let cfg = load(&LoadOptions::default()).unwrap().config;
        let env = |k: &str| (k == "ANTHROPIC_API_KEY").then(|| "sk".to_string());
        let list = catalog(&cfg, &env);
        let gpt = list.iter().find(|e| e.name == "gpt-5-5").unwrap();
        assert!(gpt.key_missing);
        assert_eq!(gpt.api_key_env.as_deref(), Some("OPENAI_API_KEY"));
        assert!(gpt.capabilities.reasoning && gpt.capabilities.vision);
        let opus = list.iter().find(|e| e.name == "claude-opus-5-5").unwrap();
        assert!(!opus.key_missing && opus.default);
        assert_eq!(opus.prices.map(|p| p.cache_write), Some(5.00));
        let ollama_free = list
            .iter()
            .all(|e| e.provider != "ollama" || !e.key_missing);
        assert!(ollama_free);
    }
}
