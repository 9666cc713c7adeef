//! `reins eval mine`: turns a repository's history into an eval suite. Every commit that changes
//! code and tests together is a candidate; its task starts from the parent commit with the
//! commit's test changes applied, asks in the commit's own words (its message, never its diff)
//! for the change, and is judged by the test command narrowed to the changed tests. A candidate
//! is kept only when those checks fail on the prepared workspace and pass on the commit itself,
//! both run in the sandbox the agent gets: so every mined task is solvable and not already
//! solved. Tasks name the repository and revision (`repo`, `rev`) and a test patch stored beside
//! the suite instead of copying trees.

mod ecosystem;

use super::runner::{export_revision, run_checks};
use ecosystem::Ecosystem;
use git2::{Delta, Oid, Repository, Sort};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What `reins eval mine` was asked.
#[derive(Debug, Clone)]
pub struct MineOptions {
    /// Any path inside the repository.
    pub repo: PathBuf,
    /// Walk back to this revision (excluded); the whole history without it.
    pub since: Option<String>,
    /// Stop once this many tasks are kept.
    pub max_tasks: Option<usize>,
    /// Look at no more than this many commits.
    pub max_commits: Option<usize>,
    /// Only commits changing a path that matches one of these globs.
    pub paths: Vec<String>,
    /// The test command with `{tests}` for the changed test files, instead of the detected one.
    pub test_cmd: Option<String>,
    pub out: PathBuf,
    /// Classify only: count the candidates without running their tests (nothing is kept).
    pub dry_run: bool,
    /// Per check run.
    pub timeout: Duration,
    pub check_env: Vec<(OsString, OsString)>,
    pub allow_unsandboxed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum MineError {
    #[error("no git repository at {path}: {message}")]
    NoRepo { path: PathBuf, message: String },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("bad --paths glob `{glob}`: {message}")]
    Glob { glob: String, message: String },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why a commit did not become a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dropped {
    /// Merges and the root commit have no single parent to start from.
    NotSingleParent,
    OutsidePaths,
    NoTestChange,
    NoCodeChange,
    SeveralEcosystems,
    NoTestCommand,
    CannotPrepare,
    PassesBefore,
    FailsAfter,
}

impl Dropped {
    pub fn describe(self) -> &'static str {
        match self {
            Dropped::NotSingleParent => "a merge or the root commit",
            Dropped::OutsidePaths => "touches nothing under --paths",
            Dropped::NoTestChange => "changes no test file",
            Dropped::NoCodeChange => "changes tests but no code",
            Dropped::SeveralEcosystems => "changes tests of several ecosystems",
            Dropped::NoTestCommand => "no test command runs just the changed tests",
            Dropped::CannotPrepare => "the workspace could not be prepared",
            Dropped::PassesBefore => "the tests already pass before the change",
            Dropped::FailsAfter => "the tests fail with the commit's own code",
        }
    }
}

/// What a mining run found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MineSummary {
    pub commits: usize,
    /// Commits that change code and tests together (before running anything).
    pub candidates: usize,
    pub kept: Vec<String>,
    pub dropped: BTreeMap<Dropped, usize>,
    pub suite: PathBuf,
}

/// A candidate: the commit, its changed tests and the command narrowed to them.
struct Candidate {
    oid: Oid,
    parent: Oid,
    subject: String,
    message: String,
    tests: Vec<String>,
    command: String,
}

/// One task as the suite file spells it.
#[derive(Serialize)]
struct TaskOut {
    name: String,
    repo: String,
    rev: String,
    test_patch: String,
    prompt: String,
    checks: Vec<String>,
}

#[derive(Serialize)]
struct SuiteOut {
    name: String,
    timeout_s: u64,
    task: Vec<TaskOut>,
}

