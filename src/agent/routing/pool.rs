//! The session's model clients: each `[models.*]` key is resolved and its client built once, the
//! first time a request goes to it, and kept for the rest of the session.

use crate::config::{resolve_model, Config, ResolvedModel};
use crate::provider::{client_for, ModelClient};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Reads an environment variable (API keys); a closure so tests can supply their own.
pub type EnvLookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Why no model can take the next request.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("no model to route to")]
    NoModel,
    /// The key names no model, or its provider is not set up.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// Its client cannot be built (a replay file that does not load, a bad endpoint).
    #[error(transparent)]
    Client(#[from] crate::provider::ProviderError),
}

/// A resolved model and its client.
pub struct Entry {
    pub model: ResolvedModel,
    pub client: Box<dyn ModelClient>,
}

/// Clients by model key, built on first use from the config and the environment.
pub(super) struct ClientPool {
    config: Config,
    env: EnvLookup,
    entries: BTreeMap<String, Arc<Entry>>,
}

impl ClientPool {
    pub(super) fn new(config: Config, env: EnvLookup) -> Self {
        ClientPool {
            config,
            env,
            entries: BTreeMap::new(),
        }
    }

    /// Adds an already built entry under its label; returns the label.
    pub(super) fn insert(&mut self, entry: Entry) -> String {
        let label = entry.model.label.clone();
        self.entries.insert(label.clone(), Arc::new(entry));
        label
    }

    /// Keeps `entry` under `key` too (a pinned model is looked up by its label afterwards).
    pub(super) fn alias(&mut self, key: String, entry: Arc<Entry>) {
        self.entries.insert(key, entry);
    }

    /// The entry already built for `key`, without building one.
    pub(super) fn built(&self, key: &str) -> Option<&Arc<Entry>> {
        self.entries.get(key)
    }

    /// The entry for `key`, resolving the model and building its client the first time.
    pub(super) fn get(&mut self, key: &str) -> Result<Arc<Entry>, ModelError> {
        if let Some(e) = self.entries.get(key) {
            return Ok(e.clone());
        }
        let model = resolve_model(&self.config, Some(key), &*self.env)?;
        let client = client_for(&model)?;
        let entry = Arc::new(Entry { model, client });
        self.entries.insert(key.to_string(), entry.clone());
        Ok(entry)
    }

    /// The configured `[models.*]` keys whose table sets `vision = true`, in key order.
    pub(super) fn with_vision(&self) -> Vec<String> {
        self.config
            .models
            .iter()
            .filter(|(_, m)| m.vision == Some(true))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// `key` resolved without building a client (its prices for the ledger).
    pub(super) fn resolve(&self, key: &str) -> Option<ResolvedModel> {
        resolve_model(&self.config, Some(key), &self.env).ok()
    }
}
