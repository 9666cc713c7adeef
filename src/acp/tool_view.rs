//! How a reins tool call looks in an editor: its kind (the icon and grouping), a short title, the
//! files it touches (the editor can follow along) and, for edits, the change as a diff.
//!
//! The kind and the files are what the tool declares ([`crate::tools::Tool::effects`] and
//! [`crate::tools::Tool::subjects`]); the title and the proposed diff read the arguments of the
//! built-in tools, since how to show a call is not part of a tool's declaration.

use crate::tools::Registry;
use crate::types::{Subject, ToolKind as Kind};
use agent_client_protocol::v1::schema::{Diff, ToolCallContent, ToolCallLocation, ToolKind};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The ACP kind of a call, as its tool declares it (the `tool.call` event carries it); a call
/// to a tool the session does not have shows as `other`.
pub fn kind(declared: Option<Kind>) -> ToolKind {
    match declared {
        Some(Kind::Read) => ToolKind::Read,
        Some(Kind::Search) => ToolKind::Search,
        Some(Kind::Edit) => ToolKind::Edit,
        Some(Kind::Execute) => ToolKind::Execute,
        Some(Kind::Fetch) => ToolKind::Fetch,
        Some(Kind::Other) | None => ToolKind::Other,
    }
}

/// What `tools` declares about a call (its kind and the paths it names), for a call read back
/// from a history, which records no events.
pub fn declared(tools: &Registry, tool: &str, args: &Value) -> (Option<Kind>, Vec<String>) {
    let Some(t) = tools.get(tool) else {
        return (None, Vec::new());
    };
    let paths = t
        .subjects(args)
        .into_iter()
        .filter_map(|s| match s {
            Subject::Path(p) if !p.is_empty() => Some(p),
            _ => None,
        })
        .collect();
    (Some(t.effects(args).kind), paths)
}

/// The files a call reads or changes, as absolute paths under `root`.
pub fn locations(paths: &[String], root: &Path) -> Vec<ToolCallLocation> {
    paths
        .iter()
        .map(|p| ToolCallLocation::new(root.join(p)))
        .collect()
}

/// A one-line title: what the call does to what.
pub fn title(tool: &str, args: &Value) -> String {
    let arg = |k: &str| str_arg(args, k).unwrap_or("");
    let path_or_root = |k: &str| str_arg(args, k).filter(|p| !p.is_empty()).unwrap_or(".");
    match tool {
        "read_file" => format!("Read {}", arg("path")),
        "list_dir" => format!("List {}", path_or_root("path")),
        "glob" => format!("Find {} in {}", arg("pattern"), path_or_root("path")),
        "grep" => format!("Search `{}` in {}", arg("pattern"), path_or_root("path")),
        "edit_file" => format!("Edit {}", arg("path")),
        "write_file" => format!("Write {}", arg("path")),
        "apply_patch" => {
            let paths = patch_paths(args);
            if paths.is_empty() {
                "Apply a patch".to_string()
            } else {
                format!("Patch {}", paths.join(", "))
            }
        }
        "shell" => format!("`{}`", arg("command").replace('`', "'")),
        "git_status" => "git status".to_string(),
        "git_diff" => match str_arg(args, "path") {
            Some(p) if !p.is_empty() => format!("git diff {p}"),
            _ => "git diff".to_string(),
        },
        "remember" => "Remember a note".to_string(),
        "run_checks" => "Run the checks".to_string(),
        mcp => match mcp.split_once("__") {
            Some((server, name)) => format!("{server}: {name}"),
            None => mcp.to_string(),
        },
    }
}

fn patch_paths(args: &Value) -> Vec<String> {
    str_arg(args, "patch")
        .map(crate::patch::paths)
        .unwrap_or_default()
}

/// The change an edit proposes, from its arguments and (when known) the file as it was: shown
/// while the call waits for approval. `before` gives a file's content by relative path.
pub fn proposed_diffs(
    tool: &str,
    args: &Value,
    root: &Path,
    before: &dyn Fn(&str) -> Option<String>,
) -> Vec<ToolCallContent> {
    let diff = |path: &str, old: Option<String>, new: String| {
        ToolCallContent::Diff(Diff::new(root.join(path), new).old_text(old))
    };
    match tool {
        "write_file" => match (str_arg(args, "path"), str_arg(args, "content")) {
            (Some(path), Some(content)) => vec![diff(path, before(path), content.to_string())],
            _ => Vec::new(),
        },
        "edit_file" => {
            let (Some(path), Some(old), Some(new)) = (
                str_arg(args, "path"),
                str_arg(args, "old_string"),
                str_arg(args, "new_string"),
            ) else {
                return Vec::new();
            };
            let all = args.get("replace_all").and_then(Value::as_bool) == Some(true);
            // The whole file when the text is found as written; the two snippets otherwise (the
            // tool's fuzzy match may still place it).
            match before(path).filter(|b| !old.is_empty() && b.contains(old)) {
                Some(b) => {
                    let after = if all {
                        b.replace(old, new)
                    } else {
                        b.replacen(old, new, 1)
                    };
                    vec![diff(path, Some(b), after)]
                }
                None => vec![diff(path, Some(old.to_string()), new.to_string())],
            }
        }
        "apply_patch" => patch_diffs(args, root),
        _ => Vec::new(),
    }
}