/// Walks the history, verifies each candidate, and writes `out/suite.toml` and `out/patches/`.
/// `progress` gets one line per commit looked at.
pub async fn mine(
    opts: &MineOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<MineSummary, MineError> {
    let repo = Repository::discover(&opts.repo).map_err(|e| MineError::NoRepo {
        path: opts.repo.clone(),
        message: e.message().to_string(),
    })?;
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .ok_or_else(|| MineError::NoRepo {
            path: opts.repo.clone(),
            message: "a bare repository has no work tree".into(),
        })?;
    let globs = globs(&opts.paths)?;
    let oids = walk(&repo, opts)?;
    let mut summary = MineSummary {
        commits: oids.len(),
        ..Default::default()
    };
    let patches = opts.out.join("patches");
    std::fs::create_dir_all(&patches).map_err(|source| MineError::Write {
        path: patches.clone(),
        source,
    })?;
    let mut tasks = Vec::new();
    let width = oids.len().to_string().len();
    for (i, oid) in oids.iter().enumerate() {
        if opts.max_tasks.is_some_and(|m| tasks.len() >= m) {
            break;
        }
        let short = short(*oid);
        let verdict = match candidate(&repo, *oid, &globs, opts) {
            Err(why) => Err(why),
            Ok(c) => {
                summary.candidates += 1;
                if opts.dry_run {
                    progress(&format!(
                        "[{:>width$}/{}] {short} candidate: {} ({})",
                        i + 1,
                        oids.len(),
                        c.subject,
                        c.command
                    ));
                    continue;
                }
                verify(&repo, &root, &c, opts, &patches)
                    .await
                    .map(|t| (c, t))
            }
        };
        let line = match verdict {
            Ok((c, task)) => {
                summary.kept.push(task.name.clone());
                tasks.push(task);
                format!("kept: {}", c.subject)
            }
            Err(why) => {
                *summary.dropped.entry(why).or_default() += 1;
                format!("dropped: {}", why.describe())
            }
        };
        progress(&format!(
            "[{:>width$}/{}] {short} {line}",
            i + 1,
            oids.len()
        ));
    }
    summary.suite = opts.out.join("suite.toml");
    write_suite(&summary.suite, tasks, opts)?;
    Ok(summary)
}

fn globs(paths: &[String]) -> Result<Option<globset::GlobSet>, MineError> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut b = globset::GlobSetBuilder::new();
    for p in paths {
        let g = globset::Glob::new(p).map_err(|e| MineError::Glob {
            glob: p.clone(),
            message: e.to_string(),
        })?;
        b.add(g);
    }
    b.build().map(Some).map_err(|e| MineError::Glob {
        glob: paths.join(", "),
        message: e.to_string(),
    })
}

/// The commits to look at, newest first.
fn walk(repo: &Repository, opts: &MineOptions) -> Result<Vec<Oid>, MineError> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
    walk.push_head()?;
    if let Some(since) = &opts.since {
        let obj = repo.revparse_single(since)?;
        walk.hide(obj.peel_to_commit()?.id())?;
    }
    let mut out = Vec::new();
    for oid in walk {
        if opts.max_commits.is_some_and(|m| out.len() >= m) {
            break;
        }
        out.push(oid?);
    }
    Ok(out)
}

fn short(oid: Oid) -> String {
    oid.to_string()[..7].to_string()
}

/// Classifies a commit without running anything.
fn candidate(
    repo: &Repository,
    oid: Oid,
    globs: &Option<globset::GlobSet>,
    opts: &MineOptions,
) -> Result<Candidate, Dropped> {
    let commit = repo.find_commit(oid).map_err(|_| Dropped::CannotPrepare)?;
    if commit.parent_count() != 1 {
        return Err(Dropped::NotSingleParent);
    }
    let parent = commit.parent(0).map_err(|_| Dropped::CannotPrepare)?;
    let (old, new) = (
        parent.tree().map_err(|_| Dropped::CannotPrepare)?,
        commit.tree().map_err(|_| Dropped::CannotPrepare)?,
    );
    let diff = repo
        .diff_tree_to_tree(Some(&old), Some(&new), None)
        .map_err(|_| Dropped::CannotPrepare)?;
    let mut changed = Vec::new();
    for d in diff.deltas() {
        if let Some(p) = d.new_file().path().or_else(|| d.old_file().path()) {
            changed.push((p.to_string_lossy().into_owned(), d.status()));
        }
    }
    if let Some(g) = globs {
        if !changed.iter().any(|(p, _)| g.is_match(p)) {
            return Err(Dropped::OutsidePaths);
        }
    }
    // Tests the commit adds or changes (deleted ones have nothing to run).
    let tests: Vec<(String, Ecosystem)> = changed
        .iter()
        .filter(|(_, s)| *s != Delta::Deleted)
        .filter_map(|(p, _)| ecosystem::test_file(p).map(|e| (p.clone(), e)))
        .collect();
    if tests.is_empty() {
        return Err(Dropped::NoTestChange);
    }
    if !changed.iter().any(|(p, _)| ecosystem::code_file(p)) {
        return Err(Dropped::NoCodeChange);
    }
    let ecos: BTreeSet<Ecosystem> = tests.iter().map(|(_, e)| *e).collect();
    let paths: Vec<String> = tests.iter().map(|(p, _)| p.clone()).collect();
    let command = match &opts.test_cmd {
        Some(cmd) => {
            let quoted: Vec<String> = paths.iter().map(|p| ecosystem::quote(p)).collect();
            cmd.replace("{tests}", &quoted.join(" "))
        }
        None => {
            if ecos.len() != 1 {
                return Err(Dropped::SeveralEcosystems);
            }
            let eco = *ecos.iter().next().ok_or(Dropped::NoTestChange)?;
            let project = project_at(repo, &new);
            ecosystem::command(eco, &paths, &project).map_err(|_| Dropped::NoTestCommand)?
        }
    };
    let message = String::from_utf8_lossy(commit.message_bytes())
        .trim()
        .to_string();
    Ok(Candidate {
        oid,
        parent: parent.id(),
        subject: message.lines().next().unwrap_or("").to_string(),
        message,
        tests: paths,
        command,
    })
}

