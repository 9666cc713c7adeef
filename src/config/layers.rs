//! Reading, validating and merging the configuration layers.

use super::schema::Config;
use super::Loaded;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const DEFAULTS: &str = include_str!("defaults.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config in {source_name}: {message}")]
    Invalid {
        source_name: String,
        message: String,
    },
    #[error("bad override `-c {0}`: expected key=value with a TOML value, e.g. -c model=\"fast\" or -c max_steps=20")]
    Override(String),
    #[error("{0}")]
    Incomplete(String),
    #[error(transparent)]
    UserRules(#[from] super::user_workspace::UserWorkspaceError),
    #[error("project config: {0}")]
    Unsafe(#[from] crate::workspace_file::WorkspaceFileError),
}

/// Where the layers live.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub reins_home: Option<PathBuf>,
    pub workspace: Option<PathBuf>,
    /// `key=value` strings from `-c`.
    pub overrides: Vec<String>,
    /// Whether the workspace's own config may set security-sensitive keys (see `trust`).
    pub workspace_trusted: bool,
}

/// One parsed layer with its label.
#[derive(Debug, Clone)]
pub struct Layer {
    pub name: String,
    pub table: toml::Table,
}

pub(super) fn load(opts: &LoadOptions) -> Result<Loaded, ConfigError> {
    let mut layers = vec![built_in()?];
    if let Some(home) = &opts.reins_home {
        layers.extend(read_file_layer(&home.join("config.toml"))?);
    }
    let mut warnings = Vec::new();
    let mut untrusted = None;
    if let Some(ws) = &opts.workspace {
        let project = project_layer(ws);
        match project {
            Ok(Some(layer)) if opts.workspace_trusted => layers.push(layer),
            Ok(Some(layer)) => {
                let (table, report) =
                    super::untrusted::restrict(&layer.name, &layer.table, &merged_table(&layers));
                warnings.extend(report.warning());
                untrusted = Some(report);
                layers.push(Layer {
                    name: layer.name,
                    table,
                });
            }
            Ok(None) => {}
            Err(e) if opts.workspace_trusted => return Err(e),
            Err(e) => warnings.push(format!(
                "ignored {e}; this workspace is not trusted, so a broken project config is skipped rather than fatal: fix or delete the file"
            )),
        }
    }
    if let (Some(home), Some(ws)) = (&opts.reins_home, &opts.workspace) {
        // The layers below are merged only when there are rules to check against them.
        let rules = super::user_workspace::layer(home, ws, || merged_table(&layers))?;
        layers.extend(rules.map(|(name, table)| Layer { name, table }));
    }
    if !opts.overrides.is_empty() {
        layers.push(override_layer(&opts.overrides)?);
    }
    let mut loaded = merge_layers(&layers)?;
    loaded.warnings = warnings;
    loaded.untrusted = untrusted;
    Ok(loaded)
}

/// `<workspace>/.reins/config.toml`, read like every workspace file reins reads for itself (see
/// [`crate::workspace_file`]): a symlink out of the workspace, a hard link or a secret is refused.
fn project_layer(ws: &Path) -> Result<Option<Layer>, ConfigError> {
    let policy = crate::workspace_file::secrets_only(ws);
    let name = ws.join(".reins").join("config.toml").display().to_string();
    match crate::workspace_file::read(&policy, Path::new(".reins/config.toml")) {
        Ok(text) => parse_layer(&name, &text).map(Some),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(ConfigError::Unsafe(e)),
    }
}

/// The lower layers merged as plain tables (no validation, no sources).
fn merged_table(layers: &[Layer]) -> toml::Table {
    let mut merged = toml::Table::new();
    for layer in layers {
        merge_plain(&mut merged, &layer.table);
    }
    merged
}

