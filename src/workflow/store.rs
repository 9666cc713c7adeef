//! Where workflows live: `<workspace>/.reins/workflows/NAME.toml`, then
//! `$REINS_HOME/workflows/NAME.toml`; the workspace's wins when both define a name.

use super::{Workflow, WorkflowError};
use std::path::{Path, PathBuf};

/// The directories searched, in order of precedence.
pub fn dirs(root: &Path, home: Option<&Path>) -> Vec<PathBuf> {
    let mut d = vec![root.join(".reins").join("workflows")];
    d.extend(home.map(|h| h.join("workflows")));
    d
}

/// A name (`fix-tests`) is looked up in [`dirs`]; anything that looks like a path
/// (`a/b.toml`, `x.toml`) is taken as one, relative to the current directory.
pub fn find(name: &str, root: &Path, home: Option<&Path>) -> Result<PathBuf, WorkflowError> {
    if name.contains('/') || name.ends_with(".toml") {
        let p = PathBuf::from(name);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(WorkflowError::NotFound {
                name: name.to_string(),
                searched: "that path".into(),
            })
        };
    }
    let searched = dirs(root, home);
    searched
        .iter()
        .map(|d| d.join(format!("{name}.toml")))
        .find(|p| p.is_file())
        .ok_or_else(|| WorkflowError::NotFound {
            name: name.to_string(),
            searched: searched
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(" and "),
        })
}

/// A workflow as `reins workflows` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub path: PathBuf,
    /// The description, or why the file could not be read.
    pub description: Result<String, String>,
}

/// Every workflow, sorted by name, each name once (the workspace's over `$REINS_HOME`'s).
pub fn list(root: &Path, home: Option<&Path>) -> Vec<Listed> {
    let mut found: Vec<Listed> = Vec::new();
    for dir in dirs(root, home) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            let Some(name) = toml_stem(&path) else {
                continue;
            };
            if found.iter().any(|l| l.name == name) {
                continue;
            }
            let description = Workflow::load(&path)
                .map(|w| w.description)
                .map_err(|e| e.to_string());
            found.push(Listed {
                name,
                path,
                description,
            });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

fn toml_stem(path: &Path) -> Option<String> {
    if path.extension()? != "toml" {
        return None;
    }
    Some(path.file_stem()?.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, description: &str) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(
            dir.join(format!("{name}.toml")),
            format!("description = \"{description}\"\nprompt = \"p\"\n"),
        )
        .unwrap();
    }

    #[test]
    fn workspace_workflows_shadow_home_ones() {
        let ws = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        write(&ws.path().join(".reins/workflows"), "a", "from ws");
        write(&home.path().join("workflows"), "a", "from home");
        write(&home.path().join("workflows"), "b", "only home");
        let l = list(ws.path(), Some(home.path()));
        let shown: Vec<(&str, &str)> = l
            .iter()
            .map(|l| (l.name.as_str(), l.description.as_deref().unwrap()))
            .collect();
        assert_eq!(shown, [("a", "from ws"), ("b", "only home")]);
        assert!(find("a", ws.path(), Some(home.path()))
            .unwrap()
            .starts_with(ws.path()));
        let err = find("zzz", ws.path(), Some(home.path())).unwrap_err();
        assert!(err.to_string().contains("zzz"), "{err}");
    }
}
