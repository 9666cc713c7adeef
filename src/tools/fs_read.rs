//! Reading tools: `read_file` (numbered, paged lines) and `list_dir` (an ignore-aware tree).

use super::files::{io_error, off_runtime};
use super::path_subject;
use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolResult};
use crate::types::{Effects, Subject, ToolKind};
use schemars::JsonSchema;
use serde::Deserialize;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Cursor, Read, Seek, SeekFrom};

const DEFAULT_LIMIT: usize = 2000;
const MAX_LINE_CHARS: usize = 2000;
/// A page is also cut by size so one read cannot flood the context with a minified file.
const MAX_PAGE_BYTES: usize = 256 * 1024;
const MAX_TREE_ENTRIES: usize = 1000;

pub struct ReadFile;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReadArgs {
    path: String,
    /// First line to show, 1-based (default 1).
    #[schemars(range(min = 1))]
    offset: Option<usize>,
    /// Number of lines to show (default 2000).
    #[schemars(range(min = 1, max = 10_000))]
    limit: Option<usize>,
}

impl Tool for ReadFile {
    fn name(&self) -> &str {
        "read_file"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/read_file.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<ReadArgs>()
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects::of(ToolKind::Read)
    }
    fn subjects(&self, args: &serde_json::Value) -> Vec<Subject> {
        path_subject(args)
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: ReadArgs = parse_args(self.name(), args)?;
            let path = ctx.resolve(&a.path)?;
            let page = Page {
                shown: a.path.clone(),
                offset: a.offset.unwrap_or(1),
                limit: a.limit.unwrap_or(DEFAULT_LIMIT),
            };
            let out = match ctx.open_shown(&a.path) {
                Ok((_, file, meta)) => match ctx.editor_text(&path).await? {
                    Some(text) => page.of_text(text)?,
                    None => page.of_file(file, meta.len()).await?,
                },
                // Not on disk: an editor may hold it unsaved.
                Err(refused) => match ctx.unsaved_text(&path).await? {
                    Some(text) => page.of_text(text)?,
                    None => return Err(refused),
                },
            };
            ctx.mark_seen(&path);
            Ok(out)
        })
    }
}

/// Which lines of which file `read_file` shows.
struct Page {
    shown: String,
    offset: usize,
    limit: usize,
}

impl Page {
    /// The page of a text held in memory (an editor's buffer).
    fn of_text(&self, text: String) -> ToolResult {
        let size = text.len() as u64;
        let bytes = Cursor::new(text.into_bytes());
        read_numbered(bytes, size, &self.shown, self.offset, self.limit)
    }

    /// The page of an open file, read on a blocking thread.
    async fn of_file(self, file: std::fs::File, size: u64) -> ToolResult {
        off_runtime("read_file", move || {
            read_numbered(file, size, &self.shown, self.offset, self.limit)
        })
        .await
    }
}

/// A reader over the file at its start, after refusing a binary file (a NUL in the first 8 KB).
fn text_reader<R: Read + Seek>(
    mut file: R,
    size: u64,
    shown: &str,
) -> Result<BufReader<R>, ToolError> {
    let mut head = [0u8; 8192];
    let n = file.read(&mut head).map_err(|e| io_error(shown, &e))?;
    if head[..n].contains(&0) {
        return Err(ToolError(format!(
            "`{shown}` is a binary file ({size} bytes); it cannot be shown as text"
        )));
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| io_error(shown, &e))?;
    Ok(BufReader::new(file))
}

fn read_numbered(
    file: impl Read + Seek,
    size: u64,
    shown: &str,
    offset: usize,
    limit: usize,
) -> ToolResult {
    let mut reader = text_reader(file, size, shown)?;
    let mut out = String::new();
    let mut buf = Vec::new();
    let (mut line_no, mut last_shown) = (0usize, 0usize);
    let end = offset.saturating_add(limit);
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| io_error(shown, &e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if line_no >= end || out.len() >= MAX_PAGE_BYTES {
            line_no += count_lines(&mut reader).map_err(|e| io_error(shown, &e))?;
            break;
        }
        if line_no < offset {
            continue;
        }
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim_end_matches(['\n', '\r']);
        push_line(&mut out, line_no, text);
        last_shown = line_no;
    }
    Ok(page_footer(out, shown, line_no, offset, last_shown).into())
}

