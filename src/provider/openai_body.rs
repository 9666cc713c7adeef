//! The chat completions request body, serialized straight from the session's history. It is
//! rebuilt for every step with the whole history in it, so it borrows: building a
//! `serde_json::Value` first copied every message and tool schema once more per step, which was
//! most of a cheap step's CPU and, as the history grew, most of the memory a long session gained.

use super::HttpEndpoint;
use crate::conversation::{Image, Item, ToolCall, ToolSpec};
use serde::Serialize;
use serde_json::{json, Value};

/// The body, in the field order servers have always been sent.
#[derive(Serialize)]
pub(super) struct Body<'a> {
    model: &'a str,
    messages: Vec<Message<'a>>,
    stream: bool,
    stream_options: StreamOptions,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tools: Vec<Tool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<Value>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Serialize)]
struct Tool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: Function<'a>,
}

#[derive(Serialize)]
struct Function<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
}

/// One message; `role` comes first, as the tag.
#[derive(Serialize)]
#[serde(tag = "role", rename_all = "lowercase")]
enum Message<'a> {
    System {
        content: &'a str,
    },
    User {
        content: Content<'a>,
    },
    Assistant {
        /// `null` only beside tool calls; an empty reply must be an empty string.
        content: Option<&'a str>,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        tool_calls: Vec<CallOut<'a>>,
    },
    Tool {
        tool_call_id: &'a str,
        content: &'a str,
    },
}

/// Text alone stays a string (what every compatible server takes); with images, content parts.
#[derive(Serialize)]
#[serde(untagged)]
enum Content<'a> {
    Text(&'a str),
    Parts(Vec<Value>),
}

#[derive(Serialize)]
struct CallOut<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: CallFunction<'a>,
}

#[derive(Serialize)]
struct CallFunction<'a> {
    name: &'a str,
    arguments: &'a str,
}

impl<'a> Body<'a> {
    pub(super) fn new(
        ep: &'a HttpEndpoint,
        req: &super::Request<'a>,
        response_format: Option<Value>,
    ) -> Self {
        Body {
            model: &ep.model,
            messages: messages(req.system, req.history),
            stream: true,
            stream_options: StreamOptions {
                include_usage: true,
            },
            tools: req.tools.iter().map(tool).collect(),
            max_tokens: ep.max_output_tokens,
            response_format,
        }
    }
}

fn tool(t: &ToolSpec) -> Tool<'_> {
    Tool {
        kind: "function",
        function: Function {
            name: &t.name,
            description: &t.description,
            parameters: &t.parameters,
        },
    }
}

/// Neutral history → messages. A `tool` message takes text only, so the images of tool results
/// follow in one user message after the run of results (a user message between two results
/// would break their pairing with the assistant's calls).
fn messages<'a>(system: &'a str, history: &'a [Item]) -> Vec<Message<'a>> {
    let mut out = Vec::with_capacity(history.len() + 1);
    out.push(Message::System { content: system });
    let mut from_tools: Vec<(&str, &Image)> = Vec::new();
    for item in history {
        if !matches!(item, Item::ToolResult { .. }) {
            flush_tool_images(&mut out, &mut from_tools);
        }
        out.push(match item {
            Item::User { text, images } => Message::User {
                content: user_content(text, images),
            },
            Item::Assistant {
                text, tool_calls, ..
            } => assistant(text, tool_calls),
            Item::ToolResult {
                call_id,
                output,
                images,
                ..
            } => {
                from_tools.extend(images.iter().map(|i| (call_id.as_str(), i)));
                Message::Tool {
                    tool_call_id: call_id,
                    content: output,
                }
            }
        });
    }
    flush_tool_images(&mut out, &mut from_tools);
    out
}

fn user_content<'a>(text: &'a str, images: &[Image]) -> Content<'a> {
    if images.is_empty() {
        return Content::Text(text);
    }
    let mut parts = vec![json!({"type": "text", "text": text})];
    parts.extend(images.iter().map(image_part));
    Content::Parts(parts)
}

fn image_part(image: &Image) -> Value {
    json!({"type": "image_url", "image_url": {"url": image.data_url()}})
}

/// The images tool results returned, as the user message after them.
fn flush_tool_images(out: &mut Vec<Message<'_>>, pending: &mut Vec<(&str, &Image)>) {
    if pending.is_empty() {
        return;
    }
    let mut text = include_str!("../../prompts/tool_images.md").to_string();
    let mut parts = Vec::new();
    for (call_id, image) in pending.drain(..) {
        text.push_str(&format!("- `{call_id}`: {}\n", image.name));
        parts.push(image_part(image));
    }
    parts.insert(0, json!({"type": "text", "text": text.trim_end()}));
    out.push(Message::User {
        content: Content::Parts(parts),
    });
}

fn assistant<'a>(text: &'a str, calls: &'a [ToolCall]) -> Message<'a> {
    let content = (!text.is_empty() || calls.is_empty()).then_some(text);
    Message::Assistant {
        content,
        tool_calls: calls
            .iter()
            .map(|c| CallOut {
                id: &c.id,
                kind: "function",
                function: CallFunction {
                    name: &c.name,
                    arguments: &c.arguments,
                },
            })
            .collect(),
    }
}
