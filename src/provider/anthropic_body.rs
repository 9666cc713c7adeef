//! The Messages request body, serialized straight from the session's history: like the OpenAI
//! bodies (`openai_body`, `responses_body`) it is rebuilt for every step with the whole history
//! in it, so it borrows the history's text (thinking included) instead of copying it into a
//! `serde_json::Value` first.

use super::anthropic_thinking::Plan;
use crate::conversation::ToolSpec;
use crate::conversation::{arguments_object, Image, Item, Reasoning, ReasoningBlock, ToolCall};
use serde::Serialize;
use serde_json::Value;

/// The body, in the field order the API has always been sent.
#[derive(Serialize)]
pub(super) struct Body<'a> {
    model: &'a str,
    max_tokens: u64,
    system: [Block<'a>; 1],
    messages: Vec<Message<'a>>,
    stream: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tools: Vec<Tool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_config: Option<Value>,
}

/// Marks the end of a cached prefix.
#[derive(Serialize, Clone, Copy)]
pub(super) struct Ephemeral {
    #[serde(rename = "type")]
    kind: &'static str,
}

const EPHEMERAL: Option<Ephemeral> = Some(Ephemeral { kind: "ephemeral" });

#[derive(Serialize)]
struct Tool<'a> {
    name: &'a str,
    description: &'a str,
    input_schema: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_control: Option<Ephemeral>,
}

#[derive(Serialize)]
pub(super) struct Message<'a> {
    role: &'static str,
    content: Vec<Block<'a>>,
}

/// One content block; `type` comes first, as the tag, and the cache mark last.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Block<'a> {
    Text {
        text: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<Ephemeral>,
    },
    Image {
        source: ImageSource,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<Ephemeral>,
    },
    ToolResult {
        tool_use_id: &'a str,
        content: ResultContent<'a>,
        is_error: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<Ephemeral>,
    },
    ToolUse {
        id: &'a str,
        name: &'a str,
        input: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<Ephemeral>,
    },
    Thinking {
        thinking: &'a str,
        signature: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<Ephemeral>,
    },
    RedactedThinking {
        data: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<Ephemeral>,
    },
}

impl Block<'_> {
    fn mark_cached(&mut self) {
        let (Block::Text { cache_control, .. }
        | Block::Image { cache_control, .. }
        | Block::ToolResult { cache_control, .. }
        | Block::ToolUse { cache_control, .. }
        | Block::Thinking { cache_control, .. }
        | Block::RedactedThinking { cache_control, .. }) = self;
        *cache_control = EPHEMERAL;
    }
}

#[derive(Serialize)]
pub(super) struct ImageSource {
    #[serde(rename = "type")]
    kind: &'static str,
    media_type: &'static str,
    data: String,
}

/// A tool result's content: its text, or with images text and image blocks.
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum ResultContent<'a> {
    Text(&'a str),
    Blocks(Vec<Block<'a>>),
}

/// What a request sends besides the history.
pub(super) struct Settings<'a> {
    pub model: &'a str,
    pub max_tokens: u64,
    pub plan: Option<&'a Plan>,
    /// The origin whose thinking goes back, when thinking is on.
    pub origin: &'a str,
    /// The answer format, beside any `effort` the plan puts in `output_config`.
    pub format: Option<Value>,
}

impl<'a> Body<'a> {
    pub(super) fn new(req: &super::Request<'a>, settings: Settings<'a>) -> Self {
        let mut tools: Vec<Tool<'a>> = req.tools.iter().map(tool).collect();
        if let Some(last) = tools.last_mut() {
            last.cache_control = EPHEMERAL;
        }
        let thinking_origin = settings.plan.is_some().then_some(settings.origin);
        Body {
            model: settings.model,
            max_tokens: settings.max_tokens,
            system: [Block::Text {
                text: req.system,
                cache_control: EPHEMERAL,
            }],
            messages: messages(req.history, thinking_origin),
            stream: true,
            tools,
            thinking: settings.plan.map(|p| &p.thinking),
            output_config: output_config(settings.plan, settings.format),
        }
    }
}

fn tool(t: &ToolSpec) -> Tool<'_> {
    Tool {
        name: &t.name,
        description: &t.description,
        input_schema: &t.parameters,
        cache_control: None,
    }
}

