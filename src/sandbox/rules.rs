//! Permission rules: `tool` or `tool(pattern)` strings in the `allow`, `ask` and `deny` lists of
//! `[permissions]`, deciding whether a tool call runs, needs the user's confirmation, or is
//! refused. Deny beats ask beats allow; no matching rule leaves the decision to the approval
//! policy. Rules are a convenience on top of the sandbox, which is the boundary.
//!
//! - `shell(pattern)`: matched against the commands bash would run, as the classifier in
//!   [`super::shell`] reads the line (quotes removed, every command of a list, pipeline or
//!   substitution). An allow rule must match every command of a *plain* line: a line with
//!   substitutions, functions, `eval`, `bash -c`, wrappers such as `sudo`/`env`/`xargs`, variables
//!   or options that run programs (`git -c`, `--extcmd`, `cargo --config`) never matches one.
//!   Deny and ask rules catch any spelling of the command (see [`super::shell::pattern`]); when the
//!   line hides a command from them (a program name computed at run time, `eval "$x"`), it asks.
//!   A bare `shell` rule matches every line.
//! - File tools (`read_file`, `write_file`, `edit_file`, `apply_patch`, `list_dir`, `glob`,
//!   `grep`, `view_image`) take a gitignore-style path glob, matched against the path the caller
//!   passes (the workspace-relative path for files in the workspace, else absolute). `read(...)`
//!   covers `read_file`, `list_dir`, `glob`, `grep`, `view_image`; `write(...)` and `edit(...)` cover `write_file`,
//!   `edit_file`, `apply_patch` (each file of a patch). A deny rule for any one read tool
//!   covers them all, since each can show a file's content or name.
//! - MCP tools: `mcp(pattern)` (or the tool's name alone) is a case-insensitive glob over the
//!   model-facing name `SERVER__TOOL` and over the server's own name for the tool, so a rule
//!   written with the full name still matches a tool whose model-facing name was shortened.
//! - `web_fetch(pattern)`: a glob over the URL's host (`web_fetch(*.rust-lang.org)`); an allow
//!   rule lets the tool reach that host even when the session's network is off.
//! - Other built-in tools take a glob over their subject; a bare `tool` matches every call.
//!
//! Rules naming a tool that does not exist are refused when loaded.

use globset::{GlobBuilder, GlobMatcher};

use super::pattern::PathGlob;
use super::shell::pattern::{CommandPattern, Hit};
use super::shell::{self, Analysis};
use super::SandboxError;
use crate::types::Subject;

/// The tools `read(...)` rules cover.
const READ_TOOLS: &[&str] = &["read_file", "list_dir", "glob", "grep", "view_image"];
/// The tools `write(...)` and `edit(...)` rules cover.
const WRITE_TOOLS: &[&str] = &["write_file", "edit_file", "apply_patch"];
/// Every other built-in tool a rule may name.
const OTHER_TOOLS: &[&str] = &[
    "shell",
    "git_status",
    "git_diff",
    "remember",
    "run_checks",
    "update_plan",
    "skill",
    "task",
    "repo_map",
    "web_fetch",
];
/// Names that stand for several tools.
const GROUPS: &[&str] = &["read", "write", "edit", "mcp"];

/// The outcome of the rules for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Ask the user first; the reason names the rule.
    Ask(String),
    /// Refuse; the reason names the rule.
    Deny(String),
}

/// The parsed `[permissions]` lists.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    allow: Vec<Rule>,
    ask: Vec<Rule>,
    deny: Vec<Rule>,
}

/// One `tool(pattern)` rule.
#[derive(Debug, Clone)]
struct Rule {
    raw: String,
    tool: String,
    pattern: Option<Pattern>,
}

/// How a rule's pattern is matched, chosen by its tool.
#[derive(Debug, Clone)]
enum Pattern {
    Command(CommandPattern),
    Path(PathGlob),
    Mcp(GlobMatcher),
    Subject(GlobMatcher),
}

impl Rules {
    /// Parses the three lists; a rule with bad syntax or an unknown tool is an error naming it.
    pub fn parse(allow: &[String], ask: &[String], deny: &[String]) -> Result<Rules, SandboxError> {
        let parse_all = |list: &[String]| -> Result<Vec<Rule>, SandboxError> {
            list.iter().map(|r| Rule::parse(r)).collect()
        };
        let mut deny = parse_all(deny)?;
        for rule in &mut deny {
            if READ_TOOLS.contains(&rule.tool.as_str()) {
                rule.tool = "read".into();
            }
        }
        Ok(Rules {
            allow: parse_all(allow)?,
            ask: parse_all(ask)?,
            deny,
        })
    }

