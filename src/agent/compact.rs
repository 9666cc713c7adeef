//! Keeping the conversation inside the model's context window. First, large tool outputs of older
//! turns are elided (a note says what was there); if that is not enough, older turns are replaced
//! by a summary the model writes, keeping the last user message and the recent turns verbatim.

use super::thread::STATE_OPEN;
use crate::conversation::Item;
use std::collections::BTreeMap;

/// Tool outputs longer than this are elided from older turns first.
const ELIDE_OVER_BYTES: usize = 2048;
/// How many of the newest items are never elided or summarised.
const KEEP_RECENT: usize = 4;

/// Rough token count: about four bytes a token, good enough to decide when to compact.
pub fn estimate_tokens(items: &[Item]) -> u64 {
    items.iter().map(item_bytes).sum::<usize>() as u64 / 4
}

fn item_bytes(item: &Item) -> usize {
    match item {
        Item::User { text, .. } => text.len(),
        Item::Assistant {
            text, tool_calls, ..
        } => {
            text.len()
                + tool_calls
                    .iter()
                    .map(|c| c.name.len() + c.arguments.len())
                    .sum::<usize>()
        }
        Item::ToolResult { output, .. } => output.len(),
    }
}

/// Elides big tool outputs outside the recent tail; returns how many were elided.
pub fn elide_old_outputs(history: &mut [Item]) -> usize {
    let end = history.len().saturating_sub(KEEP_RECENT);
    let mut n = 0;
    for item in &mut history[..end] {
        if let Item::ToolResult { output, name, .. } = item {
            if output.len() > ELIDE_OVER_BYTES {
                let head: String = output.chars().take(300).collect();
                *output = format!("{head}\n[… {} bytes of `{name}` output elided to save context; run the tool again if you need it]", output.len());
                n += 1;
            }
        }
    }
    n
}

/// How to cut the history for a summary: the last user message (kept verbatim), the items to
/// summarise (everything else before the tail), and where the verbatim tail starts. The tail is
/// the newest `KEEP_RECENT` items (none when `force`), never starting at a tool result, so no
/// result is separated from its call.
pub struct Cut {
    pub last_user: usize,
    pub tail: usize,
}

pub fn cut(history: &[Item], force: bool) -> Option<Cut> {
    let last_user = history
        .iter()
        .rposition(|i| matches!(i, Item::User { text, .. } if !is_injected(text)))?;
    let keep = if force { 0 } else { KEEP_RECENT };
    let mut tail = (last_user + 1).max(history.len().saturating_sub(keep));
    while tail > last_user + 1
        && tail < history.len()
        && matches!(history[tail], Item::ToolResult { .. })
    {
        tail -= 1;
    }
    let summarised = last_user + (tail - last_user - 1);
    (summarised > 0).then_some(Cut { last_user, tail })
}

/// The older part of the conversation as text for the summariser.
pub fn render_for_summary(items: &[Item]) -> String {
    let mut out = String::new();
    for item in items {
        match item {
            // The state is re-sent verbatim anyway; summarising it again would only blur it.
            Item::User { text, .. } if text.starts_with(STATE_OPEN) => {}
            Item::User { text, .. } => out.push_str(&format!("USER:\n{text}\n\n")),
            Item::Assistant {
                text, tool_calls, ..
            } => {
                if !text.is_empty() {
                    out.push_str(&format!("ASSISTANT:\n{text}\n\n"));
                }
                for c in tool_calls {
                    out.push_str(&format!("TOOL CALL {}: {}\n\n", c.name, c.arguments));
                }
            }
            Item::ToolResult { name, output, .. } => {
                let cut: String = output.chars().take(1500).collect();
                out.push_str(&format!("TOOL RESULT {name}:\n{cut}\n\n"));
            }
        }
    }
    out
}

/// How a summary item begins; a later compaction must not mistake it for the user's request.
const SUMMARY_OPEN: &str = "<summary of the earlier conversation";

/// Whether a user item was written by compaction (a summary or the session state), not the user.
fn is_injected(text: &str) -> bool {
    text.starts_with(SUMMARY_OPEN) || text.starts_with(STATE_OPEN)
}

/// What a summary replaced, in words for the `compacted` event: "2 user messages, 5 assistant
/// messages, 9 tool calls (read_file ×6, shell ×3)". Items compaction itself wrote are not counted.
pub fn describe_dropped(items: &[Item]) -> String {
    let (mut users, mut assistant) = (0usize, 0usize);
    let mut calls: BTreeMap<&str, usize> = BTreeMap::new();
    for item in items {
        match item {
            Item::User { text, .. } if is_injected(text) => {}
            Item::User { .. } => users += 1,
            Item::Assistant {
                text, tool_calls, ..
            } => {
                assistant += usize::from(!text.is_empty());
                for c in tool_calls {
                    *calls.entry(c.name.as_str()).or_default() += 1;
                }
            }
            Item::ToolResult { .. } => {}
        }
    }
    let mut parts = Vec::new();
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    if users > 0 {
        parts.push(count(users, "user message"));
    }
    if assistant > 0 {
        parts.push(count(assistant, "assistant message"));
    }
    let total: usize = calls.values().sum();
    if total > 0 {
        let names: Vec<String> = calls.iter().map(|(n, c)| format!("{n} ×{c}")).collect();
        parts.push(format!(
            "{} ({})",
            count(total, "tool call"),
            names.join(", ")
        ));
    }
    if parts.is_empty() {
        "an earlier summary".into()
    } else {
        parts.join(", ")
    }
}

