//! The provider-neutral conversation. History is kept in this form and converted per request at the
//! provider edge, so a session can switch models, even providers, between steps.

mod image;

pub use image::{Image, ImageError, MediaType, MAX_IMAGE_BYTES};
use serde::{Deserialize, Serialize};

/// One entry of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    User {
        text: String,
        /// Images sent with the text (`--image`, a pasted path, an editor's image block).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        images: Vec<Image>,
    },
    Assistant {
        text: String,
        tool_calls: Vec<ToolCall>,
        /// What the model reasoned before this reply, kept with the turn that produced it so the
        /// same model gets it back on the next request (see [`Reasoning`]).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        reasoning: Vec<Reasoning>,
    },
    ToolResult {
        call_id: String,
        name: String,
        output: String,
        is_error: bool,
        /// Images the call returned (`view_image`): a tool result part where the API takes
        /// one, else a user message right after the results.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        images: Vec<Image>,
    },
}

impl Item {
    /// A user message of text alone.
    pub fn user(text: impl Into<String>) -> Item {
        Item::User {
            text: text.into(),
            images: Vec::new(),
        }
    }

    /// The images the item carries.
    pub fn images(&self) -> &[Image] {
        match self {
            Item::User { images, .. } | Item::ToolResult { images, .. } => images,
            Item::Assistant { .. } => &[],
        }
    }

    /// The images, for loading their bytes back on resume.
    pub fn images_mut(&mut self) -> Option<&mut Vec<Image>> {
        match self {
            Item::User { images, .. } | Item::ToolResult { images, .. } => Some(images),
            Item::Assistant { .. } => None,
        }
    }
}

/// What a user turn sends: the text and any images attached to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prompt {
    pub text: String,
    pub images: Vec<Image>,
}

impl From<String> for Prompt {
    fn from(text: String) -> Self {
        Prompt {
            text,
            images: Vec::new(),
        }
    }
}

impl From<&str> for Prompt {
    fn from(text: &str) -> Self {
        Prompt::from(text.to_string())
    }
}

/// A tool call as the model made it. `arguments` stays the raw text the model wrote: it may be
/// malformed, and the model must be told exactly that rather than have it silently repaired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

impl ToolCall {
    /// The arguments as JSON; text that does not parse stays a JSON string, so events and the
    /// gate still show what the model wrote (the tool refuses it with a message).
    pub fn parsed_arguments(&self) -> serde_json::Value {
        serde_json::from_str(&self.arguments)
            .unwrap_or_else(|_| serde_json::Value::String(self.arguments.clone()))
    }
}

/// One piece of a model's reasoning. The payload is opaque and signed or encrypted by the
/// provider: it goes back unchanged, and only to the model that produced it (`origin`), since
/// another model or provider would reject it or misread it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reasoning {
    /// `PROVIDER/MODEL-ID` of the model that produced it.
    pub origin: String,
    pub block: ReasoningBlock,
}

/// The provider's own form of a reasoning item, as it must be sent back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReasoningBlock {
    /// An OpenAI Responses `reasoning` item; `encrypted_content` carries the reasoning itself
    /// when requests are stateless (`store: false`).
    OpenaiReasoning {
        id: String,
        #[serde(default)]
        summary: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encrypted_content: Option<String>,
    },
    /// An Anthropic `thinking` block and its signature.
    Thinking { thinking: String, signature: String },
    /// An Anthropic `redacted_thinking` block: encrypted, nothing to show.
    RedactedThinking { data: String },
}

impl Reasoning {
    /// The readable part, for front ends: a summary or the thinking text; empty when redacted.
    pub fn display_text(&self) -> String {
        match &self.block {
            ReasoningBlock::OpenaiReasoning { summary, .. } => summary.join("\n\n"),
            ReasoningBlock::Thinking { thinking, .. } => thinking.clone(),
            ReasoningBlock::RedactedThinking { .. } => String::new(),
        }
    }
}

/// A tool as the model sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: serde_json::Value,
}

/// Token counts of one model request. `input_tokens` counts every prompt token, the ones read
/// from the prompt cache (`cached_input_tokens`) and written to it (`cache_write_tokens`)
/// included; `output_tokens` includes `reasoning_tokens`, which are billed as output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    #[serde(default)]
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
    #[serde(default)]
    pub reasoning_tokens: u64,
}

impl Usage {
    pub fn add(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.cache_write_tokens += other.cache_write_tokens;
        self.output_tokens += other.output_tokens;
        self.reasoning_tokens += other.reasoning_tokens;
    }
}

/// What one model request produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Completion {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    /// `None` when the server reported no usage: its cost is unknown, not zero.
    pub usage: Option<Usage>,
    pub reasoning: Vec<Reasoning>,
}

/// Gives every tool call a result, inserting "not run" results where a history stops between a
/// call and its result (a process killed mid-step, then resumed): both APIs reject a call left
/// unanswered, which would make the session impossible to continue.
pub fn complete_tool_results(history: Vec<Item>) -> Vec<Item> {
    let mut out = Vec::with_capacity(history.len());
    let mut pending: Vec<ToolCall> = Vec::new();
    for item in history {
        match &item {
            Item::ToolResult { call_id, .. } => pending.retain(|c| &c.id != call_id),
            other => {
                answer(&mut out, &mut pending);
                if let Item::Assistant { tool_calls, .. } = other {
                    pending = tool_calls.clone();
                }
            }
        }
        out.push(item);
    }
    answer(&mut out, &mut pending);
    out
}

fn answer(out: &mut Vec<Item>, pending: &mut Vec<ToolCall>) {
    for c in pending.drain(..) {
        out.push(Item::ToolResult {
            call_id: c.id,
            name: c.name,
            output: "not run: the session was interrupted before this call finished".into(),
            is_error: true,
            images: Vec::new(),
        });
    }
}

/// The arguments of a tool call as a JSON object, for wire formats that need one (Anthropic's
/// `tool_use.input`). Malformed text is carried as a string field so nothing the model wrote is lost.
pub fn arguments_object(raw: &str) -> serde_json::Value {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        _ if raw.trim().is_empty() => serde_json::json!({}),
        _ => serde_json::json!({ "_unparsed_arguments": raw }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str) -> ToolCall {
        ToolCall {
            id: id.into(),
            name: "shell".into(),
            arguments: "{}".into(),
        }
    }

    #[test]
    fn unanswered_calls_get_not_run_results_in_place() {
        let h = vec![
            Item::user("go"),
            Item::Assistant {
                text: String::new(),
                tool_calls: vec![call("a"), call("b")],
                reasoning: Vec::new(),
            },
            Item::ToolResult {
                call_id: "a".into(),
                name: "shell".into(),
                output: "ok".into(),
                is_error: false,
                images: Vec::new(),
            },
            Item::user("next"),
        ];
        let fixed = complete_tool_results(h);
        assert_eq!(fixed.len(), 5);
        assert!(
            matches!(&fixed[3], Item::ToolResult { call_id, is_error: true, .. } if call_id == "b")
        );
        assert!(matches!(&fixed[4], Item::User { .. }));
    }

    #[test]
    fn a_history_ending_in_a_call_is_answered() {
        let fixed = complete_tool_results(vec![Item::Assistant {
            text: String::new(),
            tool_calls: vec![call("x")],
            reasoning: Vec::new(),
        }]);
        assert_eq!(fixed.len(), 2);
    }
}
