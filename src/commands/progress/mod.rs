//! The human-readable trace of a headless session on stderr: one line per tool call (a failing
//! command adds its last lines; `-v` shows every call's output), the model's narration between
//! calls, warnings and errors, and a closing line with the totals. On a terminal a status line
//! with a spinner, the elapsed time and the cost sits under the trace.
//!
//! The model's last message is the answer, and it goes to stdout alone, once: a message is held
//! back until the session shows that more work follows (a tool call, another request), then it is
//! narration and printed here. A session that did not end `done` has no answer; its last message
//! is shown here as narration and the closing line says how it ended.

mod status;
mod style;

use super::display::neutralize;
use crate::agent::{Event, Status};
use crate::frontend::tool_summary;
use crate::types::usd;
use status::StatusLine;
use std::collections::HashMap;
use std::io::IsTerminal;
use style::Paint;

/// How many of a failing call's last output lines are shown without `-v`.
const TAIL_LINES: usize = 8;

pub struct Progress {
    verbose: bool,
    paint: Paint,
    status: Option<StatusLine>,
    /// Calls waiting for their result: id -> summary.
    calls: HashMap<String, String>,
    /// The last message, not yet known to be narration or the answer.
    held: Option<String>,
    steps: u32,
}

impl Progress {
    /// A trace on stderr; a status line only when stderr is a terminal (call inside a runtime).
    pub fn new(verbose: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        Progress {
            verbose,
            paint: Paint::for_stderr(),
            status: terminal.then(StatusLine::start),
            calls: HashMap::new(),
            held: None,
            steps: 0,
        }
    }

    pub fn emit(&mut self, event: &Event) {
        match event {
            Event::Route { step, .. } => {
                self.steps = *step;
                self.release_held();
                self.activity("thinking");
            }
            Event::Usage { cost_usd, .. } => {
                if let (Some(s), Some(c)) = (&self.status, cost_usd) {
                    s.add_cost(*c);
                }
            }
            Event::Message { text, .. } => {
                self.release_held();
                self.held = Some(text.clone());
            }
            Event::ToolCall {
                call_id,
                name,
                arguments,
                ..
            } => {
                self.release_held();
                let summary = tool_summary::summary(name, arguments);
                self.activity(&summary);
                self.calls.insert(call_id.clone(), summary);
            }
            Event::ToolResult {
                call_id,
                name,
                ok,
                output,
                exit_code,
                ..
            } => {
                let summary = self.calls.remove(call_id).unwrap_or_else(|| name.clone());
                self.tool_line(&summary, tool_summary::outcome(*ok, *exit_code, output));
                self.activity(&format!("thinking (step {})", self.steps));
            }
            Event::SessionFinished { status, .. } => {
                if *status != Status::Done {
                    self.release_held();
                }
                if let Some(s) = &self.status {
                    s.finish();
                }
                if let Some(line) = closing_line(event) {
                    self.print(&line);
                }
                if *status != Status::Done {
                    self.print(&format!(
                        "no answer: the session ended {}",
                        status_word(*status)
                    ));
                }
            }
            other => {
                if let Some(line) = other_line(other, &self.paint) {
                    self.print(&line);
                }
            }
        }
    }

    /// Prints the held message as narration: more work followed it.
    fn release_held(&mut self) {
        if let Some(text) = self.held.take() {
            self.print(&format!("\n{}\n", neutralize(text.trim_end())));
        }
    }

    fn activity(&self, what: &str) {
        if let Some(s) = &self.status {
            s.set_activity(&neutralize(what).replace('\n', " "));
        }
    }

    fn tool_line(&self, summary: &str, o: tool_summary::Outcome) {
        let mark = if o.failed {
            self.paint.bad("✗")
        } else {
            self.paint.ok("✓")
        };
        let note = if o.note.is_empty() {
            String::new()
        } else {
            format!(" → {}", o.note)
        };
        let mut text = neutralize(&format!("{summary}{note}"));
        text.insert_str(0, &format!("{mark} "));
        let body = o.body.trim_end();
        let shown: Vec<&str> = match (self.verbose, o.failed) {
            (true, _) => body.lines().collect(),
            (false, true) => {
                let lines: Vec<&str> = body.lines().collect();
                lines[lines.len().saturating_sub(TAIL_LINES)..].to_vec()
            }
            (false, false) => Vec::new(),
        };
        for line in shown {
            text.push('\n');
            text.push_str(&self.paint.dim(&format!("    │ {}", neutralize(line))));
        }
        self.print(&text);
    }

