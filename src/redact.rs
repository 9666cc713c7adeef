//! Keeping secrets out of what the model sees and what transcripts keep. Tool output is untrusted
//! and may echo a key (`env`, a config file, a stack trace); every tool result passes here first.

use regex::Regex;
use std::sync::OnceLock;

const MASK: &str = "[REDACTED]";

/// Replaces known key patterns and the literal values of the configured keys.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

/// Provider key shapes: OpenAI (`sk-…`, `sk-proj-…`), Anthropic (`sk-ant-…`), OpenRouter
/// (`sk-or-…`), Google (`AIza…`), GitHub tokens, AWS access key ids, bearer headers.
fn patterns() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"sk-(?:ant-|proj-|or-)?[A-Za-z0-9_\-]{20,}|AIza[0-9A-Za-z_\-]{35}|gh[pousr]_[A-Za-z0-9]{30,}|AKIA[0-9A-Z]{16}|(?i:bearer\s+)[A-Za-z0-9._\-]{20,}",
        )
        .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

impl Redactor {
    /// `secrets` are literal values to mask wherever they appear (the configured API keys).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let secrets = secrets.into_iter().filter(|s| s.len() >= 8).collect();
        Redactor { secrets }
    }

    /// The keys named by the configured providers' `api_key_env`, read from the environment.
    pub fn from_env_vars(vars: &[String]) -> Self {
        Self::new(vars.iter().filter_map(|v| std::env::var(v).ok()))
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = patterns().replace_all(text, MASK).into_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_known_key_shapes() {
        let r = Redactor::default();
        let out = r.redact("OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123 and sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUV");
        assert!(
            !out.contains("abcdefghij") && !out.contains("ABCDEFGHIJ"),
            "{out}"
        );
        assert_eq!(out.matches(MASK).count(), 2);
    }

    #[test]
    fn masks_configured_values_of_any_shape() {
        let r = Redactor::new(["local-secret-value".to_string()]);
        assert_eq!(r.redact("key: local-secret-value!"), "key: [REDACTED]!");
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        let r = Redactor::default();
        assert_eq!(
            r.redact("fn risk-assessment() {}"),
            "fn risk-assessment() {}"
        );
    }
}
