//! Waiting for a condition the server makes true some time after it answered
//! (a write it acknowledges before saving): poll until it holds, with a
//! deadline that is only reached when the test is about to fail.

use std::future::Future;
use std::time::Duration;

/// Bound on a wait.
const GIVE_UP_AFTER: Duration = Duration::from_secs(10);

/// Pause between two probes, so a wait does not hammer a shared server.
const PROBE_EVERY: Duration = Duration::from_millis(20);

/// Calls `probe` until it gives `Some`, and returns that.
///
/// # Errors
/// When `probe` still gives `None` after ten seconds: the message names
/// `what` and the last thing seen.
pub async fn until<T, F, Fut>(what: &str, mut probe: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + GIVE_UP_AFTER;
    loop {
        let last = match probe().await {
            Ok(value) => return Ok(value),
            Err(seen) => seen,
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "{what}: still not so after {GIVE_UP_AFTER:?}; last seen {last}"
            ));
        }
        tokio::time::sleep(PROBE_EVERY).await;
    }
}
