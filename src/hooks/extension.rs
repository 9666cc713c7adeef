//! The configured hooks as a session participant: each moment runs the hooks registered for it,
//! in configuration order, and turns their exit codes into the session's answers.
//!
//! The convention is Claude Code's: exit 0 continues (stdout becomes context at `session_start`
//! and `user_prompt`); exit 2 blocks (`pre_tool`: the call is refused with stderr as the reason;
//! `stop`: the model goes on with stderr as its instruction); any other ending is a warning and
//! work continues. Exit 2 where nothing can be blocked (`user_prompt`, `post_tool`,
//! `session_start`) is a warning too.

use super::config::{HookConfig, HookEvent, DEFAULT_TIMEOUT_MS};
use super::run::{run, HookRun};
use crate::agent::extension::{Blocked, Extension, Report, StopVerdict, ToolUse};
use crate::agent::Event;
use crate::conversation::ToolCall;
use crate::tools::ToolContext;
use crate::types::BoxFuture;
use regex::Regex;
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A `[[hooks]]` entry that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("[[hooks]] entry {index} (`{command}`): {reason}")]
pub struct HookConfigError {
    /// 1-based, as a person counts entries in the file.
    pub index: usize,
    pub command: String,
    pub reason: String,
}

struct Hook {
    event: HookEvent,
    matcher: Option<Regex>,
    command: String,
    timeout: Duration,
}

/// What one hook said.
enum Verdict {
    /// Exit 0, with its stdout.
    Continue(String),
    /// Exit 2, with its stderr.
    Block(String),
    /// Anything else; already reported as a warning.
    Failed,
}

/// The session id, known only once the session is built (after its extensions).
#[derive(Clone, Default)]
pub struct SessionIdSlot(Arc<OnceLock<String>>);

impl SessionIdSlot {
    pub fn set(&self, id: &str) {
        // Set once, when the session is built; hooks keep the id of the session they began with.
        let _ = self.0.set(id.to_string());
    }
}

pub struct Hooks {
    hooks: Vec<Hook>,
    /// The workspace, sandbox policy, environment and cancel signal the hooks run with: the
    /// same as the session's commands.
    ctx: ToolContext,
    session_id: SessionIdSlot,
    /// Whether a stop hook sent the model back since the last prompt; hooks get it as
    /// `stop_hook_active` so they can avoid sending it back forever.
    stop_active: AtomicBool,
}

