//! The suite file: defaults for every task, then `[[task]]` tables.

use super::EvalError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Used when neither the task nor the suite sets them.
const DEFAULT_MAX_STEPS: u32 = 30;
const DEFAULT_TIMEOUT_S: u64 = 600;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    name: Option<String>,
    #[serde(default)]
    models: Vec<String>,
    #[serde(default)]
    routes: Vec<String>,
    repeat: Option<u32>,
    max_steps: Option<u32>,
    max_cost: Option<f64>,
    timeout_s: Option<u64>,
    #[serde(rename = "task", default)]
    tasks: Vec<TaskFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskFile {
    name: String,
    fixture: Option<PathBuf>,
    /// A repository (relative to the suite file, found upward like git finds it) and a
    /// revision instead of a fixture: the kind `reins eval mine` writes.
    repo: Option<PathBuf>,
    rev: Option<String>,
    /// A patch applied on top of `rev` (the mined commit's test changes), relative to the suite.
    test_patch: Option<PathBuf>,
    prompt: Option<String>,
    workflow: Option<String>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    checks: Vec<String>,
    max_steps: Option<u32>,
    max_cost: Option<f64>,
    timeout_s: Option<u64>,
}

/// A loaded suite, its paths made absolute and every task's limits filled in.
#[derive(Debug, Clone)]
pub struct Suite {
    pub name: String,
    /// Configurations to evaluate when the command line names none.
    pub models: Vec<String>,
    pub routes: Vec<String>,
    pub repeat: Option<u32>,
    pub tasks: Vec<Task>,
}

/// What one task gives the agent, and how the harness judges it.
#[derive(Debug, Clone)]
pub struct Task {
    pub name: String,
    /// Where each run's fresh copy comes from.
    pub source: Source,
    pub job: Job,
    /// Run by the harness after the session, in the run's copy; never shown to the model.
    pub checks: Vec<String>,
    pub max_steps: u32,
    pub max_cost: Option<f64>,
    pub timeout_s: u64,
}

/// A task's starting tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A directory, copied.
    Fixture(PathBuf),
    /// A revision of a repository, exported, with an optional patch applied on top.
    Git {
        repo: PathBuf,
        rev: String,
        test_patch: Option<PathBuf>,
    },
}

#[derive(Debug, Clone)]
pub enum Job {
    Prompt(String),
    /// A workflow name, or a path (made absolute) to its file, and its variables.
    Workflow {
        name: String,
        vars: BTreeMap<String, String>,
    },
}

/// A task entry the suite cannot run, named, with what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    #[error("task `{task}`: fixture {} is not a directory", fixture.display())]
    NoFixture { task: String, fixture: PathBuf },
    #[error("task `{task}`: test_patch {} is not a file", patch.display())]
    NoTestPatch { task: String, patch: PathBuf },
    #[error("task `{task}`: set either `fixture`, or `repo` and `rev`")]
    Source { task: String },
    #[error("task `{task}`: `checks` is empty; without checks a run cannot be judged")]
    NoChecks { task: String },
    #[error("task `{task}`: set exactly one of `prompt` and `workflow`")]
    Job { task: String },
    #[error("task name `{task}`: use letters, digits, `-`, `_` and `.` only")]
    BadName { task: String },
    #[error("task name `{task}` appears twice")]
    Duplicate { task: String },
}

