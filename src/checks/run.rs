//! Running checks: each command through the shell tool's runner (same sandbox, environment and
//! process-group handling), its output read by the test-runner parsers.

use super::summary::{self, TestReport};
use crate::agent::Event;
use crate::tools::{run_command, ToolContext};
use std::time::{Duration, Instant};

/// How much of a failing check's output goes to the model.
const DETAILS_LIMIT: usize = 6 * 1024;

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub command: String,
    pub passed: bool,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    /// One line: the runner's counts and failing tests, or how the command ended.
    pub summary: String,
    /// Failing tests, when the runner's output named them.
    pub failing: Vec<String>,
    /// The failure's output, trimmed to what matters; empty when the check passed.
    pub details: String,
}

impl CheckOutcome {
    /// The `check` event for the stream.
    pub fn event(&self) -> Event {
        Event::Check {
            command: self.command.clone(),
            passed: self.passed,
            exit_code: self.exit_code,
            duration_ms: self.duration_ms,
            summary: self.summary.clone(),
        }
    }
}

/// Runs `command` in the workspace root of `ctx`.
pub async fn run_check(command: &str, ctx: &ToolContext, timeout: Duration) -> CheckOutcome {
    let started = Instant::now();
    let result = run_command(command, &ctx.root, ctx, timeout).await;
    let duration_ms = started.elapsed().as_millis() as u64;
    let out = match result {
        Ok(out) => out,
        Err(e) => {
            return CheckOutcome {
                command: command.to_string(),
                passed: false,
                exit_code: None,
                duration_ms,
                summary: first_line(&e.0).to_string(),
                failing: Vec::new(),
                details: e.0,
            }
        }
    };
    let passed = out.timed_out.is_none() && out.exit_code == Some(0);
    let report = summary::parse(&out.output);
    let ending = match (out.timed_out, out.exit_code) {
        (Some(t), _) => format!("timed out after {} s", t.as_secs()),
        (None, Some(c)) => format!("exit code {c}"),
        (None, None) => "killed by a signal".to_string(),
    };
    CheckOutcome {
        command: command.to_string(),
        passed,
        exit_code: out.exit_code,
        duration_ms,
        summary: describe(report.as_ref(), &ending, &out.output),
        failing: report
            .as_ref()
            .map(|r| r.failing.clone())
            .unwrap_or_default(),
        details: if passed {
            String::new()
        } else {
            summary::excerpt(&out.output, report.and_then(|r| r.focus), DETAILS_LIMIT)
        },
    }
}

/// Runs every check in order, passing each outcome to `report` as soon as it is known.
pub async fn run_all(
    commands: &[String],
    ctx: &ToolContext,
    timeout: Duration,
    report: &mut (dyn FnMut(&CheckOutcome) + Send),
) -> Vec<CheckOutcome> {
    let mut outcomes = Vec::with_capacity(commands.len());
    for command in commands {
        let outcome = run_check(command, ctx, timeout).await;
        report(&outcome);
        outcomes.push(outcome);
        if ctx.cancel.is_cancelled() {
            break;
        }
    }
    outcomes
}

/// `cargo test: 1 failed, 4 passed; failing: t::b` when the runner was recognised; else how the
/// command ended and its last line of output.
fn describe(report: Option<&TestReport>, ending: &str, output: &str) -> String {
    match report {
        Some(r) => format!("{ending} · {}", r.describe()),
        None => match output.lines().rev().find(|l| !l.trim().is_empty()) {
            Some(last) => format!("{ending} · {}", clip_line(last.trim(), 200)),
            None => ending.to_string(),
        },
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

fn clip_line(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}…")
}

/// What goes back to the model when checks fail: each failing check's summary and output.
pub fn failure_message(outcomes: &[CheckOutcome]) -> String {
    let failures: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| {
            format!(
                "## `{}`: {}\n```\n{}\n```",
                o.command,
                o.summary,
                o.details.trim_end()
            )
        })
        .collect();
    include_str!("../../prompts/checks_failed.md")
        .trim_end()
        .replace("{{failures}}", &failures.join("\n\n"))
}

/// What the `run_checks` tool returns: every check's line, then the failures' output.
pub fn tool_report(outcomes: &[CheckOutcome]) -> String {
    let lines: Vec<String> = outcomes
        .iter()
        .map(|o| {
            format!(
                "{} `{}`: {}",
                if o.passed { "PASSED" } else { "FAILED" },
                o.command,
                o.summary
            )
        })
        .collect();
    let mut s = lines.join("\n");
    for o in outcomes.iter().filter(|o| !o.passed) {
        s.push_str(&format!("\n\n## `{}`\n{}", o.command, o.details.trim_end()));
    }
    if outcomes.iter().all(|o| o.passed) {
        s.push_str("\n\nAll checks pass.");
    }
    s
}
