//! reins' approval questions as ACP permission requests, and the editor's choice as reins' answer.
//!
//! The options are the three answers reins knows: allow once, allow always (the same call runs
//! without asking for the rest of the session), reject. A client that cancels the request (the
//! turn was cancelled, or the user dismissed it) denies the call.

use crate::sandbox::approval::{Answer, Request};
use agent_client_protocol::v1::schema::{
    PermissionOption, PermissionOptionKind, RequestPermissionOutcome, RequestPermissionRequest,
    ToolCallUpdate, ToolCallUpdateFields,
};

const ALLOW_ONCE: &str = "allow_once";
const ALLOW_ALWAYS: &str = "allow_always";
const REJECT_ONCE: &str = "reject_once";

/// The question for `request`; `fields` shows the call (title, kind, diff) as the editor
/// already knows it from its tool call, so the user sees what they approve.
pub fn ask(
    session_id: &str,
    request: &Request,
    fields: ToolCallUpdateFields,
) -> RequestPermissionRequest {
    RequestPermissionRequest::new(
        session_id.to_string(),
        ToolCallUpdate::new(request.id.clone(), fields),
        vec![
            PermissionOption::new(ALLOW_ONCE, "Allow once", PermissionOptionKind::AllowOnce),
            PermissionOption::new(
                ALLOW_ALWAYS,
                match request.always.as_str() {
                    "" => "Allow always (this session)".to_string(),
                    scope => format!("Allow always (this session): {scope}"),
                },
                PermissionOptionKind::AllowAlways,
            ),
            PermissionOption::new(REJECT_ONCE, "Reject", PermissionOptionKind::RejectOnce),
        ],
    )
}

/// The answer for the model: a rejection says who refused, so the model does not retry blindly.
pub fn answer(outcome: &RequestPermissionOutcome) -> Answer {
    match outcome {
        RequestPermissionOutcome::Selected(s) => match &*s.option_id.0 {
            ALLOW_ONCE => Answer::Once,
            ALLOW_ALWAYS => Answer::Always,
            _ => Answer::Deny {
                note: Some("the user rejected this call in the editor".into()),
            },
        },
        _ => Answer::Deny {
            note: Some("the editor cancelled the question, so the call was not run".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_client_protocol::v1::schema::SelectedPermissionOutcome;

    #[test]
    fn each_option_maps_to_its_answer() {
        let pick = |id: &str| {
            answer(&RequestPermissionOutcome::Selected(
                SelectedPermissionOutcome::new(id.to_string()),
            ))
        };
        assert_eq!(pick(ALLOW_ONCE), Answer::Once);
        assert_eq!(pick(ALLOW_ALWAYS), Answer::Always);
        assert!(matches!(pick(REJECT_ONCE), Answer::Deny { .. }));
        assert!(matches!(pick("something-else"), Answer::Deny { .. }));
        assert!(matches!(
            answer(&RequestPermissionOutcome::Cancelled),
            Answer::Deny { .. }
        ));
    }
}
