//! When and how failed requests are tried again.

use std::time::Duration;

use speckle_types::backoff::backoff_delay;

use crate::transport::{HttpResponse, TransportError};

/// The retry policy of a [`Client`](crate::Client).
///
/// A request is retried, with exponential backoff and jitter, when:
/// - the connection could not be opened (the request never left: safe for any
///   request, including register or create);
/// - for requests that are safe to repeat ([`Endpoint::idempotent`]: reads,
///   updates, deletes, getbulk and the content-addressed object upload): a
///   timeout, a connection lost mid-request, or a 502/503/504/429 answer.
///
/// A 429 or 503 with `Retry-After` waits as long as the server asks (capped
/// by [`with_max_delay`](Self::with_max_delay)).
///
/// [`Endpoint::idempotent`]: crate::Endpoint::idempotent
///
/// ```
/// use std::time::Duration;
/// use speckle_http::RetryPolicy;
/// let policy = RetryPolicy::default().with_max_retries(5).with_base_delay(Duration::from_millis(50));
/// assert_eq!(policy.max_retries(), 5);
/// let none = RetryPolicy::never();
/// assert_eq!(none.max_retries(), 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn never() -> Self {
        Self::default().with_max_retries(0)
    }

    /// How many times a request may be retried (default 3).
    pub fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The first backoff delay, doubled on each retry (default 200 ms).
    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest wait between tries, `Retry-After` included (default 10 s).
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// How many times a request may be retried.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The first backoff delay.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The longest wait between tries.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The wait before retry number `attempt` (1-based): the SDK's one
    /// backoff schedule ([`backoff_delay`]), the same as websocket
    /// reconnects: `base · 2^(attempt-1)` capped at `max_delay`, of which
    /// the upper half is jittered.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        self.backoff_with_jitter(attempt, fastrand::f64())
    }

    fn backoff_with_jitter(&self, attempt: u32, unit: f64) -> Duration {
        backoff_delay(attempt, self.base_delay, self.max_delay, unit).min(self.max_delay)
    }

    /// Whether a response status should be retried, and how long to wait.
    pub(crate) fn retry_response(
        &self,
        response: &HttpResponse,
        attempt: u32,
        idempotent: bool,
    ) -> Option<Duration> {
        if attempt > self.max_retries || !idempotent {
            return None;
        }
        match response.status {
            429 | 502 | 503 | 504 => Some(
                response
                    .retry_after
                    .map(|d| d.min(self.max_delay))
                    .unwrap_or_else(|| self.backoff(attempt)),
            ),
            _ => None,
        }
    }

    /// Whether a transport failure should be retried, and how long to wait.
    pub(crate) fn retry_error(
        &self,
        error: &TransportError,
        attempt: u32,
        idempotent: bool,
    ) -> Option<Duration> {
        if attempt > self.max_retries {
            return None;
        }
        // The same answer would come again: too large is not transient.
        if matches!(error, TransportError::TooLarge { .. }) {
            return None;
        }
        let never_sent = matches!(error, TransportError::Connect(_));
        (never_sent || idempotent).then(|| self.backoff(attempt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_durations_saturate_instead_of_panicking() {
        for (base, max) in [
            (Duration::MAX, Duration::MAX),
            (Duration::MAX, Duration::from_secs(1)),
            (Duration::from_secs(1), Duration::MAX),
            (Duration::ZERO, Duration::ZERO),
            (Duration::MAX, Duration::ZERO),
        ] {
            let policy = RetryPolicy::default()
                .with_base_delay(base)
                .with_max_delay(max)
                .with_max_retries(u32::MAX);
            for attempt in [0, 1, 2, 31, 32, 33, u32::MAX] {
                for jitter in [0.0, 0.5, 1.0] {
                    let wait = policy.backoff_with_jitter(attempt, jitter);
                    assert!(wait <= max, "{base:?} {max:?} {attempt} {jitter}");
                }
            }
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let policy = RetryPolicy::default()
            .with_base_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(350));
        let waits: Vec<_> = (1..=4)
            .map(|a| policy.backoff_with_jitter(a, 1.0))
            .collect();
        assert_eq!(
            waits,
            [100, 200, 350, 350].map(Duration::from_millis).to_vec()
        );
        assert_eq!(
            policy.backoff_with_jitter(1, 0.0),
            Duration::from_millis(50)
        );
    }
}
