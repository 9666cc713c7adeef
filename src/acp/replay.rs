//! A loaded session's history as the updates a client would have seen live: the user's messages,
//! the agent's thoughts and messages, and each tool call with its result, so the editor shows the
//! whole conversation.

use super::updates::{user_text, Translator};
use crate::agent::events::{clip, EVENT_OUTPUT_LIMIT};
use crate::agent::Event;
use crate::conversation::Item;
use agent_client_protocol::v1::schema::SessionUpdate;

/// The updates that replay `history`, through the same mapping as a live turn.
/// A history records no events, so what each call's tool declares is read from `tools`.
pub fn updates(
    history: &[Item],
    translator: &mut Translator,
    tools: &crate::tools::Registry,
) -> Vec<SessionUpdate> {
    let mut out = Vec::new();
    for item in history {
        match item {
            Item::User { text, .. } => out.push(user_text(
                crate::agent::prompt::typed_text(text).to_string(),
            )),
            Item::Assistant {
                text,
                tool_calls,
                reasoning,
            } => {
                // What the model thought comes first, as it streamed live (redacted thinking
                // has no text and shows nothing).
                for r in reasoning {
                    out.extend(translator.updates(Event::ReasoningDelta {
                        text: r.display_text(),
                    }));
                }
                out.extend(translator.updates(Event::Message {
                    role: "assistant".into(),
                    text: text.clone(),
                }));
                for call in tool_calls {
                    let arguments = crate::conversation::arguments_object(&call.arguments);
                    let (kind, paths) = super::tool_view::declared(tools, &call.name, &arguments);
                    out.extend(translator.updates(Event::ToolCall {
                        call_id: call.id.clone(),
                        name: call.name.clone(),
                        arguments,
                        kind,
                        paths,
                    }));
                }
            }
            Item::ToolResult {
                call_id,
                name,
                output,
                is_error,
                ..
            } => out.extend(translator.updates(Event::ToolResult {
                call_id: call_id.clone(),
                name: name.clone(),
                ok: !is_error,
                output: clip(output, EVENT_OUTPUT_LIMIT),
                exit_code: None,
                changed_paths: Vec::new(),
                denied: false,
            })),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::ToolCall;
    use crate::sandbox::SandboxPolicy;
    use crate::types::SandboxMode;

    #[test]
    fn a_history_replays_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let policy = SandboxPolicy::new(SandboxMode::WorkspaceWrite, false, &root, Vec::new());
        let snapshots = super::super::snapshots::Snapshots::new(root, policy, None);
        let mut t = Translator::new(snapshots);
        let history = vec![
            Item::user("list"),
            Item::Assistant {
                text: "Listing.".into(),
                tool_calls: vec![ToolCall {
                    id: "c1".into(),
                    name: "shell".into(),
                    arguments: r#"{"command":"ls"}"#.into(),
                }],
                reasoning: Vec::new(),
            },
            Item::ToolResult {
                call_id: "c1".into(),
                name: "shell".into(),
                output: "a.txt".into(),
                is_error: false,
                images: Vec::new(),
            },
            Item::Assistant {
                text: "One file.".into(),
                tool_calls: vec![],
                reasoning: Vec::new(),
            },
        ];
        let replayed = updates(&history, &mut t, &crate::tools::Registry::builtin());
        let SessionUpdate::UserMessageChunk(first) = &replayed[0] else {
            panic!("{replayed:?}")
        };
        assert_eq!(
            first.content,
            agent_client_protocol::v1::schema::ContentBlock::from("list")
        );
        let kinds: Vec<&str> = replayed
            .iter()
            .map(|u| match u {
                SessionUpdate::UserMessageChunk(_) => "user",
                SessionUpdate::AgentMessageChunk(_) => "agent",
                SessionUpdate::ToolCall(_) => "call",
                SessionUpdate::ToolCallUpdate(_) => "result",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["user", "agent", "call", "result", "agent"]);
    }
}
