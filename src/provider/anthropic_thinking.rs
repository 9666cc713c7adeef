//! Claude's thinking: which `thinking` parameter a request carries, and the signed blocks that
//! go back. During tool use the API checks that the assistant turn being continued still starts
//! with the thinking block it produced, signature intact; thinking from another model is never
//! sent, so after a model switch mid-loop that one request goes without thinking instead.

use crate::config::ThinkingMode;
use crate::conversation::Item;
use crate::types::Effort;
use serde_json::{json, Value};

/// Interleaved thinking (thinking between tool calls) with a fixed budget needs this beta;
/// adaptive thinking interleaves on its own.
pub(super) const INTERLEAVED_BETA: &str = "interleaved-thinking-2025-05-14";

/// The smallest budget the API accepts.
const MIN_BUDGET: u64 = 1024;

/// What a request says about thinking.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Plan {
    /// The `thinking` parameter.
    pub thinking: Value,
    /// `output_config` (adaptive effort), if any.
    pub output_config: Option<Value>,
    /// Whether the budget beta header is needed.
    pub interleaved_beta: bool,
}

/// The thinking parameters for a request, or `None` to send it without thinking: the model
/// does not think, the output limit leaves no room for a budget, or the tool turn being
/// continued was not produced by this model with thinking (see the module comment).
pub(super) fn plan(
    mode: Option<ThinkingMode>,
    effort: Option<Effort>,
    max_tokens: u64,
    history: &[Item],
    origin: &str,
) -> Option<Plan> {
    let mode = mode?;
    if !continues_own_thinking(mode, history, origin) {
        return None;
    }
    match mode {
        ThinkingMode::Adaptive => Some(Plan {
            thinking: json!({"type": "adaptive"}),
            output_config: effort.map(|e| json!({"effort": adaptive_effort(e)})),
            interleaved_beta: false,
        }),
        ThinkingMode::Budget => {
            let room = max_tokens.checked_sub(MIN_BUDGET)?;
            let budget = budget_tokens(effort).min(room);
            (budget >= MIN_BUDGET).then(|| Plan {
                thinking: json!({"type": "enabled", "budget_tokens": budget}),
                output_config: None,
                interleaved_beta: true,
            })
        }
    }
}

/// Anthropic's effort levels are low, medium, high (and max); `minimal` is its `low`.
fn adaptive_effort(e: Effort) -> &'static str {
    match e {
        Effort::Minimal | Effort::Low => "low",
        Effort::Medium => "medium",
        Effort::High => "high",
    }
}

/// A fixed thinking budget per effort; no effort set is `medium`.
fn budget_tokens(e: Option<Effort>) -> u64 {
    match e {
        Some(Effort::Minimal) => MIN_BUDGET,
        Some(Effort::Low) => 4_000,
        None | Some(Effort::Medium) => 10_000,
        Some(Effort::High) => 24_000,
    }
}

/// Whether thinking may be on for a request continuing `history`. Only the newest assistant
/// turn matters, and only when it called tools (the loop continues it): it must carry this
/// model's thinking. A budget model always thinks first, so a tool turn without its thinking
/// came from another model; an adaptive model may have chosen not to think, so only thinking
/// from another origin proves a switch.
fn continues_own_thinking(mode: ThinkingMode, history: &[Item], origin: &str) -> bool {
    let last = history.iter().rev().find_map(|i| match i {
        Item::Assistant {
            tool_calls,
            reasoning,
            ..
        } => Some((tool_calls, reasoning)),
        _ => None,
    });
    let Some((calls, reasoning)) = last else {
        return true;
    };
    if calls.is_empty() {
        return true;
    }
    let own = reasoning.iter().any(|r| r.origin == origin);
    match mode {
        ThinkingMode::Budget => own,
        ThinkingMode::Adaptive => own || reasoning.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::ToolCall;
    use crate::conversation::{Reasoning, ReasoningBlock};

    fn tool_turn(reasoning: Vec<Reasoning>) -> Vec<Item> {
        vec![
            Item::user("go"),
            Item::Assistant {
                text: String::new(),
                tool_calls: vec![ToolCall {
                    id: "t".into(),
                    name: "x".into(),
                    arguments: "{}".into(),
                }],
                reasoning,
            },
        ]
    }

    fn thought(origin: &str) -> Reasoning {
        Reasoning {
            origin: origin.into(),
            block: ReasoningBlock::Thinking {
                thinking: "hm".into(),
                signature: "sig".into(),
            },
        }
    }

    #[test]
    fn budget_follows_effort_within_the_output_limit() {
        let p = plan(
            Some(ThinkingMode::Budget),
            Some(Effort::High),
            64_000,
            &[],
            "a/m",
        )
        .unwrap();
        assert_eq!(p.thinking["budget_tokens"], 24_000);
        let p = plan(
            Some(ThinkingMode::Budget),
            Some(Effort::High),
            8_192,
            &[],
            "a/m",
        )
        .unwrap();
        assert_eq!(p.thinking["budget_tokens"], 8_192 - 1024);
        assert!(plan(Some(ThinkingMode::Budget), None, 1500, &[], "a/m").is_none());
        let p = plan(
            Some(ThinkingMode::Adaptive),
            Some(Effort::Minimal),
            8_192,
            &[],
            "a/m",
        );
        assert_eq!(p.unwrap().output_config, Some(json!({"effort": "low"})));
    }

    #[test]
    fn a_tool_turn_from_another_model_turns_thinking_off_for_the_request() {
        let own = tool_turn(vec![thought("a/m")]);
        let other = tool_turn(vec![thought("a/other")]);
        let none = tool_turn(vec![]);
        let budget = Some(ThinkingMode::Budget);
        let adaptive = Some(ThinkingMode::Adaptive);
        assert!(plan(budget, None, 64_000, &own, "a/m").is_some());
        assert!(plan(budget, None, 64_000, &other, "a/m").is_none());
        assert!(plan(budget, None, 64_000, &none, "a/m").is_none());
        assert!(plan(adaptive, None, 64_000, &none, "a/m").is_some());
        assert!(plan(adaptive, None, 64_000, &other, "a/m").is_none());
    }
}
