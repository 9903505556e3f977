//! The one backoff schedule of the SDK: HTTP retries and websocket
//! reconnects both wait this long.

use std::time::Duration;

/// The wait before attempt `attempt` (1-based): the ceiling
/// `min(max, base × 2^(attempt-1))`, of which the upper half is spread by
/// `unit` (a uniform random number in `0.0..=1.0`: `0.0` gives half the
/// ceiling, `1.0` the whole). This is "equal jitter": many clients dropped by
/// one server restart do not come back in lockstep, yet none comes sooner
/// than half the ceiling, and no wait is longer than `max`.
///
/// Pure (the caller draws `unit`), so this crate needs no random number
/// generator. Saturates instead of overflowing, whatever the durations.
///
/// ```
/// use std::time::Duration;
/// use speckle_types::backoff::backoff_delay;
/// let ms = Duration::from_millis;
/// assert_eq!(backoff_delay(3, ms(100), ms(1000), 1.0), ms(400));
/// assert_eq!(backoff_delay(3, ms(100), ms(1000), 0.0), ms(200));
/// assert_eq!(backoff_delay(9, ms(100), ms(1000), 1.0), ms(1000));
/// ```
pub fn backoff_delay(attempt: u32, base: Duration, max: Duration, unit: f64) -> Duration {
    let ceiling = backoff_ceiling(attempt, base, max);
    let half = ceiling / 2;
    let spread = (ceiling - half).as_secs_f64() * unit.clamp(0.0, 1.0);
    let jitter = Duration::try_from_secs_f64(spread).unwrap_or(Duration::ZERO);
    half.saturating_add(jitter).min(ceiling)
}

/// `min(max, base × 2^(attempt-1))`, without overflow. A `max` below `base`
/// is read as `base`.
pub fn backoff_ceiling(attempt: u32, base: Duration, max: Duration) -> Duration {
    let max = max.max(base);
    let exponent = attempt.saturating_sub(1).min(31);
    base.checked_mul(1 << exponent).map_or(max, |d| d.min(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn ceiling_doubles_then_caps() {
        let got: Vec<_> = (1..=6)
            .map(|n| backoff_ceiling(n, 100 * MS, 1000 * MS))
            .collect();
        assert_eq!(
            got,
            [100 * MS, 200 * MS, 400 * MS, 800 * MS, 1000 * MS, 1000 * MS]
        );
        assert_eq!(
            backoff_ceiling(u32::MAX, Duration::from_secs(3600), Duration::MAX),
            Duration::from_secs(3600) * (1 << 31)
        );
        assert_eq!(backoff_ceiling(3, 100 * MS, MS), 100 * MS);
    }

    #[test]
    fn delay_stays_in_the_upper_half_of_the_ceiling() {
        for attempt in 1..=8 {
            let top = backoff_ceiling(attempt, 10 * MS, 500 * MS);
            for unit in [0.0, 0.25, 0.5, 0.99, 1.0, -3.0, 7.0, f64::NAN] {
                let d = backoff_delay(attempt, 10 * MS, 500 * MS, unit);
                assert!(d >= top / 2 && d <= top, "{d:?} vs {top:?} at {unit}");
            }
        }
    }
    // Saturation with extreme durations is tested through its user,
    // `RetryPolicy` (speckle-http), which also caps at `max_delay`.
}
