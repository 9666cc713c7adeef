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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::{Image, Item};
    use crate::provider::anthropic_thinking as thinking;
    use crate::provider::{HttpEndpoint, Request};
    use serde_json::json;

    /// Every kind of history item, as the server receives it: tool results merged into one user
    /// message with the text after them, this model's thinking first in its turn, the cache
    /// breakpoint on the last block, the answer format beside the thinking's effort.
    #[test]
    fn the_body_carries_every_kind_of_block_in_order() {
        let png = Image::from_bytes("shot.png", b"\x89PNG\r\n\x1a\n0000".to_vec()).unwrap();
        let thought = |origin: &str| Reasoning {
            origin: origin.into(),
            block: ReasoningBlock::Thinking {
                thinking: "hmm".into(),
                signature: "sig".into(),
            },
        };
        let redacted = Reasoning {
            origin: "p/m".into(),
            block: ReasoningBlock::RedactedThinking { data: "xx".into() },
        };
        let mut history = vec![
            Item::User {
                text: "look".into(),
                images: vec![png.clone()],
            },
            Item::Assistant {
                text: "reading".into(),
                tool_calls: vec![
                    ToolCall {
                        id: "c1".into(),
                        name: "read_file".into(),
                        arguments: r#"{"path":"a"}"#.into(),
                    },
                    ToolCall {
                        id: "c2".into(),
                        name: "read_file".into(),
                        arguments: "not json".into(),
                    },
                ],
                reasoning: vec![thought("p/m"), redacted, thought("other/x")],
            },
        ];
        history.extend(HttpEndpoint::read_results_for_tests(&png));
        history.push(Item::user("and now?"));
        history.push(Item::Assistant {
            text: String::new(),
            tool_calls: Vec::new(),
            reasoning: Vec::new(),
        });
        history.push(Item::user("go on"));
        let tools = vec![
            crate::conversation::ToolSpec {
                name: "read_file".into(),
                description: "Reads".into(),
                parameters: json!({"type": "object"}),
            },
            crate::conversation::ToolSpec {
                name: "shell".into(),
                description: "Runs".into(),
                parameters: json!({"type": "object", "required": ["command"]}),
            },
        ];
        let req = Request::for_tests(&tools, &history);
        let plan = thinking::Plan {
            thinking: json!({"type": "adaptive"}),
            output_config: Some(json!({"effort": "high"})),
            interleaved_beta: false,
        };
        let format = json!({"type": "json_schema", "schema": {"type": "object"}});
        let image = json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png.base64()}});
        let ephemeral = json!({"type": "ephemeral"});
        let expected = json!({
            "model": "m",
            "max_tokens": 77,
            "system": [{"type": "text", "text": "sys", "cache_control": ephemeral}],
            "messages": [
                {"role": "user", "content": [image, {"type": "text", "text": "look"}]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "xx"},
                    {"type": "text", "text": "reading"},
                    {"type": "tool_use", "id": "c1", "name": "read_file", "input": {"path": "a"}},
                    {"type": "tool_use", "id": "c2", "name": "read_file", "input": {"_unparsed_arguments": "not json"}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "c1", "content": [
                        {"type": "text", "text": "one"}, image,
                    ], "is_error": false},
                    {"type": "tool_result", "tool_use_id": "c2", "content": "two", "is_error": false},
                    {"type": "text", "text": "and now?"},
                ]},
                {"role": "assistant", "content": [{"type": "text", "text": "(no output)"}]},
                {"role": "user", "content": [{"type": "text", "text": "go on", "cache_control": ephemeral}]},
            ],
            "stream": true,
            "tools": [
                {"name": "read_file", "description": "Reads", "input_schema": {"type": "object"}},
                {"name": "shell", "description": "Runs", "input_schema": {"type": "object", "required": ["command"]}, "cache_control": ephemeral},
            ],
            "thinking": {"type": "adaptive"},
            "output_config": {"effort": "high", "format": {"type": "json_schema", "schema": {"type": "object"}}},
        });
        let sent = body_text("m", 77, &req, Some(&plan), "p/m", Some(format));
        let parsed: Value = serde_json::from_str(&sent).unwrap();
        assert_eq!(parsed, expected);
        let keys: Vec<&str> = parsed
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "model",
                "max_tokens",
                "system",
                "messages",
                "stream",
                "tools",
                "thinking",
                "output_config"
            ]
        );
        assert!(
            sent.contains(
                r#"{"type":"tool_result","tool_use_id":"c2","content":"two","is_error":false}"#
            ),
            "{sent}"
        );
        assert!(
            sent.contains(r#"{"type":"text","text":"go on","cache_control":{"type":"ephemeral"}}"#),
            "{sent}"
        );
        assert!(sent.contains(r#"{"effort":"high","format":"#), "{sent}");
    }

    fn body_text(
        model: &str,
        max_tokens: u64,
        req: &Request<'_>,
        plan: Option<&thinking::Plan>,
        origin: &str,
        format: Option<Value>,
    ) -> String {
        let settings = Settings {
            model,
            max_tokens,
            plan,
            origin,
            format,
        };
        serde_json::to_string(&Body::new(req, settings)).unwrap()
    }

    #[test]
    fn tool_results_merge_with_following_user_text() {
        let h = vec![
            Item::user("go"),
            Item::Assistant {
                text: String::new(),
                tool_calls: vec![ToolCall {
                    id: "t1".into(),
                    name: "x".into(),
                    arguments: "{}".into(),
                }],
                reasoning: Vec::new(),
            },
            Item::ToolResult {
                call_id: "t1".into(),
                name: "x".into(),
                output: "ok".into(),
                is_error: false,
                images: Vec::new(),
            },
            Item::user("more"),
        ];
        let m = crate::provider::anthropic_body::messages(&h, None);
        let m = serde_json::to_value(m).unwrap();
        assert_eq!(m.as_array().unwrap().len(), 3);
        assert_eq!(m[2]["content"].as_array().unwrap().len(), 2);
        assert_eq!(m[2]["content"][1]["cache_control"]["type"], "ephemeral");
    }
}