/// The summary as the first item of the compacted history.
pub fn summary_item(summary: &str) -> Item {
    Item::user(format!(
        "<summary of the earlier conversation and the work so far, written when the context was compacted>\n{}\n</summary>\nContinue the task from here.",
        summary.trim()
    ))
}

/// Whether a provider error says the request was too long for the model.
pub fn is_context_overflow(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("context_length_exceeded")
        || m.contains("prompt is too long")
        || (m.contains("context")
            && (m.contains("too long") || m.contains("maximum") || m.contains("exceed")))
}

/// The context window a provider's overflow error states, when it states one: OpenAI's
/// "maximum context length is 8192 tokens", Anthropic's "prompt is too long: 210000 tokens >
/// 200000 maximum", and the like ("context window of N tokens", "limit of N tokens").
pub fn window_from_error(message: &str) -> Option<u64> {
    let m = message.to_ascii_lowercase();
    if let Some((_, after)) = m.split_once(" > ") {
        return leading_number(after);
    }
    [
        "context length is",
        "context window of",
        "context window is",
        "limit of",
        "maximum of",
    ]
    .iter()
    .find_map(|marker| {
        m.split_once(marker)
            .and_then(|(_, after)| leading_number(after))
    })
}

/// The number at the start of `text` (after spaces; `,` and `_` digit separators allowed).
fn leading_number(text: &str) -> Option<u64> {
    let digits: String = text
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '_')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_errors_name_their_window() {
        let cases = [
            (
                "This model's maximum context length is 8192 tokens. However, …",
                Some(8192),
            ),
            (
                "prompt is too long: 210000 tokens > 200000 maximum",
                Some(200_000),
            ),
            (
                "input exceeds the context window of 32,768 tokens",
                Some(32_768),
            ),
            ("context length exceeded", None),
        ];
        for (message, window) in cases {
            assert_eq!(window_from_error(message), window, "{message}");
        }
    }
    use crate::conversation::ToolCall;

    fn call(id: &str) -> Item {
        Item::Assistant {
            text: String::new(),
            tool_calls: vec![ToolCall {
                id: id.into(),
                name: "shell".into(),
                arguments: "{}".into(),
            }],
            reasoning: Vec::new(),
        }
    }

    fn result(id: &str, n: usize) -> Item {
        Item::ToolResult {
            call_id: id.into(),
            name: "shell".into(),
            output: "x".repeat(n),
            is_error: false,
            images: Vec::new(),
        }
    }

    #[test]
    fn elides_only_old_big_outputs() {
        let mut h = vec![Item::user("go"), call("a"), result("a", 10_000)];
        h.extend((0..4).map(|i| {
            if i % 2 == 0 {
                call("b")
            } else {
                result("b", 10_000)
            }
        }));
        assert_eq!(elide_old_outputs(&mut h), 1);
        assert!(matches!(&h[2], Item::ToolResult { output, .. } if output.contains("elided")));
        assert!(matches!(&h[6], Item::ToolResult { output, .. } if output.len() == 10_000));
    }

    #[test]
    fn tail_never_starts_with_a_tool_result() {
        let mut h = vec![
            Item::user("go"),
            call("a"),
            result("a", 1),
            call("b"),
            result("b", 1),
            call("c"),
            result("c", 1),
        ];
        let c = cut(&h, false).unwrap();
        assert_eq!((c.last_user, c.tail), (0, 3));
        h.push(call("d"));
        let c = cut(&h, false).unwrap();
        assert!(!matches!(h[c.tail], Item::ToolResult { .. }));
        assert!(
            cut(&h[..3], false).is_none(),
            "nothing older than the tail to summarise"
        );
        assert_eq!(cut(&h[..3], true).unwrap().tail, 3);
    }

    #[test]
    fn a_second_compaction_keeps_the_users_request_not_the_old_summary() {
        let mut h = vec![Item::user("the real task"), summary_item("old summary")];
        h.extend((0..6).flat_map(|i| [call(&i.to_string()), result(&i.to_string(), 1)]));
        let c = cut(&h, false).unwrap();
        assert_eq!(c.last_user, 0);
    }

    #[test]
    fn recognises_overflow_messages() {
        assert!(is_context_overflow(
            "This model's maximum context length is 8192 tokens"
        ));
        assert!(is_context_overflow(
            "prompt is too long: 210000 tokens > 200000 maximum"
        ));
        assert!(!is_context_overflow("Incorrect API key"));
    }
}
