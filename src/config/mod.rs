//! Layered configuration: built-in defaults < `$REINS_HOME/config.toml` < `<workspace>/.reins/config.toml`
//! < the user's approved rules for the workspace (see [`user_workspace`]) < `-c key=value`. Each layer is validated on its own first, so an unknown key or a bad value is
//! reported with the file it came from; then the layers are merged key by key and the effective
//! value of every key remembers its source for `reins config show`.

pub mod catalog;
pub mod checks;
mod layers;
pub mod leaves;
pub mod model;
pub mod prices;
mod ranges;
pub mod review;
mod schema;
pub mod telemetry;
pub mod trust;
pub mod untrusted;
pub mod user_workspace;

pub use layers::{ConfigError, Layer, LoadOptions};
pub use model::{resolve_model, ResolvedModel};
pub use schema::{
    Config, MapStart, ModelConfig, ProviderConfig, ProviderKind, RepoMapConfig, RetryConfig,
    ThinkingMode,
};

use std::collections::BTreeMap;

/// The effective configuration and where each key's value came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// Dotted key path → source label (`built-in`, a file path, or `-c`).
    pub sources: BTreeMap<String, String>,
    pub merged: toml::Table,
    /// What the user should know about how the layers were read (ignored untrusted keys).
    pub warnings: Vec<String>,
    /// What an untrusted project layer added and what it was refused (`None` when trusted or
    /// absent).
    pub untrusted: Option<untrusted::UntrustedReport>,
}

/// Loads every layer and merges them.
pub fn load(opts: &LoadOptions) -> Result<Loaded, ConfigError> {
    layers::load(opts)
}
