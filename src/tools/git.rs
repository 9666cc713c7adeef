//! `git_status` and `git_diff` through libgit2: no `git` binary, so nothing the repository's
//! config names (hooks, fsmonitor, filter drivers, textconv, an external diff) runs, and nothing
//! the model writes reaches a shell. They show what the file tools could show and no more: only
//! paths inside the workspace (which may be a folder of a larger repository), never the names or
//! the content of files the read policy refuses (secret-looking files, read-deny rules), like
//! `glob` and `list_dir`; and their output is capped.

use super::path_subject;
use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolOutput, ToolResult};
use crate::types::{Effects, Subject, ToolKind};
use git2::{DiffDelta, DiffFormat, DiffOptions, Repository, Status, StatusOptions};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A changed file in a diff: its old and new paths.
type DeltaKey = (Option<PathBuf>, Option<PathBuf>);

const MAX_DIFF_BYTES: usize = 64 * 1024;
/// Paths listed by `git_status`; the rest are counted, and not checked against the read
/// policy (which costs a glob match per path).
const MAX_STATUS_LINES: usize = 200;
/// Files larger than this are diffed as binary: their content is neither loaded nor shown.
const MAX_FILE_BYTES: i64 = 1024 * 1024;

/// The workspace's repository and where the workspace lies in it.
struct Repo {
    repo: Repository,
    /// The workspace relative to the working tree, `/`-terminated; empty at the top.
    prefix: String,
}

/// How a repository path may be shown.
enum Seen {
    /// Workspace-relative.
    Shown(String),
    /// Refused by the read policy: neither its name nor its content is shown.
    Hidden,
    /// Outside the workspace: not part of what the tools cover.
    Outside,
}

impl Repo {
    fn open(ctx: &ToolContext) -> Result<Repo, ToolError> {
        let repo = match crate::workspace::repo::open(&ctx.root) {
            Ok(Some(repo)) => repo,
            Ok(None) => {
                return Err(ToolError(
                    "the workspace is not a git repository; use list_dir and read_file instead"
                        .into(),
                ))
            }
            Err(e) => {
                return Err(ToolError(format!(
                    "{e}; use list_dir and read_file instead"
                )))
            }
        };
        let workdir = repo
            .workdir()
            .and_then(|w| w.canonicalize().ok())
            .ok_or_else(|| ToolError("the repository has no working tree".into()))?;
        let rel = ctx.root.strip_prefix(&workdir).unwrap_or(Path::new(""));
        let mut prefix = rel.to_string_lossy().into_owned();
        if !prefix.is_empty() {
            prefix.push('/');
        }
        Ok(Repo { repo, prefix })
    }

    /// The pathspec limiting git to the workspace and, within it, to `rel`.
    fn pathspec(&self, rel: Option<&str>) -> Option<String> {
        let spec = format!("{}{}", self.prefix, rel.unwrap_or_default());
        let spec = spec.trim_end_matches('/');
        (!spec.is_empty() && spec != ".").then(|| spec.to_string())
    }

    fn seen(&self, ctx: &ToolContext, repo_path: &str) -> Seen {
        let Some(rel) = repo_path.strip_prefix(&self.prefix) else {
            return Seen::Outside;
        };
        match ctx.check_read(&ctx.root.join(rel)) {
            Ok(()) => Seen::Shown(rel.to_string()),
            Err(_) => Seen::Hidden,
        }
    }
}

pub struct GitStatus;

/// No arguments.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct StatusArgs {}

impl Tool for GitStatus {
    fn name(&self) -> &str {
        "git_status"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/git_status.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<StatusArgs>()
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects::of(ToolKind::Read)
    }
    fn subjects(&self, _args: &serde_json::Value) -> Vec<Subject> {
        Vec::new()
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let _: StatusArgs = parse_args(self.name(), args)?;
            status(&Repo::open(ctx)?, ctx)
                .map(ToolOutput::from)
                .map_err(git_error)
        })
    }
}

fn status(repo: &Repo, ctx: &ToolContext) -> Result<String, git2::Error> {
    let branch = match repo.repo.head() {
        Ok(h) => h.shorthand().unwrap_or("(detached)").to_string(),
        Err(_) => "(no commits yet)".to_string(),
    };
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .renames_head_to_index(true)
        .disable_pathspec_match(true);
    if let Some(spec) = repo.pathspec(None) {
        opts.pathspec(spec);
    }
    let statuses = repo.repo.statuses(Some(&mut opts))?;
    let (mut lines, mut hidden, mut more) = (Vec::new(), 0, 0);
    for e in statuses.iter() {
        let code = status_code(e.status());
        let path = String::from_utf8_lossy(e.path_bytes());
        if code == "  " || !path.starts_with(&repo.prefix) {
            continue;
        }
        if lines.len() == MAX_STATUS_LINES {
            more += 1;
            continue;
        }
        match repo.seen(ctx, &path) {
            Seen::Shown(rel) => lines.push(format!("{code} {rel}")),
            Seen::Hidden => hidden += 1,
            Seen::Outside => {}
        }
    }
    let mut out = format!("branch: {branch}\n");
    for line in &lines {
        out.push_str(line);
        out.push('\n');
    }
    if more > 0 {
        out.push_str(&format!(
            "[... {more} more changed paths not listed; use git_diff with a path, or list_dir, to look closer ...]\n"
        ));
    }
    if lines.is_empty() && hidden == 0 {
        out.push_str("clean: nothing to commit\n");
    }
    out.push_str(&hidden_note(hidden));
    Ok(out)
}