    /// The decision for a call of `tool` on `subject` (the shell command line, the path for file
    /// tools, the server's own tool name for MCP tools); `None` when no rule matches.
    pub fn evaluate(&self, tool: &str, subject: Option<&Subject>) -> Option<Decision> {
        match subject {
            Some(Subject::Command(line)) => self.shell(line),
            other => self.other(tool, other.map(Subject::text)),
        }
    }

    /// Whether any deny or ask rule is about `tool`.
    fn restricts(&self, tool: &str) -> bool {
        self.deny.iter().chain(&self.ask).any(|r| r.covers(tool))
    }

    fn other(&self, tool: &str, subject: Option<&str>) -> Option<Decision> {
        let hit = |rule: &&Rule| rule.covers(tool) && rule.matches(tool, subject);
        if let Some(rule) = self.deny.iter().find(hit) {
            return Some(denied(rule));
        }
        if let Some(rule) = self.ask.iter().find(hit) {
            return Some(asked(rule));
        }
        self.allow
            .iter()
            .any(|r| hit(&r))
            .then_some(Decision::Allow)
    }

    /// A shell line: deny and ask rules over every command it runs, allow rules over the commands
    /// of a plain line.
    fn shell(&self, line: &str) -> Option<Decision> {
        let analysis = shell::analyze(line);
        let mut maybe = None;
        for (rules, verdict) in [
            (&self.deny, denied as fn(&Rule) -> Decision),
            (&self.ask, asked),
        ] {
            for rule in rules.iter().filter(|r| r.covers("shell")) {
                match rule.catches(&analysis) {
                    Hit::Yes => return Some(verdict(rule)),
                    Hit::Maybe => maybe = maybe.or(Some(rule)),
                    Hit::No => {}
                }
            }
        }
        if let Some(rule) = maybe {
            return Some(Decision::Ask(format!(
                "the rule `{}` may apply: some words of the command are only known when it runs; write them out literally, or ask the user",
                rule.raw
            )));
        }
        if let Some(why) = analysis.why_hidden().filter(|_| self.restricts("shell")) {
            return Some(Decision::Ask(format!(
                "the command line contains {why}, which hides what it runs from the deny and ask rules; run the commands directly instead"
            )));
        }
        let bare = self
            .allow
            .iter()
            .any(|r| r.covers("shell") && r.pattern.is_none());
        (bare || self.allows_all(&analysis)).then_some(Decision::Allow)
    }

    /// Whether the line is plain and an allow rule matches each of its commands.
    fn allows_all(&self, analysis: &Analysis) -> bool {
        let Some(commands) = analysis.plain_commands() else {
            return false;
        };
        !commands.is_empty()
            && commands.iter().all(|c| {
                self.allow.iter().any(|r| match &r.pattern {
                    Some(Pattern::Command(p)) => p.allows(c),
                    _ => false,
                })
            })
    }
}

/// The path patterns of the `read(...)`-like rules in `list` (`read`, `read_file`, `list_dir`,
/// `glob`, `grep`): they feed the file tools' read check, which every tool showing a file's
/// content or name applies.
pub fn read_patterns(list: &[String]) -> Vec<String> {
    list.iter()
        .filter_map(|r| {
            let (tool, rest) = r.trim().split_once('(')?;
            let tool = tool.trim();
            (tool == "read" || READ_TOOLS.contains(&tool))
                .then(|| rest.strip_suffix(')'))
                .flatten()
                .map(|p| p.trim().to_string())
        })
        .collect()
}

fn denied(rule: &Rule) -> Decision {
    Decision::Deny(format!("denied by the rule `{}`", rule.raw))
}

fn asked(rule: &Rule) -> Decision {
    Decision::Ask(format!("the rule `{}` asks for confirmation", rule.raw))
}