    /// Prints a line whose text from the model or tools was neutralized when it was composed
    /// (the styling around it must stay live).
    fn print(&self, text: &str) {
        match &self.status {
            Some(s) => s.print(text),
            None => eprintln!("{text}"),
        }
    }
}

/// The word a status is written with in events (`max_steps`, `budget`...).
fn status_word(status: Status) -> String {
    serde_json::to_string(&status)
        .unwrap_or_default()
        .trim_matches('"')
        .to_string()
}

/// `n thing` or `n things`.
pub fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

fn closing_line(event: &Event) -> Option<String> {
    let Event::SessionFinished {
        status,
        steps,
        input_tokens,
        output_tokens,
        cost_usd,
        duration_ms,
        ..
    } = event
    else {
        return None;
    };
    Some(format!(
        "— {} after {}, {input_tokens} in / {output_tokens} out tokens, {}, {:.1}s",
        status_word(*status),
        count(*steps as usize, "step"),
        cost_usd.map_or("cost unknown".to_string(), usd::show),
        *duration_ms as f64 / 1000.0
    ))
}

/// Events that are one line of their own.
fn other_line(event: &Event, paint: &Paint) -> Option<String> {
    let n = |s: &str| neutralize(s);
    Some(match event {
        Event::SessionStarted {
            session_id,
            cwd,
            model,
        } => n(&format!("reins · session {session_id} · {model} · {cwd}")),
        Event::Check {
            command,
            passed,
            summary,
            ..
        } => {
            let mark = if *passed {
                paint.ok("✓")
            } else {
                paint.bad("✗")
            };
            let verdict = if *passed { "passed" } else { "failed" };
            let mut line = format!("{mark} check `{}` {verdict}", n(command));
            if !passed && !summary.trim().is_empty() {
                for l in summary.trim_end().lines() {
                    line.push('\n');
                    line.push_str(&paint.dim(&format!("    │ {}", n(l))));
                }
            }
            line
        }
        Event::Checkpoint {
            step,
            files_changed,
            ..
        } => paint.dim(&format!(
            "  checkpoint before step {step}: {} changed",
            count(files_changed.len(), "file")
        )),
        Event::McpStatus {
            server,
            state,
            error,
        } => n(&format!(
            "mcp {server}: {state}{}",
            error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        )),
        Event::Warning { message } => format!("{} {}", paint.warn("warning:"), n(message)),
        Event::BudgetWarning {
            spent_usd,
            projected_usd,
            max_cost_usd,
        } => format!(
            "{} {} spent, ~{} after the next request, of {}",
            paint.warn("budget:"),
            usd::show(*spent_usd),
            usd::show(*projected_usd),
            usd::show(*max_cost_usd)
        ),
        Event::ApprovalRequest(r) => n(&format!("approval needed for {}: {}", r.tool, r.reason)),
        Event::Plan { steps } => {
            let mut text = paint.dim("plan:");
            for s in steps {
                text.push_str(&format!("\n  {} {}", s.status.mark(), n(&s.step)));
            }
            text
        }
        Event::Compacted {
            tokens_before,
            tokens_after,
            dropped,
            kept,
        } => paint.dim(&crate::agent::events::compaction_line(
            *tokens_before,
            *tokens_after,
            dropped,
            kept,
        )),
        Event::Error { message, retrying } => {
            let message = n(message.strip_prefix("error: ").unwrap_or(message));
            if *retrying {
                format!("{} {message}", paint.warn("retrying:"))
            } else {
                format!("{} {message}", paint.bad("error:"))
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_singular_for_one() {
        assert_eq!(count(1, "step"), "1 step");
        assert_eq!(count(0, "file"), "0 files");
        assert_eq!(count(2, "file"), "2 files");
    }

    #[test]
    fn a_failing_check_shows_its_summary_once() {
        let line = other_line(
            &Event::Check {
                command: "pytest".into(),
                passed: false,
                exit_code: Some(1),
                duration_ms: 5,
                summary: "1 failed: test_add".into(),
            },
            &Paint::plain(),
        )
        .expect("line");
        assert_eq!(line, "✗ check `pytest` failed\n    │ 1 failed: test_add");
    }
}
