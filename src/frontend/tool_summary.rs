//! A tool call in the words of a command line (`read calc.py`, `$ cargo test`, `edit calc.py`)
//! and how it ended (`exit 1`, `interrupted`, the first line of an error), for front ends that
//! show each call as one line. Front-end neutral: plain strings, no styling.

use serde_json::Value;

/// What the call does.
pub fn summary(name: &str, args: &Value) -> String {
    let arg = |key: &str| args.get(key).and_then(Value::as_str).unwrap_or("");
    let path = arg("path");
    match name {
        "read_file" => format!("read {path}"),
        "list_dir" => format!("list {}", if path.is_empty() { "." } else { path }),
        "glob" => format!("glob {}{}", arg("pattern"), in_path(path)),
        "grep" => format!("grep {:?}{}", arg("pattern"), in_path(path)),
        "edit_file" => format!("edit {path}"),
        "write_file" => format!("write {path}"),
        "apply_patch" => {
            let files = crate::patch::paths(arg("patch"));
            format!(
                "patch {}",
                if files.is_empty() {
                    "files".to_string()
                } else {
                    files.join(", ")
                }
            )
        }
        "shell" => format!("$ {}", first_line(arg("command"))),
        "git_status" => "git status".to_string(),
        "git_diff" => format!("git diff{}", if path.is_empty() { "" } else { " " }) + path,
        "remember" => format!("remember {}", first_line(arg("fact"))),
        "run_checks" => "run checks".to_string(),
        "update_plan" => "update the plan".to_string(),
        "task" => subagents(args),
        "skill" => format!("skill {} {}", arg("name"), arg("file"))
            .trim_end()
            .to_string(),
        _ => format!("{name} {}", first_line(&args.to_string())),
    }
}

/// `task`: how many subagents it starts.
pub fn subagents(args: &serde_json::Value) -> String {
    let n = args
        .get("tasks")
        .and_then(|t| t.as_array())
        .map_or(0, Vec::len);
    let s = if n == 1 { "" } else { "s" };
    format!("task: {n} subagent{s}")
}

fn in_path(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" in {path}")
    }
}

/// The first line of a possibly multi-line text, with `…` when there is more.
fn first_line(s: &str) -> String {
    let mut lines = s.trim().lines();
    let first = lines.next().unwrap_or("").to_string();
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first
    }
}

/// How a finished call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether it went wrong: a tool error, or a command that exited non-zero or did not finish.
    pub failed: bool,
    /// What to put after the summary (`exit 1`, `interrupted`, an error's first line); may be empty.
    pub note: String,
    /// The output without the status line(s) a command result starts with.
    pub body: String,
}

/// Reads a result: `ok`, `exit_code` and `output` as the `tool.result` event carries them.
pub fn outcome(ok: bool, exit_code: Option<i32>, output: &str) -> Outcome {
    let output = output.strip_prefix("error: ").unwrap_or(output);
    if let Some(code) = exit_code {
        return Outcome {
            failed: code != 0 || !ok,
            note: format!("exit {code}"),
            body: after_status_line(output),
        };
    }
    let (head, body) = output.split_once('\n').unwrap_or((output, ""));
    if ok {
        return Outcome {
            failed: false,
            note: String::new(),
            body: output.to_string(),
        };
    }
    let note = if head.contains("interrupted by the user") {
        "interrupted".to_string()
    } else if head.starts_with("timed out") {
        "timed out".to_string()
    } else {
        head.to_string()
    };
    Outcome {
        failed: true,
        note,
        body: body.to_string(),
    }
}

/// A command's output without the status line the model reads first (`exit code: N`, after an
/// optional note such as `[timeout_ms capped …]`); empty for `(no output)`.
fn after_status_line(output: &str) -> String {
    let mut rest = output;
    for _ in 0..3 {
        let (line, after) = rest.split_once('\n').unwrap_or((rest, ""));
        if line.starts_with("exit code: ") {
            return if after.trim() == "(no output)" {
                String::new()
            } else {
                after.to_string()
            };
        }
        rest = after;
    }
    output.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn summaries_read_like_commands() {
        assert_eq!(summary("read_file", &json!({"path": "a.rs"})), "read a.rs");
        assert_eq!(summary("list_dir", &json!({})), "list .");
        assert_eq!(
            summary("shell", &json!({"command": "cargo test\necho x"})),
            "$ cargo test …"
        );
        assert_eq!(summary("git_diff", &json!({})), "git diff");
    }

    #[test]
    fn a_command_result_gives_its_exit_code_and_the_rest() {
        let o = outcome(true, Some(1), "exit code: 1\nE assert 3 == 4\n1 failed");
        assert!(o.failed);
        assert_eq!(o.note, "exit 1");
        assert_eq!(o.body, "E assert 3 == 4\n1 failed");
        let o = outcome(true, Some(0), "exit code: 0\n(no output)");
        assert!(!o.failed);
        assert_eq!(o.body, "");
    }

    #[test]
    fn an_interrupt_and_a_tool_error_say_what_happened_once() {
        let o = outcome(
            false,
            None,
            "error: interrupted by the user; the command was killed\npartial",
        );
        assert_eq!(o.note, "interrupted");
        assert_eq!(o.body, "partial");
        let o = outcome(false, None, "error: old_string not found\nclosest: x");
        assert_eq!(o.note, "old_string not found");
    }
}
