//! `[mcp_servers.NAME]`: how to reach one MCP server, and the environment and sandbox its process
//! gets. The whole table is security-sensitive: an untrusted project config cannot set it (see
//! `config::untrusted`), so every entry here is the user's own choice.

use crate::sandbox::SandboxMode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long one tool call may go without an answer or a progress report unless `timeout_ms`
/// says otherwise.
pub const DEFAULT_CALL_TIMEOUT_MS: u64 = 60_000;
/// How long one tool call may take however often it reports progress, unless `max_timeout_ms`
/// says otherwise: progress keeps a long call alive, but not a server stuck reporting it.
pub const DEFAULT_MAX_CALL_TIMEOUT_MS: u64 = 600_000;
/// How long a server may take to start and list its tools unless `startup_timeout_ms` says
/// otherwise; generous because `npx -y` downloads the package on its first run.
pub const DEFAULT_STARTUP_TIMEOUT_MS: u64 = 30_000;

/// One configured server: a program speaking MCP on stdio (`command`, `args`, `env`) or a
/// streamable HTTP endpoint (`url`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct McpServerConfig {
    /// The program of a stdio server, found on `PATH` like a shell would.
    pub command: Option<String>,
    pub args: Vec<String>,
    /// Variables the child gets on top of the scrubbed environment. A value `$VAR` or `${VAR}`
    /// copies reins' own variable: credentials reach a server only when named here.
    pub env: BTreeMap<String, String>,
    /// The endpoint of a streamable HTTP server.
    pub url: Option<String>,
    /// The limit of one tool call without an answer or a progress report, in milliseconds.
    pub timeout_ms: Option<u64>,
    /// The limit of one tool call however often it reports progress, in milliseconds.
    pub max_timeout_ms: Option<u64>,
    /// The limit of starting the server and listing its tools, in milliseconds.
    pub startup_timeout_ms: Option<u64>,
    /// The sandbox of a stdio server; absent, the session's. `full` runs it unconfined, for a
    /// server that needs more than a command gets (its own caches, the whole disk).
    pub sandbox: Option<SandboxMode>,
    /// Whether the server may use the network when the session's commands may not.
    pub network: Option<bool>,
    /// Directories the server may write besides the session's writable ones (absolute, or
    /// `~/`-relative), e.g. its cache.
    pub writable: Vec<String>,
    /// Its working directory (absolute, or relative to the workspace root); absent, an empty
    /// private directory outside the workspace, so that nothing the model writes in the
    /// workspace is picked up from the working directory (`python -m`, `npx`).
    pub cwd: Option<String>,
}

/// Where a server is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint<'a> {
    Stdio {
        command: &'a str,
        args: &'a [String],
    },
    Http {
        url: &'a str,
    },
}

/// An entry that does not say how to reach its server, or says it twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error(
        "`args`, `env`, `cwd`, `sandbox`, `network` and `writable` apply to stdio servers \
         (`command`), not to `url`"
    )]
    StdioSettingsOnUrl,
    #[error("set either `command` (a stdio server) or `url` (streamable HTTP), not both")]
    Both,
    #[error("set `command` (a stdio server) or `url` (streamable HTTP)")]
    Neither,
}

/// An `env` entry copies a variable reins' own environment does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("env {name} = \"{value}\": ${var} is not set in reins' environment")]
pub struct UnsetVariable {
    /// The entry's name, its value as written, and the variable it refers to.
    pub name: String,
    pub value: String,
    pub var: String,
}