/// Says that `n` changed paths were left out, without naming them.
fn hidden_note(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => "[1 changed path is not shown: the read policy refuses it (secret-looking, or a read deny rule)]\n".into(),
        n => format!("[{n} changed paths are not shown: the read policy refuses them (secret-looking, or read deny rules)]\n"),
    }
}

/// The two-letter code of `git status --short`: index then worktree.
fn status_code(s: Status) -> String {
    if s.contains(Status::WT_NEW) {
        return "??".into();
    }
    let index = if s.contains(Status::INDEX_NEW) {
        'A'
    } else if s.contains(Status::INDEX_MODIFIED) {
        'M'
    } else if s.contains(Status::INDEX_DELETED) {
        'D'
    } else if s.contains(Status::INDEX_RENAMED) {
        'R'
    } else {
        ' '
    };
    let wt = if s.contains(Status::WT_MODIFIED) {
        'M'
    } else if s.contains(Status::WT_DELETED) {
        'D'
    } else if s.contains(Status::WT_RENAMED) {
        'R'
    } else {
        ' '
    };
    format!("{index}{wt}")
}

pub struct GitDiff;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DiffArgs {
    /// Only this file or directory.
    path: Option<String>,
    /// Show staged changes (index vs HEAD) instead of unstaged ones.
    #[serde(default)]
    staged: bool,
}

impl Tool for GitDiff {
    fn name(&self) -> &str {
        "git_diff"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/git_diff.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<DiffArgs>()
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects::of(ToolKind::Read)
    }
    fn subjects(&self, args: &serde_json::Value) -> Vec<Subject> {
        path_subject(args)
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: DiffArgs = parse_args(self.name(), args)?;
            let repo = Repo::open(ctx)?;
            let rel = match &a.path {
                Some(p) => Some(ctx.relative(&ctx.resolve(p)?)),
                None => None,
            };
            diff(&repo, ctx, rel.as_deref(), a.staged)
                .map(ToolOutput::from)
                .map_err(git_error)
        })
    }
}

fn diff(
    repo: &Repo,
    ctx: &ToolContext,
    rel: Option<&str>,
    staged: bool,
) -> Result<String, git2::Error> {
    let mut opts = DiffOptions::new();
    opts.include_untracked(!staged)
        .show_untracked_content(true)
        .recurse_untracked_dirs(true)
        .disable_pathspec_match(true)
        .max_size(MAX_FILE_BYTES);
    if let Some(spec) = repo.pathspec(rel) {
        opts.pathspec(spec);
    }
    let git = &repo.repo;
    let head_tree = git.head().ok().and_then(|h| h.peel_to_tree().ok());
    let d = if staged {
        git.diff_tree_to_index(head_tree.as_ref(), None, Some(&mut opts))?
    } else {
        git.diff_index_to_workdir(None, Some(&mut opts))?
    };
    let mut out = String::new();
    // Each file's verdict, by its paths: the callback runs once per line.
    let mut verdicts: HashMap<DeltaKey, bool> = HashMap::new();
    d.print(DiffFormat::Patch, |delta, _, line| {
        let key = (
            delta.old_file().path().map(Path::to_path_buf),
            delta.new_file().path().map(Path::to_path_buf),
        );
        let shown = *verdicts
            .entry(key)
            .or_insert_with(|| delta_shown(repo, ctx, &delta));
        if !shown {
            return true;
        }
        let content = String::from_utf8_lossy(line.content());
        match line.origin() {
            origin @ ('+' | '-' | ' ') => {
                out.push(origin);
                out.push_str(&content);
            }
            'F' => out.push_str(&workspace_header(&content, &repo.prefix)),
            _ => out.push_str(&content),
        }
        out.len() < MAX_DIFF_BYTES
    })
    .or_else(|e| match e.code() {
        git2::ErrorCode::User => Ok(()),
        _ => Err(e),
    })?;
    if out.len() >= MAX_DIFF_BYTES {
        out.push_str("\n[... diff cut at 64 KiB; pass path to see one file ...]\n");
    }
    if out.is_empty() {
        out = match staged {
            true => "no staged changes\n".into(),
            false => "no unstaged changes\n".into(),
        };
    }
    out.push_str(&hidden_note(verdicts.values().filter(|v| !**v).count()));
    Ok(out)
}

/// Whether both sides of a changed file may be shown: inside the workspace and readable.
fn delta_shown(repo: &Repo, ctx: &ToolContext, delta: &DiffDelta<'_>) -> bool {
    [delta.old_file().path(), delta.new_file().path()]
        .into_iter()
        .flatten()
        .all(|p| matches!(repo.seen(ctx, &p.to_string_lossy()), Seen::Shown(_)))
}

/// A file header with its paths made workspace-relative (`a/sub/x` is `a/x` when the workspace
/// is the repository's `sub/`), so they work with the file tools.
fn workspace_header(header: &str, prefix: &str) -> String {
    if prefix.is_empty() {
        return header.to_string();
    }
    header
        .replace(&format!("a/{prefix}"), "a/")
        .replace(&format!("b/{prefix}"), "b/")
}

fn git_error(e: git2::Error) -> ToolError {
    ToolError(format!("git error: {}", e.message()))
}