/// The plan's `output_config` (adaptive effort) with the answer format added after it.
fn output_config(plan: Option<&Plan>, format: Option<Value>) -> Option<Value> {
    let config = plan.and_then(|p| p.output_config.clone());
    let Some(format) = format else {
        return config;
    };
    let mut config = config
        .filter(Value::is_object)
        .unwrap_or_else(|| Value::Object(Default::default()));
    config["format"] = format;
    Some(config)
}

/// Neutral history → alternating user/assistant messages. Tool results become `tool_result`
/// blocks of a user message, merged with any user text that follows, since the API rejects two
/// user messages in a row. With thinking on, each assistant turn starts with the thinking blocks
/// `origin` produced for it, unchanged. The last block carries the cache breakpoint.
pub(super) fn messages<'a>(history: &'a [Item], thinking_origin: Option<&str>) -> Vec<Message<'a>> {
    let mut out: Vec<Message<'a>> = Vec::new();
    for item in history {
        let (role, blocks) = match item {
            Item::User { text, images } => {
                // Images first, then the question about them, as Anthropic advises.
                let mut blocks: Vec<Block<'a>> = images.iter().map(image_block).collect();
                blocks.push(text_block(text));
                ("user", blocks)
            }
            Item::ToolResult {
                call_id,
                output,
                is_error,
                images,
                ..
            } => (
                "user",
                vec![tool_result(call_id, output, *is_error, images)],
            ),
            Item::Assistant {
                text,
                tool_calls,
                reasoning,
            } => {
                let mut blocks = thinking_origin
                    .map(|o| thinking_blocks(reasoning, o))
                    .unwrap_or_default();
                blocks.extend(assistant_blocks(text, tool_calls));
                ("assistant", blocks)
            }
        };
        match out.last_mut() {
            Some(last) if last.role == role => last.content.extend(blocks),
            _ => out.push(Message {
                role,
                content: blocks,
            }),
        }
    }
    if let Some(block) = out.last_mut().and_then(|m| m.content.last_mut()) {
        block.mark_cached();
    }
    out
}

fn text_block(text: &str) -> Block<'_> {
    Block::Text {
        text,
        cache_control: None,
    }
}

fn image_block<'a>(image: &Image) -> Block<'a> {
    Block::Image {
        source: ImageSource {
            kind: "base64",
            media_type: image.media_type.mime(),
            data: image.base64(),
        },
        cache_control: None,
    }
}

fn tool_result<'a>(
    call_id: &'a str,
    output: &'a str,
    is_error: bool,
    images: &[Image],
) -> Block<'a> {
    let content = if images.is_empty() {
        ResultContent::Text(output)
    } else {
        let mut parts = vec![text_block(output)];
        parts.extend(images.iter().map(image_block));
        ResultContent::Blocks(parts)
    };
    Block::ToolResult {
        tool_use_id: call_id,
        content,
        is_error,
        cache_control: None,
    }
}

/// The thinking blocks `origin` produced, to send back unchanged.
fn thinking_blocks<'a>(reasoning: &'a [Reasoning], origin: &str) -> Vec<Block<'a>> {
    reasoning
        .iter()
        .filter(|r| r.origin == origin)
        .filter_map(|r| match &r.block {
            ReasoningBlock::Thinking {
                thinking,
                signature,
            } => Some(Block::Thinking {
                thinking,
                signature,
                cache_control: None,
            }),
            ReasoningBlock::RedactedThinking { data } => Some(Block::RedactedThinking {
                data,
                cache_control: None,
            }),
            ReasoningBlock::OpenaiReasoning { .. } => None,
        })
        .collect()
}

fn assistant_blocks<'a>(text: &'a str, calls: &'a [ToolCall]) -> Vec<Block<'a>> {
    let mut blocks = Vec::new();
    if !text.is_empty() {
        blocks.push(text_block(text));
    }
    blocks.extend(calls.iter().map(|c| Block::ToolUse {
        id: &c.id,
        name: &c.name,
        input: arguments_object(&c.arguments),
        cache_control: None,
    }));
    if blocks.is_empty() {
        blocks.push(text_block("(no output)"));
    }
    blocks
}