impl Suite {
    pub fn load(path: &Path) -> Result<Suite, EvalError> {
        let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |message: String| EvalError::Suite {
            path: path.to_path_buf(),
            message,
        };
        let file: SuiteFile = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let tasks = file
            .tasks
            .iter()
            .map(|t| task(t, &file, &dir).map_err(|e| invalid(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        check_names(&tasks).map_err(|e| invalid(e.to_string()))?;
        Ok(Suite {
            name: file.name.clone().unwrap_or_else(|| stem(path)),
            models: file.models,
            routes: file.routes,
            repeat: file.repeat,
            tasks,
        })
    }

    /// Only the tasks whose name contains one of `filters` (all of them when there are none).
    pub fn filter(&mut self, filters: &[String]) {
        if !filters.is_empty() {
            self.tasks
                .retain(|t| filters.iter().any(|f| t.name.contains(f.as_str())));
        }
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "suite".into(), |s| s.to_string_lossy().into_owned())
}

fn source(t: &TaskFile, dir: &Path) -> Result<Source, TaskError> {
    let task = || t.name.clone();
    match (&t.fixture, &t.repo, &t.rev) {
        (Some(f), None, None) => {
            let fixture = dir.join(f);
            if !fixture.is_dir() {
                return Err(TaskError::NoFixture {
                    task: task(),
                    fixture,
                });
            }
            Ok(Source::Fixture(fixture))
        }
        (None, Some(repo), Some(rev)) => {
            let test_patch = t.test_patch.as_ref().map(|p| dir.join(p));
            if let Some(p) = test_patch.as_ref().filter(|p| !p.is_file()) {
                return Err(TaskError::NoTestPatch {
                    task: task(),
                    patch: p.clone(),
                });
            }
            Ok(Source::Git {
                repo: dir.join(repo),
                rev: rev.clone(),
                test_patch,
            })
        }
        _ => Err(TaskError::Source { task: task() }),
    }
}

fn task(t: &TaskFile, suite: &SuiteFile, dir: &Path) -> Result<Task, TaskError> {
    let source = source(t, dir)?;
    if t.checks.is_empty() {
        return Err(TaskError::NoChecks {
            task: t.name.clone(),
        });
    }
    let job = match (&t.prompt, &t.workflow) {
        (Some(p), None) => Job::Prompt(p.clone()),
        (None, Some(w)) => Job::Workflow {
            name: workflow_ref(w, dir),
            vars: t.vars.clone(),
        },
        _ => {
            return Err(TaskError::Job {
                task: t.name.clone(),
            })
        }
    };
    Ok(Task {
        name: t.name.clone(),
        source,
        job,
        checks: t.checks.clone(),
        max_steps: t.max_steps.or(suite.max_steps).unwrap_or(DEFAULT_MAX_STEPS),
        max_cost: t.max_cost.or(suite.max_cost),
        timeout_s: t.timeout_s.or(suite.timeout_s).unwrap_or(DEFAULT_TIMEOUT_S),
    })
}

/// A workflow path is relative to the suite file; a bare name is looked up by `reins run` in
/// the run's copy and `$REINS_HOME`.
fn workflow_ref(w: &str, dir: &Path) -> String {
    if w.contains('/') || w.ends_with(".toml") {
        dir.join(w).display().to_string()
    } else {
        w.to_string()
    }
}

/// Names appear in file names and in `{task}` model patterns: short, plain and unique.
fn check_names(tasks: &[Task]) -> Result<(), TaskError> {
    let mut seen = std::collections::BTreeSet::new();
    for t in tasks {
        let plain = !t.name.is_empty()
            && t.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !plain {
            return Err(TaskError::BadName {
                task: t.name.clone(),
            });
        }
        if !seen.insert(t.name.as_str()) {
            return Err(TaskError::Duplicate {
                task: t.name.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite_in(dir: &Path, body: &str) -> Result<Suite, EvalError> {
        std::fs::create_dir_all(dir.join("fx")).unwrap();
        let p = dir.join("s.toml");
        std::fs::write(&p, body).unwrap();
        Suite::load(&p)
    }

    #[test]
    fn tasks_inherit_suite_limits_and_resolve_fixtures() {
        let d = tempfile::tempdir().unwrap();
        let s = suite_in(
            d.path(),
            "max_steps = 7\n[[task]]\nname = \"a\"\nfixture = \"fx\"\nprompt = \"p\"\nchecks = [\"true\"]\ntimeout_s = 5\n",
        )
        .unwrap();
        assert_eq!(s.name, "s");
        let t = &s.tasks[0];
        assert_eq!((t.max_steps, t.timeout_s), (7, 5));
        let Source::Fixture(f) = &t.source else {
            panic!("{:?}", t.source)
        };
        assert!(f.is_absolute() && f.ends_with("fx"));
    }

    #[test]
    fn a_task_can_start_from_a_revision_with_a_patch() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("t.patch"), "").unwrap();
        let s = suite_in(
            d.path(),
            "[[task]]\nname = \"a\"\nrepo = \".\"\nrev = \"abc\"\ntest_patch = \"t.patch\"\nprompt = \"p\"\nchecks = [\"true\"]\n",
        )
        .unwrap();
        let Source::Git {
            repo,
            rev,
            test_patch,
        } = &s.tasks[0].source
        else {
            panic!("{:?}", s.tasks[0].source)
        };
        assert!(repo.is_absolute());
        assert_eq!(rev, "abc");
        assert!(test_patch.as_ref().unwrap().ends_with("t.patch"));
        let both = "[[task]]\nname = \"a\"\nfixture = \"fx\"\nrepo = \".\"\nrev = \"x\"\nprompt = \"p\"\nchecks = [\"true\"]\n";
        assert!(suite_in(d.path(), both).is_err());
    }

    #[test]
    fn bad_tasks_are_named() {
        let d = tempfile::tempdir().unwrap();
        let both = "[[task]]\nname = \"a\"\nfixture = \"fx\"\nprompt = \"p\"\nworkflow = \"w\"\nchecks = [\"true\"]\n";
        let err = suite_in(d.path(), both).unwrap_err().to_string();
        assert!(
            err.contains("task `a`") && err.contains("exactly one"),
            "{err}"
        );
        let twice =
            "[[task]]\nname = \"a\"\nfixture = \"fx\"\nprompt = \"p\"\nchecks = [\"true\"]\n"
                .repeat(2);
        let err = suite_in(d.path(), &twice).unwrap_err().to_string();
        assert!(err.contains("appears twice"), "{err}");
        let missing =
            "[[task]]\nname = \"a\"\nfixture = \"nope\"\nprompt = \"p\"\nchecks = [\"true\"]\n";
        assert!(suite_in(d.path(), missing)
            .unwrap_err()
            .to_string()
            .contains("nope"));
    }
}