/// A patch's changes as the patch states them: a new file whole, a deleted file as emptied, each
/// chunk of an update as its old and new lines.
fn patch_diffs(args: &Value, root: &Path) -> Vec<ToolCallContent> {
    use crate::patch::FileOp;
    let Some(patch) = str_arg(args, "patch").and_then(|p| crate::patch::parse(p).ok()) else {
        return Vec::new();
    };
    let diff = |path: &str, old: Option<String>, new: String| {
        ToolCallContent::Diff(Diff::new(root.join(path), new).old_text(old))
    };
    let mut out = Vec::new();
    for op in &patch.ops {
        match op {
            FileOp::Add { path, contents } => out.push(diff(path, None, contents.clone())),
            FileOp::Delete { path } => out.push(diff(path, Some(String::new()), String::new())),
            FileOp::Update {
                path,
                move_to,
                chunks,
            } => {
                let target = move_to.as_deref().unwrap_or(path);
                for c in chunks {
                    out.push(diff(target, Some(lines(&c.old)), lines(&c.new)));
                }
            }
        }
    }
    out
}

/// The diffs of what an edit did: each file as it was before the call and as it is now.
pub fn applied_diffs(
    changes: &[(PathBuf, Option<String>, Option<String>)],
) -> Vec<ToolCallContent> {
    changes
        .iter()
        .filter(|(_, before, after)| before != after)
        .map(|(path, before, after)| {
            ToolCallContent::Diff(
                Diff::new(path.clone(), after.clone().unwrap_or_default()).old_text(before.clone()),
            )
        })
        .collect()
}

fn lines(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    if !s.is_empty() {
        s.push('\n');
    }
    s
}

fn str_arg<'a>(args: &'a Value, key: &str) -> Option<&'a str> {
    args.get(key).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_are_what_the_tools_declare() {
        let tools = Registry::builtin();
        let kind_of = |name: &str| kind(declared(&tools, name, &json!({})).0);
        assert_eq!(kind_of("read_file"), ToolKind::Read);
        assert_eq!(kind_of("grep"), ToolKind::Search);
        assert_eq!(kind_of("shell"), ToolKind::Execute);
        assert_eq!(kind_of("edit_file"), ToolKind::Edit);
        assert_eq!(kind_of("docs__search"), ToolKind::Other);
    }

    #[test]
    fn an_edit_found_as_written_shows_the_whole_file() {
        let args = json!({"path": "a.txt", "old_string": "two", "new_string": "2"});
        let root = Path::new("/ws");
        let out = proposed_diffs("edit_file", &args, root, &|_| Some("one\ntwo\n".into()));
        let [ToolCallContent::Diff(d)] = out.as_slice() else {
            panic!("one diff expected: {out:?}");
        };
        assert_eq!(d.path, Path::new("/ws/a.txt"));
        assert_eq!(d.old_text.as_deref(), Some("one\ntwo\n"));
        assert_eq!(d.new_text, "one\n2\n");
    }

    #[test]
    fn a_patch_names_every_file_it_touches() {
        let args = json!({"patch": "*** Begin Patch\n*** Add File: n.txt\n+hi\n*** Update File: a.txt\n*** Move to: b.txt\n@@\n-x\n+y\n*** End Patch"});
        let tools = Registry::builtin();
        let (_, paths) = declared(&tools, "apply_patch", &args);
        let at: Vec<PathBuf> = locations(&paths, Path::new("/ws"))
            .into_iter()
            .map(|l| l.path)
            .collect();
        assert_eq!(
            at,
            [
                Path::new("/ws/n.txt"),
                Path::new("/ws/a.txt"),
                Path::new("/ws/b.txt")
            ]
        );
        assert_eq!(title("apply_patch", &args), "Patch n.txt, a.txt, b.txt");
        let out = proposed_diffs("apply_patch", &args, Path::new("/ws"), &|_| None);
        assert_eq!(out.len(), 2);
    }
}