impl Hooks {
    /// Compiles the entries; a bad `match` regex or an empty command is an error naming the entry.
    pub fn new(configs: &[HookConfig], ctx: ToolContext) -> Result<Hooks, HookConfigError> {
        let hooks = configs
            .iter()
            .enumerate()
            .map(|(i, c)| compile(i + 1, c))
            .collect::<Result<_, _>>()?;
        Ok(Hooks {
            hooks,
            ctx,
            session_id: SessionIdSlot::default(),
            stop_active: AtomicBool::new(false),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }

    /// Where the front end puts the session id once the session exists.
    pub fn session_id_slot(&self) -> SessionIdSlot {
        self.session_id.clone()
    }

    /// The JSON a hook reads on stdin.
    fn input(&self, event: HookEvent, fields: Map<String, Value>) -> Vec<u8> {
        let mut object = Map::new();
        object.insert("event".into(), json!(event.as_str()));
        let id = self.session_id.0.get().cloned().unwrap_or_default();
        object.insert("session_id".into(), json!(id));
        object.insert("cwd".into(), json!(self.ctx.root.display().to_string()));
        object.extend(fields);
        Value::Object(object).to_string().into_bytes()
    }

    /// Runs the hooks of `event` (those matching `tool`, for tool events) until one blocks.
    async fn run_until_block(
        &self,
        event: HookEvent,
        tool: Option<&str>,
        input: &[u8],
        report: Report<'_>,
    ) -> Vec<Verdict> {
        let mut verdicts = Vec::new();
        for hook in self.hooks.iter().filter(|h| h.applies(event, tool)) {
            let verdict = self.run_one(hook, input, report).await;
            let blocked = matches!(verdict, Verdict::Block(_));
            verdicts.push(verdict);
            if blocked {
                break;
            }
        }
        verdicts
    }

    async fn run_one(&self, hook: &Hook, input: &[u8], report: Report<'_>) -> Verdict {
        let warn = |what: String| Event::Warning {
            message: format!(
                "{} hook `{}` {what}; continuing",
                hook.event.as_str(),
                hook.command
            ),
        };
        let outcome = match run(&hook.command, input, &self.ctx, hook.timeout).await {
            Ok(outcome) => outcome,
            Err(e) => {
                report(warn(format!("could not run: {e}")));
                return Verdict::Failed;
            }
        };
        if let Some(note) = &outcome.unsandboxed {
            report(warn(format!("ran without the sandbox: {note}")));
        }
        classify(hook, outcome, &mut |what| report(warn(what)))
    }

    /// Context from the hooks of `event`, joined; exit 2 cannot block a prompt, so it warns.
    async fn context(
        &self,
        event: HookEvent,
        fields: Map<String, Value>,
        report: Report<'_>,
    ) -> Option<String> {
        let input = self.input(event, fields);
        let mut texts = Vec::new();
        for verdict in self.run_until_block(event, None, &input, report).await {
            match verdict {
                Verdict::Continue(out) if !out.trim().is_empty() => texts.push(out),
                Verdict::Block(reason) => report(unblockable(event, &reason)),
                _ => {}
            }
        }
        (!texts.is_empty()).then(|| texts.join("\n\n"))
    }
}

impl Hook {
    fn applies(&self, event: HookEvent, tool: Option<&str>) -> bool {
        self.event == event
            && match (&self.matcher, tool) {
                (Some(re), Some(tool)) => re.is_match(tool),
                _ => true,
            }
    }
}

fn compile(index: usize, c: &HookConfig) -> Result<Hook, HookConfigError> {
    let bad = |reason: String| HookConfigError {
        index,
        command: c.command.clone(),
        reason,
    };
    if c.command.trim().is_empty() {
        return Err(bad("the command is empty".into()));
    }
    // Anchored: `edit_file|write_file` must not also match `my_edit_file_tool`.
    let matcher = c
        .matcher
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .map(|m| Regex::new(&format!("^(?:{m})$")))
        .transpose()
        .map_err(|e| bad(format!("`match` is not a valid regular expression: {e}")))?;
    Ok(Hook {
        event: c.event,
        matcher,
        command: c.command.clone(),
        timeout: Duration::from_millis(c.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS)),
    })
}

/// Exit 0 continues, exit 2 blocks, anything else is reported through `warn`.
fn classify(hook: &Hook, outcome: HookRun, warn: &mut dyn FnMut(String)) -> Verdict {
    match (outcome.timed_out, outcome.exit_code) {
        (true, _) => {
            warn(format!(
                "timed out after {} ms and was killed",
                hook.timeout.as_millis()
            ));
            Verdict::Failed
        }
        (false, Some(0)) => Verdict::Continue(outcome.stdout),
        (false, Some(2)) => Verdict::Block(match outcome.stderr.trim() {
            "" => format!("the hook `{}` gave no reason", hook.command),
            reason => reason.to_string(),
        }),
        (false, code) => {
            let how = code.map_or("was killed by a signal".to_string(), |c| {
                format!("exited with {c}")
            });
            let stderr = outcome.stderr.trim();
            warn(if stderr.is_empty() {
                how
            } else {
                format!("{how}: {stderr}")
            });
            Verdict::Failed
        }
    }
}

fn unblockable(event: HookEvent, reason: &str) -> Event {
    Event::Warning {
        message: format!(
            "a {} hook exited with 2, but that moment cannot be blocked; its stderr: {reason}",
            event.as_str()
        ),
    }
}

/// `tool` and `arguments` of a call, the arguments as JSON when they parse.
fn call_fields(call: &ToolCall) -> Map<String, Value> {
    let arguments = serde_json::from_str(&call.arguments)
        .unwrap_or_else(|_| Value::String(call.arguments.clone()));
    let mut fields = Map::new();
    fields.insert("tool".into(), json!(call.name));
    fields.insert("arguments".into(), arguments);
    fields
}

impl Extension for Hooks {
    fn session_start<'a>(&'a self, report: Report<'a>) -> BoxFuture<'a, Option<String>> {
        Box::pin(self.context(HookEvent::SessionStart, Map::new(), report))
    }

