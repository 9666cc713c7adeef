//! One model request with retries, streamed text going out as deltas; stops at once on interrupt.

use super::events::Emit;
use super::events::Event;
use crate::conversation::Completion;
use crate::provider::{with_retries, Delta, ModelClient, ProviderError, Request, RetryPolicy};
use std::sync::Mutex;

pub enum RequestError {
    Interrupted,
    Provider(ProviderError),
}

pub async fn complete(
    client: &dyn ModelClient,
    retry: RetryPolicy,
    cancel: &crate::cancel::Cancel,
    req: &Request<'_>,
    emit: Emit<'_>,
) -> Result<Completion, RequestError> {
    let emit_cell = Mutex::new(emit);
    let send = |e: Event| {
        if let Ok(mut emit) = emit_cell.lock() {
            emit(e);
        }
    };
    let notice = |n: crate::provider::RetryNotice| {
        send(Event::Error {
            message: format!(
                "{}; next try in {:.1} s (try {} of {})",
                n.message,
                n.delay.as_secs_f64(),
                n.attempt + 1,
                retry.max_tries
            ),
            retrying: true,
        })
    };
    let result = tokio::select! {
        r = with_retries(retry, notice, || async {
            let mut sink = |d: Delta<'_>| {
                send(match d {
                    Delta::Text(t) => Event::TextDelta { text: t.to_string() },
                    Delta::Reasoning(t) => Event::ReasoningDelta { text: t.to_string() },
                })
            };
            client.complete(req, &mut sink).await
        }) => Some(r),
        _ = cancel.cancelled() => None,
    };
    match result {
        None => Err(RequestError::Interrupted),
        Some(r) => r.map_err(RequestError::Provider),
    }
}

/// The provider's message with a hint for the errors users can fix themselves: a key to check,
/// the configured models when the provider does not know this one.
pub fn provider_message(e: &ProviderError, model: &crate::config::ResolvedModel) -> String {
    match e {
        ProviderError::Status {
            status: 401 | 403, ..
        } => match model.api_key_env() {
            Some(var) => format!(
                "{e}. Check the API key in ${var} (the provider's api_key_env) and its permissions"
            ),
            None => format!(
                "{e}. The provider has no api_key_env, so no key was sent; set api_key_env in its [providers.*] table"
            ),
        },
        ProviderError::Status {
            status, message, ..
        } if is_unknown_model(*status, message) => format!(
            "{e}. `{}` is not a model {} serves (or its base_url is wrong). Configured models: {} (`reins models` shows their keys and prices; -m NAME picks one)",
            model.wire_name,
            model.provider(),
            listed(&model.configured)
        ),
        _ => e.to_string(),
    }
}

/// A 404 from a model endpoint, or a 400 that says the model does not exist: OpenAI's
/// `model_not_found` ("The model `x` does not exist or you do not have access to it."),
/// Anthropic's `not_found_error` ("model: x"), and compatible servers' wordings.
fn is_unknown_model(status: u16, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    status == 404
        || ((400..500).contains(&status)
            && m.contains("model")
            && [
                "does not exist",
                "not found",
                "unknown model",
                "invalid model",
                "not_found",
            ]
            .iter()
            .any(|w| m.contains(w)))
}

fn listed(names: &[String]) -> String {
    const SHOWN: usize = 12;
    if names.is_empty() {
        return "none (add a [models.NAME] table to the config)".into();
    }
    let mut out = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        out.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    out
}