/// `merge_into` without recording where each key came from: no key path is built.
fn merge_plain(dst: &mut toml::Table, src: &toml::Table) {
    for (key, value) in src {
        match (dst.get_mut(key), value) {
            (Some(toml::Value::Table(d)), toml::Value::Table(s)) => merge_plain(d, s),
            _ => {
                dst.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Merges validated layers, remembering the source of every leaf key.
pub fn merge_layers(layers: &[Layer]) -> Result<Loaded, ConfigError> {
    let mut merged = toml::Table::new();
    let mut sources = BTreeMap::new();
    for layer in layers {
        merge_into(&mut merged, &layer.table, "", &layer.name, &mut sources);
    }
    let config = check(&merged, "the merged configuration")?;
    Ok(Loaded {
        config,
        sources,
        merged,
        warnings: Vec::new(),
        untrusted: None,
    })
}

fn read_file_layer(path: &Path) -> Result<Option<Layer>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_layer(&path.display().to_string(), &text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The built-in defaults, parsed but not checked on their own: they are part of the binary
/// (the tests check them) and the merged configuration is checked anyway, so checking them
/// here again (a serialization and a second parse, the larger part of reading the
/// configuration) would be start-up time spent on every run for nothing.
fn built_in() -> Result<Layer, ConfigError> {
    let table: toml::Table = toml::from_str(DEFAULTS).map_err(|e| ConfigError::Invalid {
        source_name: "built-in".to_string(),
        message: e.to_string(),
    })?;
    Ok(Layer {
        name: "built-in".to_string(),
        table,
    })
}

fn parse_layer(name: &str, text: &str) -> Result<Layer, ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Invalid {
        source_name: name.to_string(),
        message: e.to_string(),
    })?;
    check(&table, name)?;
    Ok(Layer {
        name: name.to_string(),
        table,
    })
}

/// Deserializes a table into `Config`, which rejects unknown keys and ill-typed values.
/// Straight from the table, which is cheap; only a table that fails is written out as text and
/// read again, for the error's position that names the offending key (see [`key_hint`]).
fn check(table: &toml::Table, name: &str) -> Result<Config, ConfigError> {
    let config = match Config::deserialize(table.clone()) {
        Ok(config) => config,
        Err(e) => return Err(explain(table, name, e)),
    };
    super::ranges::check(&config).map_err(|e| ConfigError::Invalid {
        source_name: name.to_string(),
        message: e.to_string(),
    })?;
    Ok(config)
}

/// The error of a table that does not deserialize, with the key it is about: the table as
/// text, parsed again, gives toml a position to report.
fn explain(table: &toml::Table, name: &str, first: toml::de::Error) -> ConfigError {
    let invalid = |message: String| ConfigError::Invalid {
        source_name: name.to_string(),
        message,
    };
    let Ok(text) = toml::to_string(table) else {
        return invalid(first.message().to_string());
    };
    match toml::from_str::<Config>(&text) {
        Err(e) => invalid(e.message().to_string() + &key_hint(&e, &text)),
        Ok(_) => invalid(first.message().to_string()),
    }
}

/// toml reports a span into the re-serialized text; the line there names the offending key.
fn key_hint(e: &toml::de::Error, text: &str) -> String {
    let Some(span) = e.span() else {
        return String::new();
    };
    let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[span.start..]
        .find('\n')
        .map_or(text.len(), |i| span.start + i);
    let section = text[..line_start]
        .lines()
        .rev()
        .find(|l| l.starts_with('['))
        .unwrap_or("");
    format!(" (at `{}` {})", text[line_start..line_end].trim(), section)
        .trim_end()
        .to_string()
}

fn override_layer(overrides: &[String]) -> Result<Layer, ConfigError> {
    let mut table = toml::Table::new();
    for item in overrides {
        let (key, value) = item
            .split_once('=')
            .ok_or_else(|| ConfigError::Override(item.clone()))?;
        let value = parse_override_value(value.trim());
        let path: Vec<&str> = key.trim().split('.').collect();
        if path.iter().any(|p| p.is_empty()) {
            return Err(ConfigError::Override(item.clone()));
        }
        insert_path(&mut table, &path, value);
    }
    check(&table, "-c overrides")?;
    Ok(Layer {
        name: "-c".to_string(),
        table,
    })
}

/// A value in TOML syntax; a bare word that is not valid TOML is taken as a string, as users type
/// `-c model=fast` far more often than `-c model="fast"`.
fn parse_override_value(text: &str) -> toml::Value {
    let doc = format!("v = {text}");
    toml::from_str::<toml::Table>(&doc)
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

fn insert_path(table: &mut toml::Table, path: &[&str], value: toml::Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = table;
    for p in parents {
        let entry = cur
            .entry((*p).to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let toml::Value::Table(next) = entry else {
            return;
        };
        cur = next;
    }
    cur.insert((*last).to_string(), value);
}

fn merge_into(
    dst: &mut toml::Table,
    src: &toml::Table,
    prefix: &str,
    source: &str,
    sources: &mut BTreeMap<String, String>,
) {
    for (key, value) in src {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (dst.get_mut(key), value) {
            (Some(toml::Value::Table(d)), toml::Value::Table(s)) => {
                merge_into(d, s, &path, source, sources);
            }
            _ => {
                if let toml::Value::Table(s) = value {
                    let mut fresh = toml::Table::new();
                    merge_into(&mut fresh, s, &path, source, sources);
                    dst.insert(key.clone(), toml::Value::Table(fresh));
                } else {
                    dst.insert(key.clone(), value.clone());
                    sources.insert(path, source.to_string());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_name_providers() {
        // Checked on their own here, as `load` does not.
        parse_layer("built-in", DEFAULTS).unwrap();
        let loaded = merge_layers(&[built_in().unwrap()]).unwrap();
        assert!(loaded.config.providers.contains_key("ollama"));
        assert_eq!(loaded.sources["providers.openai.base_url"], "built-in");
    }

    #[test]
    fn later_layers_win_and_record_their_source() {
        let base = parse_layer("built-in", DEFAULTS).unwrap();
        let user = parse_layer(
            "home.toml",
            "model = \"x\"\n[providers.openai]\nbase_url = \"http://h/v1\"",
        )
        .unwrap();
        let over = override_layer(&["max_steps=7".to_string()]).unwrap();
        let loaded = merge_layers(&[base, user, over]).unwrap();
        assert_eq!(loaded.config.model, "x");
        assert_eq!(loaded.config.max_steps, Some(7));
        assert_eq!(loaded.sources["providers.openai.base_url"], "home.toml");
        assert_eq!(loaded.sources["providers.openai.api_key_env"], "built-in");
        assert_eq!(loaded.sources["max_steps"], "-c");
    }

    #[test]
    fn unknown_key_names_the_file_and_key() {
        let err = parse_layer("/x/config.toml", "[providers.openai]\nbase_ur = \"h\"").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("/x/config.toml") && msg.contains("base_ur"),
            "{msg}"
        );
    }

    #[test]
    fn bad_value_type_is_reported() {
        let err = parse_layer("f.toml", "max_steps = \"many\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("f.toml") && err.contains("max_steps"), "{err}");
    }

    #[test]
    fn a_broken_project_config_is_fatal_only_when_trusted() {
        let ws = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(ws.path().join(".reins")).unwrap();
        std::fs::write(ws.path().join(".reins/config.toml"), "max_steps = [\n").unwrap();
        let opts = |trusted| LoadOptions {
            workspace: Some(ws.path().to_path_buf()),
            workspace_trusted: trusted,
            ..LoadOptions::default()
        };
        let loaded = load(&opts(false)).unwrap();
        assert!(
            loaded.warnings[0].contains("config.toml"),
            "{:?}",
            loaded.warnings
        );
        let err = load(&opts(true)).unwrap_err().to_string();
        assert!(
            err.contains("config.toml") && err.contains("invalid"),
            "{err}"
        );
    }

    #[test]
    fn bare_word_override_is_a_string() {
        let layer = override_layer(&["model=fast".to_string()]).unwrap();
        assert_eq!(layer.table["model"].as_str(), Some("fast"));
        assert!(override_layer(&["novalue".to_string()]).is_err());
    }
}
