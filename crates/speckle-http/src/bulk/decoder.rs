//! The one thread that decodes a pull's answers.
//!
//! Decoding megabytes of coordinates is a pull's main CPU cost, so it runs
//! off the async threads and overlaps with fetching the next answers. It
//! runs on one thread per pull, not on whichever blocking-pool thread is
//! free: glibc gives each thread that allocates its own malloc arena and
//! every arena keeps its peak, so objects decoded on four threads in turn
//! left four peaks resident (measured: well over the bytes in flight).
//! One thread keeps the decoded objects in one arena, which reuses what the
//! consumer has freed.

use std::sync::{mpsc, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

/// A lazily started decoding thread; it ends when the pull is dropped (the
/// last handle closes its queue).
#[derive(Default)]
pub(crate) struct Decoder {
    /// `None` when the thread could not be started: jobs then run inline.
    jobs: OnceLock<Option<mpsc::Sender<Job>>>,
}

/// Why a job gave no result: the decoding thread died under it.
#[derive(Debug, thiserror::Error)]
#[error("the decoding thread stopped before finishing")]
pub(crate) struct DecoderGone;

impl Decoder {
    /// Runs `job` on the decoding thread, in the order jobs arrive, or on
    /// the calling thread when no decoding thread can run.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, DecoderGone> {
        let Some(queue) = self.jobs.get_or_init(start).as_ref() else {
            return Ok(job());
        };
        let (done, result) = tokio::sync::oneshot::channel();
        let boxed: Job = Box::new(move || {
            // The pull may have been dropped meanwhile: nobody to tell.
            let _ = done.send(job());
        });
        // The thread is gone only if a job panicked; the job comes back
        // unrun and runs here.
        if let Err(mpsc::SendError(unrun)) = queue.send(boxed) {
            unrun();
        }
        result.await.map_err(|_| DecoderGone)
    }
}

fn start() -> Option<mpsc::Sender<Job>> {
    let (queue, jobs) = mpsc::channel::<Job>();
    let spawned = std::thread::Builder::new()
        .name("speckle-pull-decode".to_owned())
        .spawn(move || {
            for job in jobs {
                job();
            }
        });
    match spawned {
        Ok(_) => Some(queue),
        Err(error) => {
            tracing::debug!(%error, "no decoding thread; decoding inline");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_on_one_thread_other_than_the_callers() {
        let decoder = Decoder::default();
        let first = decoder.run(|| std::thread::current().id()).await.unwrap();
        let second = decoder.run(|| std::thread::current().id()).await.unwrap();
        assert_eq!(first, second);
        assert_ne!(first, std::thread::current().id());
    }
}
