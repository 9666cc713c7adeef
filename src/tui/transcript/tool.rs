//! A tool call in the transcript: one summary line (`read src/lib.rs`, `$ cargo test → exit 1`,
//! `edit src/calc.rs +3 −1`) that expands to the full output, diffs coloured per line.

use super::super::theme::Theme;
use super::super::wrap::{sanitize, truncate, Logical};
use ratatui::text::{Line, Span};
use serde_json::Value;

/// What the transcript knows about one call.
#[derive(Debug, Clone)]
pub struct ToolCell {
    pub call_id: String,
    pub name: String,
    pub args: Value,
    /// `(ok, output)` once the result arrived.
    pub result: Option<(bool, String)>,
    pub expanded: bool,
    /// The user's approval answer, when one was asked.
    pub decision: Option<String>,
}

/// How a finished call went, for the marker's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    Ok,
    Failed,
}

impl ToolCell {
    pub fn new(call_id: &str, name: &str, args: Value) -> Self {
        ToolCell {
            call_id: call_id.to_string(),
            name: name.to_string(),
            args,
            result: None,
            expanded: false,
            decision: None,
        }
    }

    fn arg(&self, key: &str) -> &str {
        self.args.get(key).and_then(Value::as_str).unwrap_or("")
    }

    fn state(&self) -> State {
        match &self.result {
            None => State::Running,
            Some((true, out)) if self.name == "shell" && exit_code(out).is_some_and(|c| c != 0) => {
                State::Failed
            }
            Some((true, _)) => State::Ok,
            Some((false, _)) => State::Failed,
        }
    }

    /// What the call does, in the words of a command line.
    pub fn summary(&self) -> String {
        let path = self.arg("path");
        match self.name.as_str() {
            "read_file" => format!("read {path}{}", self.line_range()),
            "list_dir" => format!("list {}", or_dot(path)),
            "glob" => format!("glob {}{}", self.arg("pattern"), in_path(path)),
            "grep" => format!("grep {:?}{}", self.arg("pattern"), in_path(path)),
            "edit_file" => format!("edit {path}{}", self.counts()),
            "write_file" => format!("write {path}{}", self.counts()),
            "apply_patch" => format!("patch {}{}", self.patch_files(), self.counts()),
            "shell" => format!("$ {}", one_line(self.arg("command"))),
            "git_status" => "git status".to_string(),
            "git_diff" => format!("git diff{}", prefixed(" ", path)),
            "remember" => format!("remember {}", one_line(self.arg("fact"))),
            "update_plan" => "update the plan".to_string(),
            "task" => crate::frontend::tool_summary::subagents(&self.args),
            "skill" => format!(
                "skill {}{}",
                self.arg("name"),
                prefixed(" ", self.arg("file"))
            ),
            _ => format!("{} {}", self.name, one_line(&self.args.to_string())),
        }
    }

    /// The end of the summary: a command's exit, a failure's first line, the approval answer.
    pub fn outcome(&self) -> Option<String> {
        let (ok, out) = self.result.as_ref()?;
        if self
            .decision
            .as_deref()
            .is_some_and(|d| d.starts_with("denied"))
        {
            // The decision says it; the refusal text would only repeat it.
            return None;
        }
        if self.name == "shell" {
            return Some(shell_outcome(*ok, out));
        }
        if *ok {
            return None;
        }
        let first = out
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("error: ");
        Some(format!(" — {}", truncate(first, 60)))
    }

    fn line_range(&self) -> String {
        let n = |k: &str| self.args.get(k).and_then(Value::as_u64);
        match (n("offset"), n("limit")) {
            (Some(o), Some(l)) => format!(":{o}-{}", o + l),
            (Some(o), None) => format!(":{o}-"),
            (None, Some(l)) => format!(":1-{l}"),
            (None, None) => String::new(),
        }
    }

    fn counts(&self) -> String {
        match &self.result {
            Some((true, out)) => {
                let (add, del) = crate::diff::line_counts(out);
                format!(" +{add} −{del}")
            }
            _ => String::new(),
        }
    }

    fn patch_files(&self) -> String {
        let files = crate::patch::paths(
            self.args
                .get("patch")
                .and_then(|p| p.as_str())
                .unwrap_or(""),
        );
        if files.is_empty() {
            "files".to_string()
        } else {
            files.join(", ")
        }
    }

    /// Whether the output is a diff to colour per line.
    fn output_is_diff(&self) -> bool {
        matches!(
            self.name.as_str(),
            "edit_file" | "write_file" | "apply_patch" | "git_diff"
        )
    }

