//! Progress reports of bulk transfers.

use std::fmt;
use std::sync::Arc;

/// Where a transfer stands. Sent after every finished request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Progress {
    /// Objects handled so far (uploaded, deduplicated, cached or fetched).
    pub objects_done: u64,
    /// Total objects, when known in advance (a `Vec` input or a pull).
    pub objects_total: Option<u64>,
    /// Request body bytes sent (push) or response bytes received (pull).
    pub bytes_done: u64,
    /// Requests finished.
    pub requests_done: u64,
}

/// A progress callback: cheap to clone, called from the task that drives the
/// transfer (keep it quick, e.g. update a progress bar or send on a channel).
///
/// ```
/// use speckle_http::bulk::ProgressFn;
/// let on_progress = ProgressFn::new(|p| eprintln!("{}/{:?}", p.objects_done, p.objects_total));
/// # let _ = on_progress;
/// ```
#[derive(Clone)]
pub struct ProgressFn(Arc<dyn Fn(Progress) + Send + Sync>);

impl ProgressFn {
    /// Wraps a callback.
    pub fn new(f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    pub(crate) fn report(&self, progress: Progress) {
        (self.0)(progress);
    }
}

impl fmt::Debug for ProgressFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressFn")
    }
}
