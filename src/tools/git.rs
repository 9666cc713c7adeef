//! `git_status` and `git_diff` through libgit2: no `git` binary needed, and nothing the model
//! writes reaches a shell.

use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolResult};
use git2::{DiffFormat, DiffOptions, Repository, Status, StatusOptions};
use serde::Deserialize;
use serde_json::json;

const MAX_DIFF_BYTES: usize = 64 * 1024;

fn open(ctx: &ToolContext) -> Result<Repository, ToolError> {
    Repository::discover(&ctx.root).map_err(|_| {
        ToolError(
            "the workspace is not a git repository; use list_dir and read_file instead".into(),
        )
    })
}

pub struct GitStatus;

impl Tool for GitStatus {
    fn name(&self) -> &'static str {
        "git_status"
    }
    fn description(&self) -> &'static str {
        include_str!("../../prompts/tools/git_status.md")
    }
    fn parameters(&self) -> serde_json::Value {
        json!({"type": "object", "properties": {}})
    }
    fn run<'a>(&'a self, _args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move { status(&open(ctx)?).map_err(git_error) })
    }
}

fn status(repo: &Repository) -> Result<String, git2::Error> {
    let branch = match repo.head() {
        Ok(h) => h.shorthand().unwrap_or("(detached)").to_string(),
        Err(_) => "(no commits yet)".to_string(),
    };
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .renames_head_to_index(true);
    let statuses = repo.statuses(Some(&mut opts))?;
    let mut out = format!("branch: {branch}\n");
    for e in statuses.iter() {
        let code = status_code(e.status());
        if code != "  " {
            out.push_str(&format!("{code} {}\n", e.path().unwrap_or("?")));
        }
    }
    if statuses.is_empty() {
        out.push_str("clean: nothing to commit\n");
    }
    Ok(out)
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

#[derive(Deserialize)]
struct DiffArgs {
    path: Option<String>,
    #[serde(default)]
    staged: bool,
}

impl Tool for GitDiff {
    fn name(&self) -> &'static str {
        "git_diff"
    }
    fn description(&self) -> &'static str {
        include_str!("../../prompts/tools/git_diff.md")
    }
    fn parameters(&self) -> serde_json::Value {
        json!({"type": "object", "properties": {"path": {"type": "string"}, "staged": {"type": "boolean"}}})
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: DiffArgs = parse_args(self.name(), args)?;
            let repo = open(ctx)?;
            let pathspec = match &a.path {
                Some(p) => Some(repo_relative(&repo, &ctx.resolve(p)?)?),
                None => None,
            };
            diff(&repo, pathspec.as_deref(), a.staged).map_err(git_error)
        })
    }
}

fn repo_relative(repo: &Repository, path: &std::path::Path) -> Result<String, ToolError> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| ToolError("the repository has no working tree".into()))?;
    let workdir = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    Ok(crate::sandbox::paths::relative(&workdir, path))
}

fn diff(repo: &Repository, path: Option<&str>, staged: bool) -> Result<String, git2::Error> {
    let mut opts = DiffOptions::new();
    opts.include_untracked(!staged)
        .show_untracked_content(true)
        .recurse_untracked_dirs(true);
    if let Some(p) = path {
        opts.pathspec(p);
    }
    let head_tree = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let d = if staged {
        repo.diff_tree_to_index(head_tree.as_ref(), None, Some(&mut opts))?
    } else {
        repo.diff_index_to_workdir(None, Some(&mut opts))?
    };
    let mut out = String::new();
    d.print(DiffFormat::Patch, |_, _, line| {
        if matches!(line.origin(), '+' | '-' | ' ') {
            out.push(line.origin());
        }
        out.push_str(&String::from_utf8_lossy(line.content()));
        out.len() < MAX_DIFF_BYTES
    })
    .or_else(|e| {
        if e.code() == git2::ErrorCode::User {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    if out.len() >= MAX_DIFF_BYTES {
        out.push_str("\n[... diff cut at 64 KiB; pass path to see one file ...]\n");
    }
    if out.is_empty() {
        out = if staged {
            "no staged changes".into()
        } else {
            "no unstaged changes".into()
        };
    }
    Ok(out)
}

fn git_error(e: git2::Error) -> ToolError {
    ToolError(format!("git error: {}", e.message()))
}
