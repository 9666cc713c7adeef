//! The shape of the configuration. Every field has a default so that each layer can be checked
//! alone (a layer may set a single key); completeness is checked after merging.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The `[models.*]` key used unless something else picks one; empty = pick from the API keys set.
    pub model: String,
    pub max_steps: Option<u32>,
    /// Compact the conversation when a request would pass this share of the context window.
    pub compact_threshold: Option<f64>,
    /// Size cap of each memory file, in bytes.
    pub memory_cap_bytes: Option<usize>,
    pub providers: BTreeMap<String, ProviderConfig>,
    pub models: BTreeMap<String, ModelConfig>,
    pub retry: RetryConfig,
    pub shell: ShellConfig,
    /// `read-only`, `workspace-write` (default) or `full`.
    pub sandbox: Option<crate::types::SandboxMode>,
    /// Whether sandboxed commands may open network sockets (default false).
    pub network: Option<bool>,
    /// Run commands unconfined when the kernel cannot confine them (default false: refuse).
    pub allow_unsandboxed: Option<bool>,
    /// When to ask before acting: `never` (the default of `exec`), `on-request`, `untrusted`.
    pub approval: Option<crate::types::Approval>,
    pub permissions: PermissionsConfig,
    /// Per-step model routing; absent = one model for every step.
    pub router: Option<crate::router::RouterConfig>,
    /// Alternative routers picked with `--route NAME`.
    pub routers: BTreeMap<String, crate::router::RouterConfig>,
    /// Session budget in USD (`--max-cost`).
    pub max_cost: Option<f64>,
    /// `[mcp_servers.NAME]`: MCP servers whose tools the model gets as `NAME__TOOL`.
    pub mcp_servers: BTreeMap<String, crate::mcp::McpServerConfig>,
    /// `[[hooks]]`: commands run at moments of the session (`event`, `match`, `command`).
    pub hooks: Vec<crate::hooks::HookConfig>,
    /// `[checks]`: the commands that define done (`--check` adds to them).
    pub checks: super::checks::ChecksConfig,
    /// `[checkpoints]`: how long `reins checkpoints gc` keeps them.
    pub checkpoints: CheckpointsConfig,
    /// `[repo_map]`: the repository map in the first request.
    pub repo_map: RepoMapConfig,
    /// `[web_fetch]`: what the `web_fetch` tool may reach.
    pub web_fetch: WebFetchConfig,
    /// `[review]`: the defaults of `reins review`.
    pub review: super::review::ReviewConfig,
    /// `[telemetry]`: OpenTelemetry export of traces and metrics (off unless an endpoint is set).
    pub telemetry: super::telemetry::TelemetryConfig,
}

/// `[web_fetch]`. Whether the tool runs at all is the gate's business (`network`, rules, the
/// user's approval); this names the exceptions to its refusal of non-public addresses. Only
/// the user's config and trusted project config can set it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebFetchConfig {
    /// Hosts (names or IP literals, as written in URLs) that may resolve to private, loopback or
    /// link-local addresses: an intranet wiki, a docs server on localhost.
    pub private_hosts: Vec<String>,
}

/// `[repo_map]`: whether the first request carries a compact repository map.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RepoMapConfig {
    /// `auto` (default: only for models with a small context window), `on` or `off`.
    pub start: Option<MapStart>,
    /// The first request's map size in tokens.
    pub tokens: Option<usize>,
}

/// When the first request carries the repository map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MapStart {
    /// When the model's context window is small (a map spares it rounds of exploring).
    #[default]
    Auto,
    On,
    Off,
}

/// `[checkpoints]`: each a limit on what `reins checkpoints gc` keeps per workspace.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckpointsConfig {
    /// The most recently checkpointed sessions kept (default 50).
    pub keep_sessions: Option<usize>,
    /// Days a session's checkpoints are kept after its last one (default 30).
    pub keep_days: Option<u64>,
}

/// `[permissions]`: `tool(pattern)` rules; deny beats ask beats allow.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PermissionsConfig {
    pub allow: Vec<String>,
    pub ask: Vec<String>,
    pub deny: Vec<String>,
    /// Workspace paths that stay read-only besides `.git` and `.reins/config.toml`.
    pub protected: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Chat completions: OpenAI and every compatible server (Ollama, vLLM, LM Studio, OpenRouter, LiteLLM).
    #[default]
    Openai,
    /// OpenAI's Responses API: what its reasoning models are built for (reasoning carried from
    /// step to step, summaries, some models served only there).
    #[serde(rename = "openai-responses")]
    OpenaiResponses,
    /// Anthropic's native Messages API.
    Anthropic,
}

/// How a Claude model is asked to think.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ThinkingMode {
    /// `thinking: {type: "adaptive"}`: the model decides how much, steered by the effort.
    Adaptive,
    /// `thinking: {type: "enabled", budget_tokens}`: a token budget chosen from the effort.
    Budget,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    pub kind: Option<ProviderKind>,
    pub base_url: Option<String>,
    /// Name of the environment variable that holds the key; empty for none (local servers).
    pub api_key_env: Option<String>,
    /// Extra HTTP headers sent with every request (e.g. OpenRouter's `HTTP-Referer`).
    pub headers: BTreeMap<String, String>,
    /// Request timeout for the first byte, in seconds.
    pub timeout_s: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    pub provider: Option<String>,
    /// The id sent on the wire.
    pub name: Option<String>,
    pub context_window: Option<u64>,
    pub max_output_tokens: Option<u64>,
    /// USD per million tokens.
    pub input_price: Option<f64>,
    pub cached_input_price: Option<f64>,
    /// Input written to the prompt cache (Anthropic charges 1.25x input); default: input price.
    pub cache_write_price: Option<f64>,
    pub output_price: Option<f64>,
    /// Reasoning effort for this model (`--effort` overrides it).
    pub effort: Option<crate::types::Effort>,
    /// Capabilities. `tools` defaults to true, the others to false.
    pub tools: Option<bool>,
    pub vision: Option<bool>,
    /// An OpenAI reasoning model: requests carry `reasoning` and replay encrypted reasoning.
    pub reasoning: Option<bool>,
    /// A Claude model that thinks, and how it is asked to.
    pub thinking: Option<ThinkingMode>,
    /// The model takes a JSON Schema for its final answer natively (OpenAI Structured Outputs,
    /// Claude structured outputs): `--output-schema` and review send their schema with the
    /// request. Default false: the schema is then only shown in the prompt and validated.
    pub structured_output: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts per model request, the first included.
    pub max_tries: u32,
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_tries: 4,
            base_delay_ms: 500,
            max_delay_ms: 30_000,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShellConfig {
    pub timeout_ms: Option<u64>,
    /// Secret-looking variables to pass to child processes anyway.
    pub pass_env: Vec<String>,
}
