//! Reassembling a Messages API stream: text, tool calls in fragments, thinking blocks with their
//! signatures, and usage as Anthropic (or a proxy in front of it) reports it.

use super::{Delta, DeltaSink, ProviderError};
use crate::conversation::{Completion, Reasoning, ReasoningBlock, ToolCall, Usage};
use serde_json::{json, Value};

/// One content block being streamed.
enum Block {
    Text,
    Tool(ToolCall),
    Thinking { thinking: String, signature: String },
    Other,
}

pub(super) struct Accumulator {
    origin: String,
    text: String,
    blocks: Vec<(u64, Block)>,
    calls: Vec<ToolCall>,
    reasoning: Vec<Reasoning>,
    /// Input, cache-read and cache-write counts as last reported.
    raw: [Option<u64>; 3],
    output: Option<u64>,
    stopped: bool,
}

impl Accumulator {
    pub(super) fn new(origin: String) -> Self {
        Accumulator {
            origin,
            text: String::new(),
            blocks: Vec::new(),
            calls: Vec::new(),
            reasoning: Vec::new(),
            raw: [None; 3],
            output: None,
            stopped: false,
        }
    }

    /// Returns true at `message_stop`.
    pub(super) fn absorb(
        &mut self,
        event: &str,
        data: &Value,
        provider: &str,
        sink: DeltaSink<'_>,
    ) -> Result<bool, ProviderError> {
        let kind = if event.is_empty() {
            data["type"].as_str().unwrap_or("")
        } else {
            event
        };
        match kind {
            "message_start" => self.take_usage(&data["message"]["usage"]),
            "content_block_start" => self.start_block(data),
            "content_block_delta" => self.delta(data, sink),
            "content_block_stop" => self.stop_block(data["index"].as_u64().unwrap_or(0)),
            "message_delta" => {
                self.take_usage(&data["usage"]);
                if data
                    .pointer("/delta/stop_reason")
                    .is_some_and(|r| !r.is_null())
                {
                    self.stopped = true;
                }
            }
            "message_stop" => return Ok(true),
            "error" => {
                let kind = data
                    .pointer("/error/type")
                    .and_then(Value::as_str)
                    .unwrap_or("error");
                let message = data
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .unwrap_or(kind);
                let status = if kind == "overloaded_error" {
                    529
                } else if kind == "api_error" {
                    500
                } else {
                    400
                };
                return Err(ProviderError::Status {
                    provider: provider.into(),
                    status,
                    message: message.into(),
                    retry_after: None,
                });
            }
            _ => {}
        }
        Ok(false)
    }

