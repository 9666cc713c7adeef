//! Retrying model requests: exponential backoff with full jitter, honouring `retry-after`.
//! A failed attempt's partial output is dropped whole: only a completed attempt reaches history.

use super::ProviderError;
use std::future::Future;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_tries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

/// Told before each retry, so front ends can show `error {message, retrying: true}`.
#[derive(Debug, Clone)]
pub struct RetryNotice {
    pub message: String,
    pub attempt: u32,
    pub delay: Duration,
}

/// Runs `attempt` until it succeeds, fails for good, or the tries run out.
pub async fn with_retries<T, F, Fut>(
    policy: Policy,
    mut notify: impl FnMut(RetryNotice),
    mut attempt: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_retryable() && tries < policy.max_tries => {
                let delay = delay_for(&policy, tries, e.retry_after());
                notify(RetryNotice {
                    message: e.to_string(),
                    attempt: tries,
                    delay,
                });
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// `retry-after` when the server gave one (capped), else base·2^(n-1) with full jitter.
fn delay_for(policy: &Policy, tries: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(d) = retry_after {
        return d.min(policy.max_delay.max(Duration::from_secs(60)));
    }
    let exp = policy
        .base_delay
        .saturating_mul(1u32 << (tries - 1).min(16));
    let cap = exp.min(policy.max_delay);
    let jitter: f64 = rand::random_range(0.5..=1.0);
    cap.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn policy() -> Policy {
        Policy {
            max_tries: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        }
    }

    fn status(code: u16) -> ProviderError {
        ProviderError::Status {
            provider: "p".into(),
            status: code,
            message: "m".into(),
            retry_after: None,
        }
    }

    #[tokio::test]
    async fn retries_transient_errors_then_succeeds() {
        let calls = AtomicU32::new(0);
        let mut notices = 0;
        let r = with_retries(
            policy(),
            |_| notices += 1,
            || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(status(500))
                } else {
                    Ok(7)
                }
            },
        )
        .await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(notices, 2);
    }

    #[tokio::test]
    async fn does_not_retry_auth_errors() {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = with_retries(
            policy(),
            |_| {},
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(status(401))
            },
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn gives_up_after_max_tries() {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = with_retries(
            policy(),
            |_| {},
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(status(429))
            },
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn retry_after_wins_over_backoff() {
        let d = delay_for(&policy(), 1, Some(Duration::from_secs(2)));
        assert_eq!(d, Duration::from_secs(2));
    }
}