/// The root of the tree, as the runner detection needs it.
fn project_at(repo: &Repository, tree: &git2::Tree<'_>) -> ecosystem::Project {
    let names: BTreeSet<String> = tree
        .iter()
        .filter_map(|e| e.name().ok().map(str::to_string))
        .collect();
    let read = |p: &Path| -> Option<String> {
        let entry = tree.get_path(p).ok()?;
        let blob = entry.to_object(repo).ok()?.peel_to_blob().ok()?;
        Some(String::from_utf8_lossy(blob.content()).into_owned())
    };
    ecosystem::project(names, &read)
}

/// Runs the candidate's checks on the parent with the test patch (must fail) and on the commit
/// (must pass); on success writes the patch and returns the task.
async fn verify(
    repo: &Repository,
    root: &Path,
    c: &Candidate,
    opts: &MineOptions,
    patches: &Path,
) -> Result<TaskOut, Dropped> {
    let old = repo
        .find_commit(c.parent)
        .and_then(|p| p.tree())
        .map_err(|_| Dropped::CannotPrepare)?;
    let new = repo
        .find_commit(c.oid)
        .and_then(|p| p.tree())
        .map_err(|_| Dropped::CannotPrepare)?;
    let patch =
        super::gitsource::patch(repo, &old, &new, &c.tests).map_err(|_| Dropped::CannotPrepare)?;
    let patch_file = patches.join(format!("{}.patch", short(c.oid)));
    std::fs::write(&patch_file, &patch).map_err(|_| Dropped::CannotPrepare)?;
    let checks = vec![c.command.clone()];
    let tmp = tempfile::Builder::new()
        .prefix("reins-mine-")
        .tempdir()
        .map_err(|_| Dropped::CannotPrepare)?;
    let before = tmp.path().join("before");
    let prepared = export_revision(root, &c.parent.to_string(), Some(&patch_file), &before);
    let fail = |why| {
        let _ = std::fs::remove_file(&patch_file);
        why
    };
    prepared.map_err(|_| fail(Dropped::CannotPrepare))?;
    let run = |dir: PathBuf| {
        let checks = checks.clone();
        async move {
            run_checks(
                &opts.check_env,
                opts.allow_unsandboxed,
                &checks,
                &dir,
                opts.timeout,
            )
            .await
        }
    };
    if run(before).await.iter().all(|r| r.passed) {
        return Err(fail(Dropped::PassesBefore));
    }
    let after = tmp.path().join("after");
    export_revision(root, &c.oid.to_string(), None, &after)
        .map_err(|_| fail(Dropped::CannotPrepare))?;
    if !run(after).await.iter().all(|r| r.passed) {
        return Err(fail(Dropped::FailsAfter));
    }
    Ok(TaskOut {
        name: task_name(c),
        repo: repo_ref(root, &opts.out),
        rev: c.parent.to_string(),
        test_patch: format!("patches/{}.patch", short(c.oid)),
        prompt: c.message.clone(),
        checks,
    })
}

/// `abc1234-add-subtraction`: the short id and the subject's first words.
fn task_name(c: &Candidate) -> String {
    let mut slug = String::new();
    for ch in c.subject.chars().flat_map(char::to_lowercase) {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        short(c.oid)
    } else {
        format!("{}-{slug}", short(c.oid))
    }
}

/// `.` when the suite sits inside the repository (it is found upward from there, as git finds
/// it), else the repository's absolute path.
fn repo_ref(root: &Path, out: &Path) -> String {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    if canon(out).starts_with(canon(root)) {
        ".".into()
    } else {
        canon(root).display().to_string()
    }
}

fn write_suite(path: &Path, task: Vec<TaskOut>, opts: &MineOptions) -> Result<(), MineError> {
    let name = opts
        .repo
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .map_or_else(|| "mined".to_string(), |n| format!("mined-{n}"));
    let suite = SuiteOut {
        name,
        timeout_s: opts.timeout.as_secs(),
        task,
    };
    let body = toml::to_string(&suite).map_err(|e| MineError::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    let text = format!(
        "# Mined by `reins eval mine`: each task starts from `rev` with `test_patch` applied and\n# is judged by `checks`; see docs/evals.md.\n{body}"
    );
    crate::fsutil::write_atomic(path, text.as_bytes()).map_err(|source| MineError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The summary a person reads: counts, then why the rest were dropped.
pub fn render_summary(s: &MineSummary) -> String {
    let mut out = format!(
        "{} commits looked at, {} changed code and tests together, {} kept → {}\n",
        s.commits,
        s.candidates,
        s.kept.len(),
        s.suite.display()
    );
    for (why, n) in &s.dropped {
        out.push_str(&format!("  {n:>5} dropped: {}\n", why.describe()));
    }
    out
}
