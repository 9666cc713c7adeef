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

/// The provider's message with a hint for the errors users can fix themselves; `key_var` is
/// the variable the model's API key was read from.
pub fn provider_message(e: &ProviderError, key_var: Option<&str>) -> String {
    match e {
        ProviderError::Status {
            status: 401 | 403, ..
        } => match key_var {
            Some(var) => format!(
                "{e}. Check the API key in ${var} (the provider's api_key_env) and its permissions"
            ),
            None => format!(
                "{e}. The provider has no api_key_env, so no key was sent; set api_key_env in its [providers.*] table"
            ),
        },
        ProviderError::Status { status: 404, .. } => {
            format!("{e}. Check the model name and the provider's base_url")
        }
        _ => e.to_string(),
    }
}