impl McpServerConfig {
    /// The transport the entry describes; `Err` says what to fix.
    pub fn endpoint(&self) -> Result<Endpoint<'_>, EndpointError> {
        let command = self.command.as_deref().filter(|c| !c.trim().is_empty());
        let url = self.url.as_deref().filter(|u| !u.trim().is_empty());
        match (command, url) {
            (Some(command), None) => Ok(Endpoint::Stdio {
                command,
                args: &self.args,
            }),
            (None, Some(_)) if self.has_stdio_settings() => Err(EndpointError::StdioSettingsOnUrl),
            (None, Some(url)) => Ok(Endpoint::Http { url }),
            (Some(_), Some(_)) => Err(EndpointError::Both),
            (None, None) => Err(EndpointError::Neither),
        }
    }

    fn has_stdio_settings(&self) -> bool {
        !self.args.is_empty()
            || !self.env.is_empty()
            || !self.writable.is_empty()
            || self.cwd.is_some()
            || self.sandbox.is_some()
            || self.network.is_some()
    }

    /// How long a call may go without an answer or a progress report.
    pub fn call_timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.unwrap_or(DEFAULT_CALL_TIMEOUT_MS))
    }

    /// How long a call may take in all; never less than [`Self::call_timeout`].
    pub fn max_call_timeout(&self) -> Duration {
        let max = self.max_timeout_ms.unwrap_or(DEFAULT_MAX_CALL_TIMEOUT_MS);
        Duration::from_millis(max).max(self.call_timeout())
    }

    pub fn startup_timeout(&self) -> Duration {
        Duration::from_millis(
            self.startup_timeout_ms
                .unwrap_or(DEFAULT_STARTUP_TIMEOUT_MS),
        )
    }

    /// The command line or the URL, for listings.
    pub fn describe(&self) -> String {
        match self.endpoint() {
            Ok(Endpoint::Stdio { command, args }) => std::iter::once(command)
                .chain(args.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" "),
            Ok(Endpoint::Http { url }) => url.to_string(),
            Err(e) => format!("(invalid: {e})"),
        }
    }

    /// The `env` table with `$VAR` references replaced by `lookup`'s value; a reference to an
    /// unset variable is an error naming it, since a server missing its token fails obscurely.
    pub fn resolve_env(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<(String, String)>, UnsetVariable> {
        self.env
            .iter()
            .map(|(name, value)| match reference(value) {
                None => Ok((name.clone(), value.clone())),
                Some(var) => lookup(var)
                    .map(|v| (name.clone(), v))
                    .ok_or_else(|| UnsetVariable {
                        name: name.clone(),
                        value: value.clone(),
                        var: var.to_string(),
                    }),
            })
            .collect()
    }
}

/// The variable a value like `$VAR` or `${VAR}` names.
fn reference(value: &str) -> Option<&str> {
    let name = match value.strip_prefix("${") {
        Some(rest) => rest.strip_suffix('}')?,
        None => value.strip_prefix('$')?,
    };
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stdio(env: &[(&str, &str)]) -> McpServerConfig {
        McpServerConfig {
            command: Some("srv".into()),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn env_references_are_resolved_and_literals_kept() {
        let cfg = stdio(&[("A", "$HOST_A"), ("B", "${HOST_B}"), ("C", "plain $x")]);
        let env = cfg
            .resolve_env(|v| Some(format!("<{v}>")))
            .expect("resolves");
        assert_eq!(
            env,
            [
                ("A".to_string(), "<HOST_A>".to_string()),
                ("B".to_string(), "<HOST_B>".to_string()),
                ("C".to_string(), "plain $x".to_string()),
            ]
        );
    }

    #[test]
    fn an_unset_reference_names_the_variable() {
        let err = stdio(&[("GITHUB_TOKEN", "$GITHUB_TOKEN")])
            .resolve_env(|_| None)
            .unwrap_err();
        assert!(
            err.to_string().contains("$GITHUB_TOKEN is not set"),
            "{err}"
        );
    }

    #[test]
    fn exactly_one_transport_is_required() {
        assert!(matches!(
            stdio(&[]).endpoint(),
            Ok(Endpoint::Stdio { command: "srv", .. })
        ));
        let http = McpServerConfig {
            url: Some("http://h/mcp".into()),
            ..Default::default()
        };
        assert_eq!(
            http.endpoint(),
            Ok(Endpoint::Http {
                url: "http://h/mcp"
            })
        );
        let both = McpServerConfig {
            url: Some("http://h/mcp".into()),
            ..stdio(&[])
        };
        assert_eq!(both.endpoint(), Err(EndpointError::Both));
        assert!(McpServerConfig::default().endpoint().is_err());
    }
}