    /// The summary row, cut to `width`.
    pub fn summary_row(&self, theme: &Theme, width: usize) -> Line<'static> {
        let (marker, style) = match self.state() {
            State::Running => ("• ", theme.dim),
            State::Ok => ("• ", theme.level.ok),
            State::Failed => ("• ", theme.level.error),
        };
        let summary = self.summary();
        let tail = self.outcome().unwrap_or_default();
        let decision = self
            .decision
            .as_deref()
            .map(|d| format!(" · {d}"))
            .unwrap_or_default();
        let room = width.saturating_sub(2);
        let summary = truncate(&summary, room.saturating_sub(tail.chars().count()).max(8));
        let mut spans = vec![
            Span::styled(marker, style),
            Span::styled(summary, theme.bold),
        ];
        let tail_style = if self.state() == State::Failed {
            theme.level.error
        } else {
            theme.dim
        };
        spans.push(Span::styled(tail, tail_style));
        spans.push(Span::styled(decision, theme.dim));
        let line = Line::from(spans);
        let text = line.to_string();
        if super::super::wrap::str_width(&text) > width {
            return Line::from(Span::styled(truncate(&text, width), style));
        }
        line
    }

    /// The full output, shown when expanded.
    pub fn body(&self, theme: &Theme) -> Vec<Logical> {
        let Some((_, out)) = &self.result else {
            return vec![Logical::styled("    (running…)", theme.dim)];
        };
        let mut lines = Vec::new();
        let command = self.arg("command");
        if self.name == "shell" && (command.contains('\n') || command.chars().count() > 60) {
            // The summary shows only the start of a long command; the body shows all of it.
            lines.push(Logical::styled(format!("    $ {command}"), theme.dim));
        }
        let diff = self.output_is_diff();
        for line in sanitize(out).lines() {
            let style = if diff {
                theme.diff.line(line)
            } else {
                theme.dim
            };
            lines.push(Logical {
                line: Line::from(vec![
                    Span::raw("    "),
                    Span::styled(line.to_string(), style),
                ]),
                hang: 4,
            });
        }
        lines
    }
}

fn or_dot(path: &str) -> &str {
    if path.is_empty() {
        "."
    } else {
        path
    }
}

fn in_path(path: &str) -> String {
    prefixed(" in ", path)
}

fn prefixed(prefix: &str, s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("{prefix}{s}")
    }
}

/// The first line of a possibly multi-line text, with `…` when there is more.
fn one_line(s: &str) -> String {
    let mut lines = s.trim().lines();
    let first = lines.next().unwrap_or("").to_string();
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first
    }
}

/// The exit code a shell result reports (`exit code: N`).
pub fn exit_code(output: &str) -> Option<i32> {
    output
        .lines()
        .take(3)
        .find_map(|l| l.strip_prefix("exit code: "))
        .and_then(|c| c.trim().parse().ok())
}

fn shell_outcome(ok: bool, out: &str) -> String {
    if let Some(code) = exit_code(out) {
        return format!(" → exit {code}");
    }
    let head = out.lines().take(3).collect::<Vec<_>>().join(" ");
    let what = if head.contains("interrupted") {
        "interrupted"
    } else if head.contains("timed out") {
        "timed out"
    } else if head.contains("killed by a signal") {
        "killed"
    } else if !ok {
        return format!(
            " → {}",
            truncate(
                out.lines()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("error: "),
                50
            )
        );
    } else {
        "done"
    };
    format!(" → {what}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn done(name: &str, args: Value, ok: bool, out: &str) -> ToolCell {
        let mut c = ToolCell::new("c1", name, args);
        c.result = Some((ok, out.to_string()));
        c
    }

    #[test]
    fn summaries_read_like_commands() {
        let read = ToolCell::new("1", "read_file", json!({"path": "src/lib.rs"}));
        assert_eq!(read.summary(), "read src/lib.rs");
        let shell = done(
            "shell",
            json!({"command": "cargo test"}),
            true,
            "exit code: 1\nfailed",
        );
        assert_eq!(
            format!("{}{}", shell.summary(), shell.outcome().unwrap()),
            "$ cargo test → exit 1"
        );
        let diff = crate::diff::unified("src/calc.rs", Some("a\nb\n"), Some("a\nc\nd\ne\n"));
        let edit = done(
            "edit_file",
            json!({"path": "src/calc.rs"}),
            true,
            &format!("edited `src/calc.rs`\n{diff}"),
        );
        assert_eq!(edit.summary(), "edit src/calc.rs +3 −1");
    }

    #[test]
    fn a_failed_tool_shows_the_first_line_of_its_error() {
        let c = done(
            "read_file",
            json!({"path": "nope"}),
            false,
            "error: `nope` does not exist\nmore",
        );
        assert_eq!(c.outcome().unwrap(), " — `nope` does not exist");
    }

    #[test]
    fn an_interrupted_command_says_so() {
        let c = done(
            "shell",
            json!({"command": "sleep 9"}),
            false,
            "error: interrupted by the user; the command was killed\n",
        );
        assert_eq!(c.outcome().unwrap(), " → interrupted");
    }
}
