//! Reconnection delays: capped exponential backoff with jitter.

use std::time::Duration;

/// The delay before reconnection attempt `attempt` (1-based).
///
/// The ceiling doubles per attempt from `base` up to `max`; the actual delay
/// is drawn uniformly from the upper half of it ("equal jitter"), so many
/// clients dropped by one server restart do not reconnect in lockstep, yet
/// no attempt comes sooner than half the ceiling.
pub(crate) fn delay(attempt: u32, base: Duration, max: Duration) -> Duration {
    let ceiling = ceiling(attempt, base, max);
    let half = ceiling / 2;
    let spread = u64::try_from((ceiling - half).as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(fastrand::u64(0..=spread))
}

/// `min(max, base × 2^(attempt-1))`, without overflow.
pub(crate) fn ceiling(attempt: u32, base: Duration, max: Duration) -> Duration {
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
        let got: Vec<_> = (1..=6).map(|n| ceiling(n, 100 * MS, 1000 * MS)).collect();
        assert_eq!(
            got,
            [100 * MS, 200 * MS, 400 * MS, 800 * MS, 1000 * MS, 1000 * MS]
        );
        assert_eq!(
            ceiling(u32::MAX, Duration::from_secs(3600), Duration::MAX),
            Duration::from_secs(3600) * (1 << 31)
        );
        // A max below the base is treated as the base.
        assert_eq!(ceiling(3, 100 * MS, MS), 100 * MS);
    }

    #[test]
    fn jittered_delay_stays_in_the_upper_half() {
        for attempt in 1..=8 {
            let top = ceiling(attempt, 10 * MS, 500 * MS);
            for _ in 0..200 {
                let d = delay(attempt, 10 * MS, 500 * MS);
                assert!(d >= top / 2 && d <= top, "{d:?} vs {top:?}");
            }
        }
    }
}