    /// Usage from `message_start` or `message_delta`. Anthropic sends the input counts at the
    /// start and the output count at the end; proxies such as LiteLLM send zeros at the start
    /// and every count at the end. So a count replaces the one before it unless it is a zero
    /// after a real figure; the output count is always the latest.
    fn take_usage(&mut self, u: &Value) {
        let get = |k: &str| u.get(k).and_then(Value::as_u64);
        let keys = [
            "input_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ];
        for (slot, key) in self.raw.iter_mut().zip(keys) {
            if let Some(n) = get(key).filter(|n| *n > 0 || slot.is_none()) {
                *slot = Some(n);
            }
        }
        if let Some(n) = get("output_tokens") {
            self.output = Some(n);
        }
    }

    /// Anthropic's `input_tokens` excludes cache reads and writes; neutral usage counts them all.
    fn usage(&self) -> Option<Usage> {
        let [fresh, read, write] = self.raw;
        if self.raw.iter().all(Option::is_none) && self.output.is_none() {
            return None;
        }
        let (read, write) = (read.unwrap_or(0), write.unwrap_or(0));
        Some(Usage {
            input_tokens: fresh.unwrap_or(0) + read + write,
            cached_input_tokens: read,
            cache_write_tokens: write,
            output_tokens: self.output.unwrap_or(0),
            reasoning_tokens: 0,
        })
    }

    fn start_block(&mut self, data: &Value) {
        let index = data["index"].as_u64().unwrap_or(0);
        let b = &data["content_block"];
        let block = match b["type"].as_str() {
            Some("text") => {
                if let Some(t) = b["text"].as_str() {
                    self.text.push_str(t);
                }
                Block::Text
            }
            Some("tool_use") => Block::Tool(ToolCall {
                id: b["id"].as_str().unwrap_or_default().to_string(),
                name: b["name"].as_str().unwrap_or_default().to_string(),
                arguments: String::new(),
            }),
            Some("thinking") => Block::Thinking {
                thinking: b["thinking"].as_str().unwrap_or_default().to_string(),
                signature: b["signature"].as_str().unwrap_or_default().to_string(),
            },
            Some("redacted_thinking") => {
                self.reasoning.push(Reasoning {
                    origin: self.origin.clone(),
                    block: ReasoningBlock::RedactedThinking {
                        data: b["data"].as_str().unwrap_or_default().to_string(),
                    },
                });
                Block::Other
            }
            _ => Block::Other,
        };
        self.blocks.push((index, block));
    }

    fn delta(&mut self, data: &Value, sink: DeltaSink<'_>) {
        let index = data["index"].as_u64().unwrap_or(0);
        let Some((_, block)) = self.blocks.iter_mut().find(|(i, _)| *i == index) else {
            return;
        };
        let d = &data["delta"];
        match (block, d["type"].as_str()) {
            (Block::Text, Some("text_delta")) => {
                let t = d["text"].as_str().unwrap_or_default();
                self.text.push_str(t);
                sink(Delta::Text(t));
            }
            (Block::Thinking { thinking, .. }, Some("thinking_delta")) => {
                let t = d["thinking"].as_str().unwrap_or_default();
                thinking.push_str(t);
                sink(Delta::Reasoning(t));
            }
            (Block::Thinking { signature, .. }, Some("signature_delta")) => {
                signature.push_str(d["signature"].as_str().unwrap_or_default());
            }
            (Block::Tool(call), Some("input_json_delta")) => {
                call.arguments
                    .push_str(d["partial_json"].as_str().unwrap_or_default());
            }
            _ => {}
        }
    }

    fn stop_block(&mut self, index: u64) {
        let Some(pos) = self.blocks.iter().position(|(i, _)| *i == index) else {
            return;
        };
        match self.blocks.remove(pos).1 {
            Block::Tool(mut call) => {
                if call.arguments.trim().is_empty() {
                    call.arguments = "{}".into();
                }
                self.calls.push(call);
            }
            Block::Thinking {
                thinking,
                signature,
            } => self.reasoning.push(Reasoning {
                origin: self.origin.clone(),
                block: ReasoningBlock::Thinking {
                    thinking,
                    signature,
                },
            }),
            Block::Text | Block::Other => {}
        }
    }

    /// A complete `message` object, from a server that answered without streaming.
    pub(super) fn absorb_message(&mut self, m: &Value, sink: DeltaSink<'_>) {
        for (i, b) in m["content"].as_array().into_iter().flatten().enumerate() {
            let index = i as u64;
            let mut b = b.clone();
            let text = b["text"].as_str().map(str::to_string);
            let input = b.get("input").cloned();
            if b["type"] == "text" {
                b["text"] = json!("");
            }
            self.start_block(&json!({"index": index, "content_block": b}));
            if let Some(t) = text {
                self.delta(
                    &json!({"index": index, "delta": {"type": "text_delta", "text": t}}),
                    sink,
                );
            }
            if let Some(input) = input.filter(|_| b["type"] == "tool_use") {
                let args = input.to_string();
                self.delta(
                    &json!({"index": index, "delta": {"type": "input_json_delta", "partial_json": args}}),
                    sink,
                );
            }
            self.stop_block(index);
        }
        self.take_usage(&m["usage"]);
        self.stopped = !m["stop_reason"].is_null();
    }

    pub(super) fn finish(self, provider: &str) -> Result<Completion, ProviderError> {
        if !self.stopped {
            return Err(ProviderError::Truncated {
                provider: provider.into(),
            });
        }
        let usage = self.usage();
        Ok(Completion {
            text: self.text,
            tool_calls: self.calls,
            usage,
            reasoning: self.reasoning,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_counts_cache_reads_and_writes_as_input() {
        let mut acc = Accumulator::new("a/m".into());
        acc.take_usage(&json!({"input_tokens": 10, "cache_read_input_tokens": 90,
                               "cache_creation_input_tokens": 5, "output_tokens": 1}));
        acc.take_usage(&json!({"output_tokens": 7}));
        let u = acc.usage().unwrap();
        assert_eq!(u.input_tokens, 105);
        assert_eq!((u.cached_input_tokens, u.cache_write_tokens), (90, 5));
        assert_eq!(u.output_tokens, 7);
    }

    #[test]
    fn usage_reported_only_at_the_end_by_a_proxy_is_taken_from_message_delta() {
        let mut acc = Accumulator::new("a/m".into());
        acc.take_usage(
            &json!({"input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 0}),
        );
        acc.take_usage(&json!({"input_tokens": 12, "cache_read_input_tokens": 300,
                               "cache_creation_input_tokens": 40, "output_tokens": 9}));
        let u = acc.usage().unwrap();
        assert_eq!(u.input_tokens, 352);
        assert_eq!((u.cached_input_tokens, u.cache_write_tokens), (300, 40));
    }

    #[test]
    fn no_usage_anywhere_is_unknown() {
        assert_eq!(Accumulator::new("a/m".into()).usage(), None);
    }
}
