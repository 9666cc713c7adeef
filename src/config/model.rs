//! Turning a model reference (`-m`, `model = …`) into everything a provider client needs.

use super::layers::ConfigError;
use super::prices::Prices;
use super::schema::{Config, ModelConfig, ProviderKind, ThinkingMode};
use crate::types::Effort;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// How to reach one model.
#[derive(Debug, Clone)]
pub struct ResolvedModel {
    /// The name reins shows: the `[models.*]` key, `provider/id`, or `replay:PATH`.
    pub label: String,
    pub endpoint: Endpoint,
    pub wire_name: String,
    pub context_window: Option<u64>,
    pub max_output_tokens: Option<u64>,
    pub prices: Option<Prices>,
    pub capabilities: Capabilities,
    /// The configured effort; a session's `--effort` or the router may override it per request.
    pub effort: Option<Effort>,
    /// Every `[models.*]` key of the config it came from, for an error that must name the
    /// alternatives (a model id the provider does not know).
    pub configured: Vec<String>,
}

/// What a model can do, from its `[models.*]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub tools: bool,
    pub vision: bool,
    /// An OpenAI reasoning model (Responses `reasoning` parameter, encrypted reasoning replayed).
    pub reasoning: bool,
    /// A Claude model that thinks, and how it is asked to.
    pub thinking: Option<ThinkingMode>,
    /// Native structured output: a final-answer JSON Schema goes with the request.
    pub structured_output: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            tools: true,
            vision: false,
            reasoning: false,
            thinking: None,
            structured_output: false,
        }
    }
}

impl Capabilities {
    pub(super) fn of(m: &ModelConfig) -> Self {
        Capabilities {
            tools: m.tools.unwrap_or(true),
            vision: m.vision.unwrap_or(false),
            reasoning: m.reasoning.unwrap_or(false),
            thinking: m.thinking,
            structured_output: m.structured_output.unwrap_or(false),
        }
    }
}

impl ResolvedModel {
    /// The provider's name in the config (`replay` for a replay file).
    pub fn provider(&self) -> &str {
        match &self.endpoint {
            Endpoint::Http { provider, .. } => provider,
            Endpoint::Replay(_) => "replay",
        }
    }

