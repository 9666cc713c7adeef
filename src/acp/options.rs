//! What a client may change in a session: the approval policy (as session modes, and as a `mode`
//! config option for clients that prefer config options) and the model (a `model` config option
//! listing the `[models.*]` keys).

use crate::sandbox::approval::Approval;
use agent_client_protocol::v1::schema::{
    SessionConfigOption, SessionConfigOptionCategory, SessionConfigSelectOption, SessionMode,
    SessionModeState,
};

pub const MODEL: &str = "model";
pub const MODE: &str = "mode";

const MODES: [(Approval, &str, &str); 3] = [
    (
        Approval::OnRequest,
        "Ask before commands",
        "Commands no allow rule names ask first; reads and edits inside the workspace run.",
    ),
    (
        Approval::Untrusted,
        "Ask before edits and commands",
        "Every write and every command no allow rule names asks first.",
    ),
    (
        Approval::Never,
        "Don't ask",
        "Everything no rule denies runs without asking; the sandbox still confines it.",
    ),
];

/// The mode id of an approval policy: its config name (`on-request`, `untrusted`, `never`).
pub fn mode_id(approval: Approval) -> &'static str {
    match approval {
        Approval::Never => "never",
        Approval::OnRequest => "on-request",
        Approval::Untrusted => "untrusted",
    }
}

pub fn parse_mode(id: &str) -> Option<Approval> {
    id.parse().ok()
}

pub fn modes(current: Approval) -> SessionModeState {
    SessionModeState::new(
        mode_id(current),
        MODES
            .iter()
            .map(|(a, name, about)| SessionMode::new(mode_id(*a), *name).description(*about))
            .collect(),
    )
}

/// The config options: the approval mode and the model. `model` is the current model's label;
/// when it is not one of `models` (a `--model PROVIDER/ID` or a router), it is listed too.
pub fn config(approval: Approval, model: &str, models: &[String]) -> Vec<SessionConfigOption> {
    let mode = SessionConfigOption::select(
        MODE,
        "Approval",
        mode_id(approval),
        MODES
            .iter()
            .map(|(a, name, about)| {
                SessionConfigSelectOption::new(mode_id(*a), *name).description(*about)
            })
            .collect::<Vec<_>>(),
    )
    .category(SessionConfigOptionCategory::Mode);
    let mut choices: Vec<SessionConfigSelectOption> = models
        .iter()
        .map(|k| SessionConfigSelectOption::new(k.clone(), k.clone()))
        .collect();
    if !model.is_empty() && !models.iter().any(|k| k == model) {
        choices.insert(
            0,
            SessionConfigSelectOption::new(model.to_string(), model.to_string()),
        );
    }
    let mut out = vec![mode];
    if !choices.is_empty() {
        out.push(
            SessionConfigOption::select(MODEL, "Model", model.to_string(), choices)
                .category(SessionConfigOptionCategory::Model),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_id_parses_back() {
        for (a, _, _) in MODES {
            assert_eq!(parse_mode(mode_id(a)), Some(a));
        }
        assert_eq!(parse_mode("yolo"), None);
    }

    #[test]
    fn an_unlisted_current_model_is_offered_too() {
        let opts = config(Approval::OnRequest, "replay:x.json", &["fast".into()]);
        let text = serde_json::to_string(&opts).unwrap();
        assert!(
            text.contains("replay:x.json") && text.contains("fast"),
            "{text}"
        );
    }
}
