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

/// Whether `text` contains a prefix that every match of [`patterns`] starts with: `sk-`, `AIza`,
/// `gh` + one of `pousr` + `_`, `AKIA`, or `bearer` in any ASCII case (no other character folds
/// to one of its letters). Text without one cannot match, so the regex is neither built nor run
/// for it: building it is about a sixth of a short session's start-up (1.6 M instructions), and
/// most lines (prompts, events, most tool output) hold no such prefix.
fn may_hold_a_key_shape(text: &str) -> bool {
    if text.contains("sk-") || text.contains("AIza") || text.contains("AKIA") {
        return true;
    }
    let bytes = text.as_bytes();
    (0..bytes.len()).any(|i| {
        let rest = &bytes[i..];
        match rest[0] {
            b'g' => {
                rest.len() >= 4 && rest[1] == b'h' && b"pousr".contains(&rest[2]) && rest[3] == b'_'
            }
            b'b' | b'B' => rest.len() >= 6 && rest[..6].eq_ignore_ascii_case(b"bearer"),
            _ => false,
        }
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
        let mut out = if may_hold_a_key_shape(text) {
            patterns().replace_all(text, MASK).into_owned()
        } else {
            text.to_string()
        };
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
    fn masks_each_shape_whatever_the_case_of_bearer() {
        let r = Redactor::default();
        for text in [
            "key AIzaSyA1234567890abcdefghijklmnopqrstuv",
            "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "id AKIAABCDEFGHIJKLMNOP",
            "Authorization: BeArEr abcdefghijklmnopqrstuvwxyz",
            "sk-abcdefghijklmnopqrstuvwxyz",
        ] {
            assert_eq!(r.redact(text).matches(MASK).count(), 1, "{text}");
        }
    }

    #[test]
    fn the_prefilter_never_rejects_what_the_pattern_matches() {
        // Every sequence of three fragments: whatever the prefilter turns away, the regex must
        // find nothing in.
        let fragments = [
            "sk-",
            "AIza",
            "gh",
            "p",
            "_",
            "AKIA",
            "bEaReR",
            " ",
            "\u{212A}",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH",
        ];
        let mut rejected = 0;
        for a in fragments {
            for b in fragments {
                for c in fragments {
                    let text = format!("{a}{b}{c}");
                    if !may_hold_a_key_shape(&text) {
                        rejected += 1;
                        assert!(!patterns().is_match(&text), "{text}");
                    }
                }
            }
        }
        assert!(rejected > 100, "the prefilter rejected only {rejected}");
        assert!(!may_hold_a_key_shape("plain text, high weight, a thought"));
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
