//! `task`: runs one or more subagents, at most [`MAX_PARALLEL`] at a time, and returns each
//! one's final answer with its status and the id of its transcript.

use super::{AgentDef, Spawn, SpawnError, MAX_PARALLEL, MAX_TASKS, TOOL_NAME};
use crate::agent::{Event, Session, Status};
use crate::tools::{parse_args, Tool, ToolContext, ToolError, ToolResult};
use crate::types::{BoxFuture, Effects, Runs, Subject, ToolKind};
use futures_util::StreamExt;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// Why a child gave no answer; the parent's model reads it in the task's result.
#[derive(Debug, thiserror::Error)]
enum TaskError {
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    #[error("cannot start the subagent's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot start the subagent's thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error("the subagent's thread stopped without an answer")]
    NoAnswer,
}

pub struct TaskTool {
    spawn: Arc<dyn Spawn>,
    agents: Vec<AgentDef>,
    read_only: Vec<String>,
    description: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// What each subagent should do, in order.
    #[schemars(length(max = MAX_TASKS))]
    tasks: Vec<TaskArgs>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TaskArgs {
    /// The whole task: the subagent sees nothing else.
    prompt: String,
    /// A defined agent; the general read-only one without it.
    agent: Option<String>,
}

/// How one child ended.
struct Outcome {
    agent: String,
    session: String,
    status: Status,
    answer: String,
}

impl TaskTool {
    pub fn new(spawn: Arc<dyn Spawn>, agents: Vec<AgentDef>) -> Self {
        let mut description = include_str!("../../prompts/tools/task.md")
            .trim()
            .to_string();
        for a in &agents {
            description.push_str(&format!("\n- {}: {}", a.name, a.description));
        }
        let read_only = spawn.read_only_tools();
        TaskTool {
            spawn,
            agents,
            read_only,
            description,
        }
    }

    fn agent(&self, name: Option<&str>) -> Result<&AgentDef, ToolError> {
        let name = name.unwrap_or("general");
        self.agents.iter().find(|a| a.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.agents.iter().map(|a| a.name.as_str()).collect();
            ToolError::new(format!(
                "no agent `{name}`; the agents are: {}",
                names.join(", ")
            ))
        })
    }

    /// Runs one child on a thread of its own, as the engine runs a session (a session is not
    /// `Sync`, so its turn cannot be part of the parent's future); the parent's future only
    /// waits for the answer. Started lazily, so [`MAX_PARALLEL`] bounds the threads too.
    async fn run_one(&self, def: AgentDef, prompt: String) -> Result<Outcome, TaskError> {
        let session = self.spawn.child(&def)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let agent = def.name;
        std::thread::Builder::new()
            .name("reins-subagent".into())
            .spawn(move || {
                let outcome = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(TaskError::Runtime)
                    .map(|rt| rt.block_on(run_child(session, agent, &prompt)));
                // The parent stopped waiting (its turn was dropped): nobody is left to tell.
                let _ = tx.send(outcome);
            })
            .map_err(TaskError::Thread)?;
        rx.await.map_err(|_| TaskError::NoAnswer)?
    }
}

/// One child's whole life: announced, one turn on the prompt, finished; its events go to its
/// own transcript, and the parent reads only its answer.
async fn run_child(mut session: Session, agent: String, prompt: &str) -> Outcome {
    let mut quiet = |_: Event| {};
    session.announce(session.started_event(), &mut quiet);
    let status = session.run_turn(prompt.into(), &mut quiet).await;
    session.announce(session.finished_event(status), &mut quiet);
    Outcome {
        agent,
        session: session.id().to_string(),
        status,
        answer: session.last_message().to_string(),
    }
}

impl Tool for TaskTool {
    fn name(&self) -> &str {
        TOOL_NAME
    }
    fn description(&self) -> &str {
        &self.description
    }
    fn parameters(&self) -> serde_json::Value {
        // The agents are known only at run time: their names are listed as the enum of `agent`
        // (an unknown one is refused by `agent`, which lists them).
        let names: Vec<&str> = self.agents.iter().map(|a| a.name.as_str()).collect();
        let mut schema = crate::tools::schema_for::<Args>();
        schema["properties"]["tasks"]["items"]["properties"]["agent"]["enum"] = json!(names);
        schema
    }
    /// Read-only agents change nothing; an agent with other tools may edit and run commands
    /// (each of its calls still passes its own gate), so the call is declared as such: the
    /// parent checkpoints before it, and the approval policy asks.
    fn effects(&self, args: &serde_json::Value) -> Effects {
        let writes = args
            .get("tasks")
            .and_then(|t| t.as_array())
            .into_iter()
            .flatten()
            .any(|t| {
                let name = t.get("agent").and_then(|a| a.as_str());
                self.agent(name)
                    .is_ok_and(|def| !def.read_only(&self.read_only))
            });
        if writes {
            Effects {
                edits: true,
                runs: Runs::ModelWritten,
                ..Effects::of(ToolKind::Other)
            }
        } else {
            Effects::of(ToolKind::Other)
        }
    }
    fn subjects(&self, _args: &serde_json::Value) -> Vec<Subject> {
        Vec::new()
    }
    fn run<'a>(&'a self, args: &'a str, _ctx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let a: Args = parse_args(self.name(), args)?;
            if a.tasks.is_empty() || a.tasks.len() > MAX_TASKS {
                return Err(ToolError::new(format!(
                    "give between 1 and {MAX_TASKS} tasks ({} given)",
                    a.tasks.len()
                )));
            }
            let mut jobs = Vec::with_capacity(a.tasks.len());
            for t in &a.tasks {
                if t.prompt.trim().is_empty() {
                    return Err(ToolError::new(
                        "a task has an empty prompt; say what the subagent should do",
                    ));
                }
                jobs.push((self.agent(t.agent.as_deref())?.clone(), t.prompt.clone()));
            }
            let outcomes: Vec<Result<Outcome, TaskError>> = futures_util::stream::iter(jobs)
                .map(|(def, prompt)| self.run_one(def, prompt))
                .buffered(MAX_PARALLEL)
                .collect()
                .await;
            Ok(render(&outcomes).into())
        })
    }
}

/// Each child's answer in order, with how it ended and where its transcript is.
fn render(outcomes: &[Result<Outcome, TaskError>]) -> String {
    let mut out = String::new();
    for (i, o) in outcomes.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match o {
            Ok(o) => {
                let status = serde_json::to_value(o.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let answer = if o.answer.trim().is_empty() {
                    "(no answer)"
                } else {
                    o.answer.trim()
                };
                out.push_str(&format!(
                    "<task n=\"{}\" agent=\"{}\" session=\"{}\" status=\"{status}\">\n{answer}\n</task>",
                    i + 1,
                    o.agent,
                    o.session
                ));
            }
            Err(e) => out.push_str(&format!(
                "<task n=\"{}\" status=\"error\">\nthe subagent could not start: {e}\n</task>",
                i + 1
            )),
        }
    }
    out
}
