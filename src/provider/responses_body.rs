//! The Responses request body, serialized straight from the session's history: like the chat
//! completions body (`openai_body`), it is rebuilt for every step with the whole history in it,
//! so it borrows the history's text instead of copying it into a `serde_json::Value` first.

use super::HttpEndpoint;
use crate::conversation::{Image, Item, ReasoningBlock, ToolSpec};
use crate::types::Effort;
use serde::Serialize;
use serde_json::{json, Value};

/// The body, in the field order servers have always been sent.
#[derive(Serialize)]
pub(super) struct Body<'a> {
    model: &'a str,
    instructions: &'a str,
    input: Vec<InputItem<'a>>,
    stream: bool,
    store: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tools: Vec<Tool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<ReasoningAsk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    include: Option<[&'static str; 1]>,
    #[serde(skip_serializing_if = "str::is_empty")]
    prompt_cache_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_output_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<TextFormat>,
}

#[derive(Serialize)]
struct Tool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
    strict: bool,
}

#[derive(Serialize)]
struct ReasoningAsk {
    summary: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    effort: Option<&'static str>,
}

#[derive(Serialize)]
struct TextFormat {
    format: Value,
}

/// One input item; `type` comes first, as the tag.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum InputItem<'a> {
    Message {
        role: &'static str,
        content: Vec<Part<'a>>,
    },
    Reasoning {
        id: &'a str,
        summary: Vec<Part<'a>>,
        encrypted_content: &'a str,
    },
    FunctionCall {
        call_id: &'a str,
        name: &'a str,
        arguments: &'a str,
    },
    FunctionCallOutput {
        call_id: &'a str,
        output: Output<'a>,
    },
}

/// A content part: text borrowed from the history, or an image (built per request).
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum Part<'a> {
    Text {
        #[serde(rename = "type")]
        kind: &'static str,
        text: &'a str,
    },
    Image(Value),
}

/// A function call's output: its text, or with images a list of input parts (the API takes
/// images in a tool result).
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum Output<'a> {
    Text(&'a str),
    Parts(Vec<Part<'a>>),
}

impl<'a> Body<'a> {
    pub(super) fn new(
        ep: &'a HttpEndpoint,
        req: &super::Request<'a>,
        origin: &str,
        format: Option<Value>,
    ) -> Self {
        let reasons = ep.capabilities.reasoning;
        Body {
            model: &ep.model,
            instructions: req.system,
            input: input(req.history, origin),
            stream: true,
            store: false,
            tools: req.tools.iter().map(tool).collect(),
            reasoning: reasons.then(|| ReasoningAsk {
                summary: "auto",
                effort: req.effort.map(openai_effort),
            }),
            include: reasons.then_some(["reasoning.encrypted_content"]),
            prompt_cache_key: req.cache_key,
            max_output_tokens: ep.max_output_tokens,
            text: format.map(|format| TextFormat { format }),
        }
    }
}

fn tool(t: &ToolSpec) -> Tool<'_> {
    Tool {
        kind: "function",
        name: &t.name,
        description: &t.description,
        parameters: &t.parameters,
        strict: false,
    }
}

/// OpenAI's current reasoning models take `none`, `low`, `medium`, `high` (and `xhigh`); older
/// ones `minimal` instead of `none`. `low` is the cheapest level every one of them accepts.
fn openai_effort(e: Effort) -> &'static str {
    match e {
        Effort::Minimal | Effort::Low => "low",
        Effort::Medium => "medium",
        Effort::High => "high",
    }
}

fn text<'a>(kind: &'static str, text: &'a str) -> Part<'a> {
    Part::Text { kind, text }
}

/// Neutral history → input items. Each reasoning item goes right before the output it led to,
/// as the API requires; reasoning from another model, or without its encrypted content (which a
/// stateless request cannot do without), is left out.
pub(super) fn input<'a>(history: &'a [Item], origin: &str) -> Vec<InputItem<'a>> {
    let mut out = Vec::with_capacity(history.len());
    for item in history {
        match item {
            Item::User { text: said, images } => {
                let mut content = vec![text("input_text", said)];
                content.extend(images.iter().map(input_image));
                out.push(InputItem::Message {
                    role: "user",
                    content,
                });
            }
            Item::Assistant {
                text: said,
                tool_calls,
                reasoning,
            } => {
                for r in reasoning.iter().filter(|r| r.origin == origin) {
                    if let ReasoningBlock::OpenaiReasoning {
                        id,
                        summary,
                        encrypted_content: Some(enc),
                    } = &r.block
                    {
                        out.push(InputItem::Reasoning {
                            id,
                            summary: summary.iter().map(|s| text("summary_text", s)).collect(),
                            encrypted_content: enc,
                        });
                    }
                }
                if !said.is_empty() {
                    out.push(InputItem::Message {
                        role: "assistant",
                        content: vec![text("output_text", said)],
                    });
                }
                out.extend(tool_calls.iter().map(|c| InputItem::FunctionCall {
                    call_id: &c.id,
                    name: &c.name,
                    arguments: &c.arguments,
                }));
            }
            Item::ToolResult {
                call_id,
                output,
                images,
                ..
            } => out.push(InputItem::FunctionCallOutput {
                call_id,
                output: call_output(output, images),
            }),
        }
    }
    out
}

fn call_output<'a>(output: &'a str, images: &[Image]) -> Output<'a> {
    if images.is_empty() {
        return Output::Text(output);
    }
    let mut parts = vec![text("input_text", output)];
    parts.extend(images.iter().map(input_image));
    Output::Parts(parts)
}

fn input_image<'a>(image: &Image) -> Part<'a> {
    Part::Image(json!({"type": "input_image", "image_url": image.data_url(), "detail": "auto"}))
}
