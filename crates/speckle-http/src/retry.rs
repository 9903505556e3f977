//! When and how failed requests are tried again.

use std::time::Duration;

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
/// by [`max_delay`](Self::max_delay)).
///
/// [`Endpoint::idempotent`]: crate::Endpoint::idempotent
///
/// ```
/// use std::time::Duration;
/// use speckle_http::RetryPolicy;
/// let policy = RetryPolicy::default().max_retries(5).base_delay(Duration::from_millis(50));
/// assert_eq!(policy.get_max_retries(), 5);
/// let none = RetryPolicy::never();
/// assert_eq!(none.get_max_retries(), 0);
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
        Self::default().max_retries(0)
    }

    /// How many times a request may be retried (default 3).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The first backoff delay, doubled on each retry (default 200 ms).
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest wait between tries, `Retry-After` included (default 10 s).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The configured number of retries.
    pub fn get_max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The wait before retry number `attempt` (1-based): `base · 2^(attempt-1)`
    /// with ±50 % jitter, capped. Saturates instead of overflowing, whatever
    /// the configured durations (`Duration::MAX` included).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        self.backoff_with_jitter(attempt, 0.5 + fastrand::f64())
    }

    fn backoff_with_jitter(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = self.base_delay.saturating_mul(
            1u32.checked_shl(attempt.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let capped = exp.min(self.max_delay);
        // `mul_f64` panics past `Duration::MAX`; the checked form saturates.
        Duration::try_from_secs_f64(capped.as_secs_f64() * jitter)
            .unwrap_or(Duration::MAX)
            .min(self.max_delay)
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
                .base_delay(base)
                .max_delay(max)
                .max_retries(u32::MAX);
            for attempt in [0, 1, 2, 31, 32, 33, u32::MAX] {
                for jitter in [0.5, 1.0, 1.5] {
                    let wait = policy.backoff_with_jitter(attempt, jitter);
                    assert!(wait <= max, "{base:?} {max:?} {attempt} {jitter}");
                }
            }
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(350));
        let waits: Vec<_> = (1..=4)
            .map(|a| policy.backoff_with_jitter(a, 1.0))
            .collect();
        assert_eq!(
            waits,
            [100, 200, 350, 350].map(Duration::from_millis).to_vec()
        );
        assert_eq!(
            policy.backoff_with_jitter(1, 0.5),
            Duration::from_millis(50)
        );
    }
}