impl Rule {
    /// Parses `tool` or `tool(pattern)`.
    fn parse(raw: &str) -> Result<Rule, SandboxError> {
        let bad = |reason: String| SandboxError::BadRule {
            rule: raw.to_string(),
            reason,
        };
        let text = raw.trim();
        let (tool, pattern) = match text.split_once('(') {
            None if text.contains(')') => return Err(bad("`)` without `(`".into())),
            None => (text, None),
            Some((tool, rest)) => {
                let inner = rest
                    .strip_suffix(')')
                    .ok_or_else(|| bad("the pattern must end with `)`".into()))?;
                if inner.trim().is_empty() {
                    return Err(bad(
                        "empty pattern; write the bare tool name to match every call".into(),
                    ));
                }
                (tool.trim(), Some(inner.trim()))
            }
        };
        if tool.is_empty()
            || !tool
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c))
        {
            return Err(bad("expected `tool` or `tool(pattern)` with a tool name of letters, digits, `_`, `-`, `.`, `:`".into()));
        }
        check_tool(tool).map_err(|e| bad(e.to_string()))?;
        let (tool, pattern) = match (tool.contains("__"), pattern) {
            (true, None) => ("mcp", Some(tool)),
            (_, p) => (tool, p),
        };
        let pattern = pattern
            .map(|p| Pattern::compile(tool, p, raw))
            .transpose()?;
        Ok(Rule {
            raw: text.to_string(),
            tool: tool.to_string(),
            pattern,
        })
    }

    /// Whether the rule is about `tool`.
    fn covers(&self, tool: &str) -> bool {
        match self.tool.as_str() {
            "read" => READ_TOOLS.contains(&tool),
            "write" | "edit" => WRITE_TOOLS.contains(&tool),
            "mcp" => tool.contains("__"),
            name => name == tool,
        }
    }

    /// Whether the pattern matches a call of `tool` on `subject` (not a shell line).
    fn matches(&self, tool: &str, subject: Option<&str>) -> bool {
        match (&self.pattern, subject) {
            (None, _) => true,
            (Some(Pattern::Mcp(g)), s) => g.is_match(tool) || s.is_some_and(|s| g.is_match(s)),
            (Some(_), None) => false,
            (Some(Pattern::Path(g)), Some(s)) => g.is_match(s),
            (Some(Pattern::Subject(g)), Some(s)) => g.is_match(s.trim()),
            (Some(Pattern::Command(_)), Some(_)) => false,
        }
    }

    /// How a deny or ask rule about `shell` relates to a classified line.
    fn catches(&self, analysis: &Analysis) -> Hit {
        let Some(Pattern::Command(p)) = &self.pattern else {
            return Hit::Yes;
        };
        let mut best = Hit::No;
        for command in &analysis.commands {
            match p.catches(command) {
                Hit::Yes => return Hit::Yes,
                Hit::Maybe => best = Hit::Maybe,
                Hit::No => {}
            }
        }
        best
    }
}

/// A rule names a tool reins does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown tool `{tool}`{}: rules name one of {known}, or an MCP tool as `mcp(SERVER__TOOL)`",
    suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
)]
struct UnknownTool {
    tool: String,
    /// The known name in another letter case, if there is one.
    suggestion: Option<String>,
    /// Every name a rule may use, comma-separated.
    known: String,
}

/// Refuses a tool name no rule can be about; suggests the name in the right case.
fn check_tool(tool: &str) -> Result<(), UnknownTool> {
    let known = || {
        GROUPS
            .iter()
            .chain(READ_TOOLS)
            .chain(WRITE_TOOLS)
            .chain(OTHER_TOOLS)
    };
    if tool.contains("__") || known().any(|k| *k == tool) {
        return Ok(());
    }
    Err(UnknownTool {
        tool: tool.to_string(),
        suggestion: known()
            .find(|k| k.eq_ignore_ascii_case(tool))
            .map(|k| k.to_string()),
        known: known().copied().collect::<Vec<_>>().join(", "),
    })
}

impl Pattern {
    /// Compiles `pattern` the way `tool` needs it.
    fn compile(tool: &str, pattern: &str, raw: &str) -> Result<Pattern, SandboxError> {
        let bad = |reason: String| SandboxError::BadRule {
            rule: raw.to_string(),
            reason,
        };
        let is_file_rule = matches!(tool, "read" | "write" | "edit")
            || READ_TOOLS.contains(&tool)
            || WRITE_TOOLS.contains(&tool);
        if is_file_rule {
            let home = std::env::var("HOME").ok();
            return PathGlob::new(pattern, home.as_deref())
                .map(Pattern::Path)
                .map_err(|e| rename_rule(e, raw));
        }
        if tool == "shell" {
            return CommandPattern::new(pattern)
                .map(Pattern::Command)
                .map_err(|e| bad(e.to_string()));
        }
        let glob = GlobBuilder::new(pattern)
            .literal_separator(false)
            .backslash_escape(true)
            .case_insensitive(tool == "mcp")
            .build()
            .map_err(|e| bad(e.kind().to_string()))?
            .compile_matcher();
        Ok(if tool == "mcp" {
            Pattern::Mcp(glob)
        } else {
            Pattern::Subject(glob)
        })
    }
}

/// Reports a pattern error under the whole rule's text.
fn rename_rule(e: SandboxError, raw: &str) -> SandboxError {
    match e {
        SandboxError::BadRule { reason, .. } => SandboxError::BadRule {
            rule: raw.to_string(),
            reason,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests;