/// Lines left in `reader` (a last line without a newline counts), counted without keeping them,
/// so the footer can say how far the file goes without holding a huge file in memory.
fn count_lines(reader: &mut impl BufRead) -> std::io::Result<usize> {
    let (mut lines, mut tail) = (0usize, false);
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(lines + usize::from(tail));
        }
        lines += chunk.iter().filter(|b| **b == b'\n').count();
        tail = chunk.last() != Some(&b'\n');
        let n = chunk.len();
        reader.consume(n);
    }
}

fn push_line(out: &mut String, n: usize, text: &str) {
    if text.chars().count() > MAX_LINE_CHARS {
        let cut: String = text.chars().take(MAX_LINE_CHARS).collect();
        let _ = writeln!(out, "{n:>6}\t{cut}… [line cut at {MAX_LINE_CHARS} chars]");
    } else {
        let _ = writeln!(out, "{n:>6}\t{text}");
    }
}

fn page_footer(mut out: String, shown: &str, total: usize, offset: usize, last: usize) -> String {
    if total == 0 {
        return format!("(`{shown}` is empty)");
    }
    if offset > total {
        return format!("(`{shown}` has only {total} lines; offset {offset} is past the end)");
    }
    if last < total {
        let _ = write!(
            out,
            "… showing lines {offset}-{last} of {total}; read on with offset={}",
            last + 1
        );
    }
    out
}

pub struct ListDir;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListArgs {
    /// Directory to list (default: the workspace root).
    path: Option<String>,
    /// How many levels to descend (default 2).
    #[schemars(range(min = 1, max = 20))]
    depth: Option<usize>,
}

impl Tool for ListDir {
    fn name(&self) -> &str {
        "list_dir"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/list_dir.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<ListArgs>()
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects::of(ToolKind::Read)
    }
    fn subjects(&self, args: &serde_json::Value) -> Vec<Subject> {
        path_subject(args)
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: ListArgs = parse_args(self.name(), args)?;
            let shown = a.path.unwrap_or_else(|| ".".into());
            let dir = ctx.resolve(&shown)?;
            let is_dir = ctx
                .fs
                .metadata(ctx.beneath(&dir)?)
                .map_err(|e| io_error(&shown, &e))?
                .is_some_and(|m| m.is_dir());
            if !is_dir {
                return Err(ToolError(format!("`{shown}` is not a directory")));
            }
            Ok(tree(ctx, &dir, a.depth.unwrap_or(2)).into())
        })
    }
}

/// The names under `dir`, indented by depth; names the read check refuses (secrets, read-deny
/// rules) are left out, as are entries no longer where the walk saw them.
fn tree(ctx: &ToolContext, dir: &std::path::Path, depth: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for entry in super::walk::walker(dir)
        .max_depth(Some(depth))
        .sort_by_file_name(|a, b| a.cmp(b))
        .build()
        .flatten()
    {
        if entry.depth() == 0 || !ctx.may_list(entry.path()) {
            continue;
        }
        count += 1;
        if count > MAX_TREE_ENTRIES {
            let _ = writeln!(
                out,
                "… more entries not shown; list a subdirectory or use glob"
            );
            break;
        }
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        let name = entry.file_name().to_string_lossy();
        let indent = "  ".repeat(entry.depth() - 1);
        let _ = writeln!(out, "{indent}{name}{}", if is_dir { "/" } else { "" });
    }
    if out.is_empty() {
        out.push_str("(empty directory)");
    }
    out
}