    /// The environment variable its API key comes from, if it uses one.
    pub fn api_key_env(&self) -> Option<&str> {
        match &self.endpoint {
            Endpoint::Http { api_key_env, .. } => api_key_env.as_deref(),
            Endpoint::Replay(_) => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Endpoint {
    Http {
        kind: ProviderKind,
        provider: String,
        base_url: String,
        api_key: Option<String>,
        /// The variable the key was read from, for messages (a 401 names it).
        api_key_env: Option<String>,
        headers: BTreeMap<String, String>,
        timeout_s: u64,
    },
    Replay(PathBuf),
}

/// How to configure a model, naming the user's real config file (`$REINS_HOME/config.toml`).
fn setup_help(env: &dyn Fn(&str) -> Option<String>) -> String {
    let home = env("REINS_HOME")
        .filter(|h| !h.is_empty())
        .or_else(|| env("HOME").map(|h| format!("{}/.reins", h.trim_end_matches('/'))))
        .unwrap_or_else(|| "$REINS_HOME".to_string());
    format!(
        "no model is configured. Do one of:\n  \
export ANTHROPIC_API_KEY=...   (or OPENAI_API_KEY=...)\n  \
reins exec -m ollama/qwen2.5-coder \"...\"   (a local Ollama server; any OpenAI-compatible server works via [providers.NAME] in config)\n  \
set `model = \"NAME\"` and a [models.NAME] table in {home}/config.toml or .reins/config.toml\n  \
reins exec --model replay:examples/replays/fix-calc.json ...   (scripted turns, no key)"
    )
}

/// Resolves `requested` (or the configured default, or a pick from the keys in `env`) to a model.
pub fn resolve_model(
    config: &Config,
    requested: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ResolvedModel, ConfigError> {
    let reference = match requested {
        Some(r) => r.to_string(),
        None if !config.model.is_empty() => config.model.clone(),
        None => picked_from_keys(env)
            .map(|(model, _)| model)
            .ok_or_else(|| ConfigError::Incomplete(setup_help(env)))?,
    };
    if let Some(path) = reference.strip_prefix("replay:") {
        return Ok(ResolvedModel {
            label: reference.clone(),
            endpoint: Endpoint::Replay(PathBuf::from(path)),
            wire_name: "replay".into(),
            context_window: None,
            max_output_tokens: None,
            prices: None,
            capabilities: Capabilities::default(),
            effort: None,
            configured: config.models.keys().cloned().collect(),
        });
    }
    let (provider, model) = lookup(config, &reference)?;
    let endpoint = endpoint(config, &provider, env)?;
    Ok(ResolvedModel {
        label: reference.clone(),
        endpoint,
        wire_name: model.name.clone().unwrap_or_else(|| reference.clone()),
        context_window: model.context_window,
        max_output_tokens: model.max_output_tokens,
        prices: prices(&model).or_else(|| {
            let wire = model.name.as_deref().unwrap_or(&reference);
            super::prices::lookup(wire)
        }),
        capabilities: Capabilities::of(&model),
        effort: model.effort,
        configured: config.models.keys().cloned().collect(),
    })
}

/// The model picked when none is configured, and the variable whose being set picked it.
pub fn picked_from_keys(env: &dyn Fn(&str) -> Option<String>) -> Option<(String, &'static str)> {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    if set("ANTHROPIC_API_KEY") {
        Some(("claude-opus-5-5".into(), "ANTHROPIC_API_KEY"))
    } else if set("OPENAI_API_KEY") {
        Some(("gpt-5-5".into(), "OPENAI_API_KEY"))
    } else {
        None
    }
}

/// A `[models.*]` key, or `PROVIDER/MODEL-ID` for a model the config does not list.
fn lookup(config: &Config, reference: &str) -> Result<(String, ModelConfig), ConfigError> {
    if let Some(m) = config.models.get(reference) {
        let provider = m.provider.clone().ok_or_else(|| {
            ConfigError::Incomplete(format!(
                "[models.{reference}] has no `provider`; set one of: {}",
                names(config)
            ))
        })?;
        return Ok((provider, m.clone()));
    }
    if let Some((provider, id)) = reference.split_once('/') {
        if config.providers.contains_key(provider) {
            // A listed model with the same wire id keeps its prices and window.
            let known = config
                .models
                .values()
                .find(|m| m.provider.as_deref() == Some(provider) && m.name.as_deref() == Some(id));
            let mut m = known.cloned().unwrap_or_default();
            m.name = Some(id.to_string());
            return Ok((provider.to_string(), m));
        }
    }
    let models: Vec<&str> = config.models.keys().map(String::as_str).collect();
    Err(ConfigError::Incomplete(format!(
        "unknown model `{reference}`: use a [models.*] key ({}) or PROVIDER/MODEL-ID with a provider of: {}",
        models.join(", "),
        names(config)
    )))
}

fn names(config: &Config) -> String {
    config
        .providers
        .keys()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}

fn endpoint(
    config: &Config,
    provider: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Endpoint, ConfigError> {
    let p = config.providers.get(provider).ok_or_else(|| {
        ConfigError::Incomplete(format!(
            "unknown provider `{provider}`; configured: {}",
            names(config)
        ))
    })?;
    let base_url = p.base_url.clone().ok_or_else(|| {
        ConfigError::Incomplete(format!("[providers.{provider}] has no `base_url`"))
    })?;
    let key_env = p.api_key_env.clone().unwrap_or_default();
    let api_key = if key_env.is_empty() {
        None
    } else {
        Some(env(&key_env).filter(|v| !v.is_empty()).ok_or_else(|| {
            ConfigError::Incomplete(format!(
                "provider `{provider}` needs an API key in ${key_env}: export {key_env}=... (or set api_key_env = \"\" for a server without keys)"
            ))
        })?)
    };
    Ok(Endpoint::Http {
        kind: p.kind.unwrap_or_default(),
        provider: provider.to_string(),
        base_url: base_url.trim_end_matches('/').to_string(),
        api_key,
        api_key_env: (!key_env.is_empty()).then(|| key_env.clone()),
        headers: p.headers.clone(),
        timeout_s: p.timeout_s.unwrap_or(600),
    })
}

/// Prices from a `[models.*]` table; unset cache prices are the input price (no discount or
/// surcharge is invented).
pub(super) fn prices(m: &ModelConfig) -> Option<Prices> {
    let input = m.input_price?;
    let output = m.output_price?;
    Some(Prices {
        input,
        cached_input: m.cached_input_price.unwrap_or(input),
        cache_write: m.cache_write_price.unwrap_or(input),
        output,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load, LoadOptions};

    fn cfg() -> Config {
        load(&LoadOptions::default()).unwrap().config
    }

    #[test]
    fn no_keys_and_no_model_explains_setup() {
        let err = resolve_model(&cfg(), None, &|_| None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ANTHROPIC_API_KEY") && err.contains("ollama"),
            "{err}"
        );
    }

    #[test]
    fn anthropic_key_picks_a_claude_model() {
        let env = |k: &str| (k == "ANTHROPIC_API_KEY").then(|| "sk-ant".to_string());
        let m = resolve_model(&cfg(), None, &env).unwrap();
        assert_eq!(m.wire_name, "claude-opus-5-5");
        assert_eq!(m.capabilities.thinking, Some(ThinkingMode::Adaptive));
        let p = m.prices.unwrap();
        assert_eq!((p.cached_input, p.cache_write), (0.20, 5.00));
    }

    #[test]
    fn provider_slash_id_reaches_an_unlisted_model_without_key() {
        let m = resolve_model(&cfg(), Some("ollama/qwen2.5-coder"), &|_| None).unwrap();
        assert_eq!(m.wire_name, "qwen2.5-coder");
        assert!(m.prices.is_none());
        let Endpoint::Http {
            api_key, base_url, ..
        } = m.endpoint
        else {
            panic!()
        };
        assert!(api_key.is_none());
        assert_eq!(base_url, "http://localhost:11434/v1");
    }

    #[test]
    fn missing_key_names_the_variable() {
        let err = resolve_model(&cfg(), Some("gpt-4-1"), &|_| None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("OPENAI_API_KEY"), "{err}");
    }

    #[test]
    fn cost_counts_cached_tokens_at_their_price() {
        let p = Prices {
            input: 1.0,
            cached_input: 0.1,
            cache_write: 1.0,
            output: 2.0,
        };
        let c = p.cost(1_000_000, 500_000, 0, 1_000_000);
        assert!((c - 2.55).abs() < 1e-9, "{c}");
    }
}
