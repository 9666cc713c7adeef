//! The values reins applies when no configuration layer sets a key, for `config show` to list
//! as `# default`. Each is read from the constant or `Default` the code itself applies, so the
//! listing cannot drift from the behaviour.

use crate::config::RetryConfig;

/// `(dotted key, value in TOML syntax, note)` for every key with a built-in default that is not
/// in `defaults.toml` (those are listed with their source already).
pub fn implied() -> Vec<(&'static str, String, &'static str)> {
    let retry = RetryConfig::default();
    vec![
        (
            "approval",
            quoted("never"),
            "default for exec and run; the interactive UI asks: \"on-request\"",
        ),
        (
            "sandbox",
            quoted(crate::frontend::setup::DEFAULT_SANDBOX.as_str()),
            "default",
        ),
        ("network", false.to_string(), "default"),
        ("allow_unsandboxed", false.to_string(), "default"),
        (
            "compact_threshold",
            crate::frontend::session_builder::DEFAULT_COMPACT_THRESHOLD.to_string(),
            "default",
        ),
        (
            "memory_cap_bytes",
            crate::store::memory::DEFAULT_CAP_BYTES.to_string(),
            "default",
        ),
        (
            "repo_map.start",
            quoted("auto"),
            "default: on for context windows up to 32768 tokens",
        ),
        (
            "repo_map.tokens",
            crate::agent::repo_map_step::START_TOKENS.to_string(),
            "default",
        ),
        ("web_fetch.private_hosts", "[]".to_string(), "default"),
        ("retry.max_tries", retry.max_tries.to_string(), "default"),
        (
            "retry.base_delay_ms",
            retry.base_delay_ms.to_string(),
            "default",
        ),
        (
            "retry.max_delay_ms",
            retry.max_delay_ms.to_string(),
            "default",
        ),
        (
            "shell.timeout_ms",
            crate::tools::DEFAULT_SHELL_TIMEOUT.as_millis().to_string(),
            "default",
        ),
        ("shell.pass_env", "[]".to_string(), "default"),
        (
            "checks.timeout_ms",
            crate::config::checks::DEFAULT_TIMEOUT_MS.to_string(),
            "default",
        ),
        ("review.verify", true.to_string(), "default"),
        (
            "review.part_size",
            crate::review::DEFAULT_PART_SIZE.to_string(),
            "default",
        ),
        (
            "review.repro",
            true.to_string(),
            "default: only where the project has checks",
        ),
        (
            "review.repro_timeout_ms",
            crate::config::review::DEFAULT_REPRO_TIMEOUT_MS.to_string(),
            "default",
        ),
    ]
}

fn quoted(s: &str) -> String {
    format!("{s:?}")
}