    fn user_prompt<'a>(
        &'a self,
        prompt: &'a str,
        report: Report<'a>,
    ) -> BoxFuture<'a, Option<String>> {
        self.stop_active.store(false, Ordering::SeqCst);
        let mut fields = Map::new();
        fields.insert("prompt".into(), json!(prompt));
        Box::pin(self.context(HookEvent::UserPrompt, fields, report))
    }

    fn pre_tool<'a>(
        &'a self,
        tool_use: &'a ToolUse<'a>,
        report: Report<'a>,
    ) -> BoxFuture<'a, Result<(), Blocked>> {
        let call = tool_use.call;
        Box::pin(async move {
            let input = self.input(HookEvent::PreTool, call_fields(call));
            let verdicts = self
                .run_until_block(HookEvent::PreTool, Some(&call.name), &input, report)
                .await;
            match verdicts.into_iter().last() {
                Some(Verdict::Block(reason)) => Err(Blocked::new("a hook", reason)),
                _ => Ok(()),
            }
        })
    }

    fn post_tool<'a>(
        &'a self,
        call: &'a ToolCall,
        ok: bool,
        output: &'a str,
        report: Report<'a>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut fields = call_fields(call);
            fields.insert("ok".into(), json!(ok));
            fields.insert("result".into(), json!(output));
            let input = self.input(HookEvent::PostTool, fields);
            for hook in self
                .hooks
                .iter()
                .filter(|h| h.applies(HookEvent::PostTool, Some(&call.name)))
            {
                if let Verdict::Block(reason) = self.run_one(hook, &input, report).await {
                    report(unblockable(HookEvent::PostTool, &reason));
                }
            }
        })
    }

    fn stop<'a>(&'a self, last_message: &'a str, report: Report<'a>) -> BoxFuture<'a, StopVerdict> {
        Box::pin(async move {
            let mut fields = Map::new();
            fields.insert("last_message".into(), json!(last_message));
            let active = self.stop_active.load(Ordering::SeqCst);
            fields.insert("stop_hook_active".into(), json!(active));
            let input = self.input(HookEvent::Stop, fields);
            let verdicts = self
                .run_until_block(HookEvent::Stop, None, &input, report)
                .await;
            match verdicts.into_iter().last() {
                Some(Verdict::Block(message)) => {
                    self.stop_active.store(true, Ordering::SeqCst);
                    StopVerdict::Continue {
                        message,
                        unfinished: false,
                    }
                }
                _ => StopVerdict::Done,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(event: HookEvent, matcher: Option<&str>) -> Hook {
        compile(
            1,
            &HookConfig {
                event,
                matcher: matcher.map(str::to_string),
                command: "true".into(),
                timeout_ms: None,
            },
        )
        .unwrap()
    }

    #[test]
    fn match_is_anchored_and_only_filters_tool_events() {
        let h = hook(HookEvent::PostTool, Some("edit_file|write_file"));
        assert!(h.applies(HookEvent::PostTool, Some("write_file")));
        assert!(!h.applies(HookEvent::PostTool, Some("my_edit_file_x")));
        assert!(!h.applies(HookEvent::PreTool, Some("write_file")));
        assert!(hook(HookEvent::PreTool, None).applies(HookEvent::PreTool, Some("shell")));
        assert!(hook(HookEvent::Stop, Some("x")).applies(HookEvent::Stop, None));
    }

    #[test]
    fn a_bad_regex_names_the_entry() {
        let err = compile(
            3,
            &HookConfig {
                event: HookEvent::PreTool,
                matcher: Some("(".into()),
                command: "x".into(),
                timeout_ms: None,
            },
        )
        .err()
        .unwrap();
        assert!(
            err.to_string().starts_with("[[hooks]] entry 3 (`x`)"),
            "{err}"
        );
    }

    #[test]
    fn exit_codes_map_to_verdicts() {
        let h = hook(HookEvent::PreTool, None);
        let run = |code: Option<i32>, timed_out: bool| HookRun {
            exit_code: code,
            stdout: "out".into(),
            stderr: "why\n".into(),
            timed_out,
            unsandboxed: None,
        };
        let mut warnings = Vec::new();
        let mut warn = |w: String| warnings.push(w);
        assert!(
            matches!(classify(&h, run(Some(0), false), &mut warn), Verdict::Continue(o) if o == "out")
        );
        assert!(
            matches!(classify(&h, run(Some(2), false), &mut warn), Verdict::Block(r) if r == "why")
        );
        assert!(matches!(
            classify(&h, run(Some(1), false), &mut warn),
            Verdict::Failed
        ));
        assert!(matches!(
            classify(&h, run(None, true), &mut warn),
            Verdict::Failed
        ));
        assert_eq!(
            warnings,
            [
                "exited with 1: why",
                "timed out after 60000 ms and was killed"
            ]
        );
    }
}
