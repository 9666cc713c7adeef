//! The batch file: `[[task]]` tables, each an `exec` prompt or a `run` workflow, with the
//! workspace it runs in and any more flags.

use super::BatchError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchFile {
    /// A name for reports (default: the file's stem).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "task")]
    pub tasks: Vec<BatchTask>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchTask {
    pub name: String,
    /// The task for `reins exec`.
    #[serde(default)]
    pub prompt: Option<String>,
    /// The workflow for `reins run` (a name or a path); `prompt` is then its extra text.
    #[serde(default)]
    pub workflow: Option<String>,
    /// The workflow's `{{NAME}}` values.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// The workspace, relative to the batch file's folder (default: that folder).
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// More flags for `reins exec`/`run` (`-m MODEL`, `--max-steps N`, `--check CMD`…).
    #[serde(default)]
    pub flags: Vec<String>,
}

impl BatchFile {
    /// Reads and checks `path`: at least one task, unique names, each an exec or a run.
    pub fn load(path: &Path) -> Result<BatchFile, BatchError> {
        let text = std::fs::read_to_string(path).map_err(|source| BatchError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |message: String| BatchError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let mut file: BatchFile = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        if file.tasks.is_empty() {
            return Err(invalid("no [[task]] in the file".into()));
        }
        let mut seen = std::collections::HashSet::new();
        for t in &file.tasks {
            if !seen.insert(t.name.as_str()) {
                return Err(invalid(format!("two tasks are named `{}`", t.name)));
            }
            if t.prompt.is_none() && t.workflow.is_none() {
                return Err(invalid(format!(
                    "task `{}` has neither a prompt (reins exec) nor a workflow (reins run)",
                    t.name
                )));
            }
        }
        if file.name.is_none() {
            file.name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        }
        Ok(file)
    }

    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("batch")
    }
}

impl BatchTask {
    /// `exec` or `run`.
    pub fn command(&self) -> &'static str {
        if self.workflow.is_some() {
            "run"
        } else {
            "exec"
        }
    }

    /// The arguments of the `reins` process that runs this task from a batch file in `base`.
    pub fn args(&self, base: &Path) -> Vec<String> {
        let dir = match &self.dir {
            Some(d) => base.join(d),
            None => base.to_path_buf(),
        };
        let mut args = vec![self.command().to_string()];
        if let Some(w) = &self.workflow {
            args.push(w.clone());
            for (k, v) in &self.vars {
                args.extend(["--var".to_string(), format!("{k}={v}")]);
            }
        }
        args.extend(["--json".to_string(), "-C".into(), dir.display().to_string()]);
        args.extend(self.flags.iter().cloned());
        if let Some(p) = &self.prompt {
            // After `--`, so a prompt that starts with `-` is not read as a flag.
            args.extend(["--".to_string(), p.clone()]);
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<BatchFile, BatchError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nightly.toml");
        std::fs::write(&path, text).unwrap();
        BatchFile::load(&path)
    }

    #[test]
    fn exec_and_run_tasks_become_their_command_lines() {
        let file = load(
            r#"
[[task]]
name = "docs"
prompt = "-update the docs"
dir = "api"
flags = ["-m", "fast"]
[[task]]
name = "lint"
workflow = "fix-lint"
vars = { PACKAGE = "core" }
"#,
        )
        .unwrap();
        assert_eq!(file.name(), "nightly");
        let base = Path::new("/w");
        assert_eq!(
            file.tasks[0].args(base),
            [
                "exec",
                "--json",
                "-C",
                "/w/api",
                "-m",
                "fast",
                "--",
                "-update the docs"
            ]
        );
        assert_eq!(
            file.tasks[1].args(base),
            [
                "run",
                "fix-lint",
                "--var",
                "PACKAGE=core",
                "--json",
                "-C",
                "/w"
            ]
        );
    }

    #[test]
    fn a_task_must_say_what_to_run_and_names_are_unique() {
        let e = load("[[task]]\nname = \"a\"\n").unwrap_err().to_string();
        assert!(e.contains("neither a prompt"), "{e}");
        let e = load(
            "[[task]]\nname = \"a\"\nprompt = \"x\"\n[[task]]\nname = \"a\"\nprompt = \"y\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("two tasks are named `a`"), "{e}");
        assert!(load("name = \"x\"\n").is_err());
    }
}
