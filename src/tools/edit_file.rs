//! `edit_file`: replace one exact, unique occurrence of a block. When the block is missing or not
//! unique, the error shows the closest lines so the model can resend a block that matches.

use super::path_subject;
use super::{parse_args, BoxFuture, Tool, ToolContext, ToolError, ToolOutput, ToolResult};
use crate::types::{Effects, Subject};
use schemars::JsonSchema;
use serde::Deserialize;
use std::path::Path;

pub struct EditFile;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    path: String,
    old_string: String,
    new_string: String,
    #[serde(default)]
    replace_all: bool,
}

impl Tool for EditFile {
    fn name(&self) -> &str {
        "edit_file"
    }
    fn description(&self) -> &str {
        include_str!("../../prompts/tools/edit_file.md")
    }
    fn parameters(&self) -> serde_json::Value {
        super::schema_for::<Args>()
    }
    fn effects(&self, _args: &serde_json::Value) -> Effects {
        Effects::edit()
    }
    fn subjects(&self, args: &serde_json::Value) -> Vec<Subject> {
        path_subject(args)
    }
    fn run<'a>(&'a self, args: &'a str, ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: Args = parse_args(self.name(), args)?;
            let path = ctx.resolve(&a.path)?;
            ctx.check_write(&path)?;
            let Some((old, meta)) = ctx.read_for_change(&path, &a.path).await? else {
                return Err(ToolError(format!(
                    "`{}` does not exist; create it with write_file",
                    a.path
                )));
            };
            let modified = meta.and_then(|m| m.modified().ok());
            check_unchanged_since_read(ctx, &path, modified, &a.path)?;
            let new = replace(&old, &a)?;
            ctx.write_whole(&path, &new, &a.path).await?;
            ctx.mark_seen(&path);
            let rel = ctx.relative(&path);
            let diff = crate::diff::unified(&rel, Some(&old), Some(&new));
            Ok(ToolOutput {
                text: format!(
                    "edited `{rel}`\n{}",
                    super::output_cap::cap_diff(diff, &rel)
                ),
                exit: None,
                changed: vec![rel],
                plan: None,
                images: Vec::new(),
            })
        })
    }
}

/// Refuses an edit to a file whose modification time (`now`, from the open file) differs from
/// when the model last read or wrote it.
fn check_unchanged_since_read(
    ctx: &ToolContext,
    path: &Path,
    now: Option<std::time::SystemTime>,
    shown: &str,
) -> Result<(), ToolError> {
    let seen = ctx
        .traces
        .seen
        .lock()
        .ok()
        .and_then(|s| s.get(path).copied());
    match (seen, now) {
        (Some(seen), Some(now)) if seen != now => Err(ToolError(format!(
            "`{shown}` changed on disk since you last read it; read it again before editing"
        ))),
        _ => Ok(()),
    }
}

fn replace(text: &str, a: &Args) -> Result<String, ToolError> {
    if a.old_string.is_empty() {
        return Err(ToolError(
            "old_string is empty; to create or overwrite a file use write_file".into(),
        ));
    }
    if a.old_string == a.new_string {
        return Err(ToolError(
            "old_string and new_string are the same; nothing to change".into(),
        ));
    }
    let count = text.matches(&a.old_string).count();
    match count {
        0 => match super::fuzzy_edit::replace(text, &a.old_string, &a.new_string) {
            Ok(out) => Ok(out),
            Err(super::fuzzy_edit::Miss::Ambiguous(why)) => Err(ToolError(format!(
                "old_string is not in `{}` exactly, and leniently {why}; include more surrounding lines to make it unique",
                a.path
            ))),
            Err(super::fuzzy_edit::Miss::NotFound) => Err(ToolError(not_found_message(text, &a.path, &a.old_string))),
        },
        1 => Ok(text.replacen(&a.old_string, &a.new_string, 1)),
        _ if a.replace_all => Ok(text.replace(&a.old_string, &a.new_string)),
        n => Err(ToolError(format!(
            "old_string occurs {n} times in `{}` (first at lines {}); include more surrounding lines to make it unique, or set replace_all",
            a.path,
            occurrence_lines(text, &a.old_string).join(", ")
        ))),
    }
}

fn occurrence_lines(text: &str, needle: &str) -> Vec<String> {
    text.match_indices(needle)
        .take(5)
        .map(|(i, _)| (text[..i].matches('\n').count() + 1).to_string())
        .collect()
}

/// Names the lines most like the first line of the block the model sent, with their numbers.
fn not_found_message(text: &str, path: &str, old: &str) -> String {
    let first = old
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let lines: Vec<&str> = text.lines().collect();
    let mut scored: Vec<(f32, usize)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (similar::TextDiff::from_chars(l.trim(), first).ratio(), i))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut msg = format!("old_string was not found in `{path}`.");
    let best: Vec<&(f32, usize)> = scored.iter().filter(|(s, _)| *s > 0.5).take(3).collect();
    if best.is_empty() {
        msg.push_str(" No similar lines either; read the file again and copy the exact text.");
        return msg;
    }
    msg.push_str(" Closest lines in the file:\n");
    for (_, i) in best {
        let from = i.saturating_sub(1);
        let to = (i + 2).min(lines.len());
        for (n, line) in lines.iter().enumerate().take(to).skip(from) {
            msg.push_str(&format!("{:>6}\t{line}\n", n + 1));
        }
        msg.push_str("   ...\n");
    }
    msg.push_str("Resend old_string copied exactly from the file (whitespace included).");
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(old: &str, new: &str, all: bool) -> Args {
        Args {
            path: "f".into(),
            old_string: old.into(),
            new_string: new.into(),
            replace_all: all,
        }
    }

    #[test]
    fn replaces_a_unique_block() {
        assert_eq!(
            replace("a\nb\nc\n", &args("b\n", "B\n", false)).unwrap(),
            "a\nB\nc\n"
        );
    }

    #[test]
    fn ambiguous_block_names_lines() {
        let e = replace("x\ny\nx\n", &args("x", "z", false)).unwrap_err();
        assert!(e.0.contains("2 times") && e.0.contains("1, 3"), "{e}");
        assert_eq!(
            replace("x\ny\nx\n", &args("x", "z", true)).unwrap(),
            "z\ny\nz\n"
        );
    }

    #[test]
    fn missing_block_shows_closest_lines() {
        let text = "fn main() {\n    let total = add(1, 2);\n}\n";
        let e = replace(text, &args("let totl = add(1, 2);", "x", false)).unwrap_err();
        assert!(e.0.contains("     2\t    let total = add(1, 2);"), "{e}");
    }
}
