//! Which part of a request is large, for a provider's "too large" answer. A bare "prompt is too
//! long" leaves the user guessing between a huge AGENTS.md, fifty MCP tools and one command that
//! printed a megabyte; the parts are measured here so the error can name the culprit and the fix.

use super::compact::estimate_tokens;
use crate::conversation::Item;
use crate::provider::Request;

/// One measured part of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// What it is, in the user's words ("the system prompt", "the result of `shell` call c1").
    pub what: String,
    pub tokens: u64,
    /// What the user can do about it when it is the largest part.
    pub fix: &'static str,
}

/// The parts of `req`, largest first, adding up to the whole: the system prompt, the tool schemas,
/// the largest tool result, the largest user message, and the rest of the history.
pub fn parts(req: &Request<'_>) -> (u64, Vec<Part>) {
    let system = req.system.len() as u64 / 4;
    let schemas = serde_json::to_string(req.tools).map_or(0, |s| s.len() as u64 / 4);
    let history = estimate_tokens(req.history);
    let total = system + schemas + history;
    let mut parts = vec![
        Part {
            what: "the system prompt (instructions, AGENTS.md, memory)".into(),
            tokens: system,
            fix: "shorten AGENTS.md or the memory files (`reins memory compact`)",
        },
        Part {
            what: format!("the tool schemas ({} tools)", req.tools.len()),
            tokens: schemas,
            fix: "turn off MCP servers this task does not need",
        },
    ];
    let one = |item: &Item| estimate_tokens(std::slice::from_ref(item));
    let largest = |user: bool| {
        req.history
            .iter()
            .enumerate()
            .filter(|(_, i)| match i {
                Item::User { .. } => user,
                Item::ToolResult { .. } => !user,
                Item::Assistant { .. } => false,
            })
            .max_by_key(|(_, i)| one(i))
    };
    let mut rest = history;
    let mut taken = 0;
    if let Some((_, item @ Item::ToolResult { name, call_id, .. })) = largest(false) {
        let n = one(item);
        rest = rest.saturating_sub(n);
        taken += 1;
        parts.push(Part {
            what: format!("the result of `{name}` (call {call_id})"),
            tokens: n,
            fix: "ask for a narrower result (a line range, a filtered command output), then /compact or start a new session",
        });
    }
    if let Some((_, item)) = largest(true) {
        let n = one(item);
        rest = rest.saturating_sub(n);
        taken += 1;
        parts.push(Part {
            what: "a user message (attached files included)".into(),
            tokens: n,
            fix: "attach less (a file range instead of the whole file)",
        });
    }
    parts.push(Part {
        what: format!(
            "the rest of the history ({} items)",
            req.history.len().saturating_sub(taken)
        ),
        tokens: rest,
        fix: "/compact, or start a new session",
    });
    parts.sort_by_key(|p| std::cmp::Reverse(p.tokens));
    (total, parts)
}

/// "the request was about N tokens; the largest part: …": appended to a "too large" error.
pub fn describe(req: &Request<'_>) -> String {
    let (total, parts) = parts(req);
    let Some(top) = parts.first() else {
        return String::new();
    };
    let rest: Vec<String> = parts
        .iter()
        .skip(1)
        .map(|p| format!("{} ~{}", p.what, tokens(p.tokens)))
        .collect();
    format!(
        "the request was about {} tokens; the largest part is {} (~{} tokens): {}. Other parts: {}",
        tokens(total),
        top.what,
        tokens(top.tokens),
        top.fix,
        rest.join(", ")
    )
}

/// Whether a provider's answer says the request is too large (context or bytes).
pub fn is_too_large(status: Option<u16>, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    status == Some(413)
        || super::compact::is_context_overflow(&m)
        || m.contains("request_too_large")
        || m.contains("too large")
        || m.contains("exceeds the maximum allowed number of bytes")
}

fn tokens(n: u64) -> String {
    if n >= 10_000 {
        format!("{}K", n / 1000)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::ToolSpec;

    #[test]
    fn a_huge_tool_result_is_named_as_the_largest_part() {
        let history = vec![
            Item::user("go"),
            Item::ToolResult {
                call_id: "c7".into(),
                name: "shell".into(),
                output: "x".repeat(400_000),
                is_error: false,
                images: Vec::new(),
            },
        ];
        let tools = vec![ToolSpec {
            name: "shell".into(),
            description: "run".into(),
            parameters: serde_json::json!({}),
        }];
        let req = Request {
            system: "be brief",
            tools: &tools,
            history: &history,
            ..Request::default()
        };
        let text = describe(&req);
        assert!(
            text.contains("the largest part is the result of `shell` (call c7) (~100K tokens)"),
            "{text}"
        );
        let (total, parts) = parts(&req);
        assert_eq!(parts.iter().map(|p| p.tokens).sum::<u64>(), total);
    }

    #[test]
    fn a_huge_system_prompt_is_named_first() {
        let system = "rule\n".repeat(100_000);
        let req = Request {
            system: &system,
            ..Request::default()
        };
        assert!(describe(&req).contains("the largest part is the system prompt"));
    }

    #[test]
    fn too_large_answers_are_recognised() {
        assert!(is_too_large(Some(413), "whatever"));
        assert!(is_too_large(
            Some(400),
            "prompt is too long: 250000 tokens > 200000 maximum"
        ));
        assert!(is_too_large(Some(400), "Your input exceeds the context window of this model. Please adjust your input and try again."));
        assert!(!is_too_large(Some(400), "invalid tool name"));
    }
}
