//! Where workflows live: `$REINS_HOME/workflows/NAME.toml` (the user's) and
//! `<workspace>/.reins/workflows/NAME.toml` (the repository's). When both define a name the
//! user's wins, with a warning: a repository must not be able to replace a job the user wrote
//! (with its checks and limits) by committing a file of the same name. A name that looks like a
//! path is the file the user named.

use super::{Workflow, WorkflowError};
use crate::sandbox::SandboxPolicy;
use std::path::{Path, PathBuf};

const WORKSPACE_DIR: &str = ".reins/workflows";

/// Whose a workflow file is, which decides how it is read and how far it is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `$REINS_HOME/workflows`, or a path the user named on the command line.
    User,
    /// The workspace's `.reins/workflows`: read under the file tools' policy, and its
    /// sensitive parts apply only in a trusted workspace.
    Workspace,
}

/// A workflow file found by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    pub path: PathBuf,
    pub origin: Origin,
    /// The workspace file of the same name that the user's hides, if any.
    pub shadowed: Option<PathBuf>,
}

impl Found {
    /// Reads and checks the workflow; a workspace file through [`crate::workspace_file::read`].
    pub fn load(&self, policy: &SandboxPolicy) -> Result<Workflow, WorkflowError> {
        match self.origin {
            Origin::User => Workflow::load(&self.path),
            Origin::Workspace => {
                let rel = Path::new(WORKSPACE_DIR).join(format!("{}.toml", self.name));
                let text = crate::workspace_file::read(policy, &rel).map_err(|e| {
                    WorkflowError::Unsafe {
                        path: self.path.clone(),
                        message: e.to_string(),
                    }
                })?;
                Workflow::parse(&text, &self.path)
            }
        }
    }

    /// The warning to show when a workspace workflow of the same name was passed over.
    pub fn shadow_warning(&self) -> Option<String> {
        self.shadowed.as_ref().map(|ws| {
            format!(
                "workflow `{}`: using yours ({}), not the workspace's {}; rename one of them to run the other",
                self.name,
                self.path.display(),
                ws.display()
            )
        })
    }
}

/// The directories searched, in order of precedence.
pub fn dirs(root: &Path, home: Option<&Path>) -> Vec<PathBuf> {
    let mut d: Vec<PathBuf> = home.map(|h| h.join("workflows")).into_iter().collect();
    d.push(root.join(WORKSPACE_DIR));
    d
}

/// A name (`fix-tests`) is looked up in [`dirs`]; anything that looks like a path
/// (`a/b.toml`, `x.toml`) is taken as one, relative to the current directory.
pub fn find(name: &str, root: &Path, home: Option<&Path>) -> Result<Found, WorkflowError> {
    if name.contains('/') || name.ends_with(".toml") {
        let p = PathBuf::from(name);
        return if p.is_file() {
            Ok(Found {
                name: toml_stem(&p).unwrap_or_else(|| name.to_string()),
                path: p,
                origin: Origin::User,
                shadowed: None,
            })
        } else {
            Err(WorkflowError::NotFound {
                name: name.to_string(),
                searched: "that path".into(),
            })
        };
    }
    let user = home.map(|h| h.join("workflows").join(format!("{name}.toml")));
    let workspace = root.join(WORKSPACE_DIR).join(format!("{name}.toml"));
    let in_workspace = workspace.symlink_metadata().is_ok();
    match user.filter(|p| p.is_file()) {
        Some(path) => Ok(Found {
            name: name.to_string(),
            path,
            origin: Origin::User,
            shadowed: in_workspace.then_some(workspace),
        }),
        None if in_workspace => Ok(Found {
            name: name.to_string(),
            path: workspace,
            origin: Origin::Workspace,
            shadowed: None,
        }),
        None => Err(WorkflowError::NotFound {
            name: name.to_string(),
            searched: dirs(root, home)
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(" and "),
        }),
    }
}

/// A workflow as `reins workflows` shows it.
#[derive(Debug)]
pub struct Listed {
    pub found: Found,
    /// The description, or why the file could not be read.
    pub description: Result<String, WorkflowError>,
}

/// Every workflow, sorted by name, each name once (the user's over the workspace's).
pub fn list(root: &Path, home: Option<&Path>, policy: &SandboxPolicy) -> Vec<Listed> {
    let mut names: Vec<String> = home
        .map(|h| crate::workspace_file::names(h, Path::new("workflows"), "toml"))
        .unwrap_or_default();
    names.extend(crate::workspace_file::names(
        root,
        Path::new(WORKSPACE_DIR),
        "toml",
    ));
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| find(&name, root, home).ok())
        .map(|found| {
            let description = found.load(policy).map(|w| w.description);
            Listed { found, description }
        })
        .collect()
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
    fn the_users_workflows_shadow_the_workspaces_with_a_warning() {
        let ws = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        write(&ws.path().join(".reins/workflows"), "a", "from ws");
        write(&ws.path().join(".reins/workflows"), "c", "only ws");
        write(&home.path().join("workflows"), "a", "from home");
        write(&home.path().join("workflows"), "b", "only home");
        let policy = crate::workspace_file::secrets_only(ws.path());
        let l = list(ws.path(), Some(home.path()), &policy);
        let shown: Vec<(&str, &str)> = l
            .iter()
            .map(|l| (l.found.name.as_str(), l.description.as_deref().unwrap()))
            .collect();
        assert_eq!(
            shown,
            [("a", "from home"), ("b", "only home"), ("c", "only ws")]
        );
        let a = find("a", ws.path(), Some(home.path())).unwrap();
        assert!(a.path.starts_with(home.path()) && a.origin == Origin::User);
        assert!(a.shadow_warning().unwrap().contains("not the workspace's"));
        let err = find("zzz", ws.path(), Some(home.path())).unwrap_err();
        assert!(err.to_string().contains("zzz"), "{err}");
    }
}
