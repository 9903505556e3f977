//! The threads that decode a pull's answers.
//!
//! Decoding megabytes of coordinates is a pull's main CPU cost, so it runs
//! off the async threads and overlaps with fetching the next answers. It
//! runs on a pull's own few threads, not on whichever blocking-pool thread
//! is free: glibc gives each thread that allocates its own malloc arena,
//! and every arena keeps its peak. Measured on a pull of heavy meshes
//! (`tests/tests/pull_memory.rs`), decoding on the blocking pool added
//! 82-120 MB of peak RSS, on one thread of its own 65-81 MB. Two threads
//! keep up where decoding is what limits a pull: one thread pulled heavy
//! meshes at 0.77x the rate of the same requests decoded into `Value` on
//! the blocking pool, two at 0.92x; they cost one more arena.

use std::sync::{mpsc, Arc, Mutex, OnceLock, PoisonError};

type Job = Box<dyn FnOnce() + Send>;

/// Most threads a pull decodes on.
const MOST_THREADS: usize = 2;

/// Lazily started decoding threads; they end when the pull is dropped (the
/// last handle closes their queue).
#[derive(Default)]
pub(crate) struct Decoder {
    /// `None` when no thread could be started: jobs then run inline.
    jobs: OnceLock<Option<mpsc::Sender<Job>>>,
}

/// Why a job gave no result: its decoding thread died under it.
#[derive(Debug, thiserror::Error)]
#[error("the decoding thread stopped before finishing")]
pub(crate) struct DecoderGone;

impl Decoder {
    /// How many answers may be decoding at once.
    pub(crate) fn threads() -> usize {
        std::thread::available_parallelism()
            .map_or(1, |cores| cores.get())
            .min(MOST_THREADS)
    }

    /// Runs `job` on a decoding thread (jobs start in the order they
    /// arrive), or on the calling thread when no decoding thread can run.
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
        // The threads are gone only if jobs panicked; the job comes back
        // unrun and runs here.
        if let Err(mpsc::SendError(unrun)) = queue.send(boxed) {
            unrun();
        }
        result.await.map_err(|_| DecoderGone)
    }
}

fn start() -> Option<mpsc::Sender<Job>> {
    let (queue, jobs) = mpsc::channel::<Job>();
    let jobs = Arc::new(Mutex::new(jobs));
    let mut started = 0;
    for _ in 0..Decoder::threads() {
        let jobs = jobs.clone();
        let spawned = std::thread::Builder::new()
            .name("speckle-pull-decode".to_owned())
            .spawn(move || loop {
                // The lock is held only while waiting for the next job.
                let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
                match next {
                    Ok(job) => job(),
                    Err(mpsc::RecvError) => return,
                }
            });
        match spawned {
            Ok(_) => started += 1,
            Err(error) => tracing::debug!(%error, "one decoding thread fewer"),
        }
    }
    (started > 0).then_some(queue)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[tokio::test]
    async fn jobs_run_on_the_pulls_own_threads() {
        let decoder = Decoder::default();
        let mut threads = HashSet::new();
        for _ in 0..20 {
            let thread = decoder.run(|| std::thread::current().id()).await.unwrap();
            threads.insert(thread);
        }
        assert!(threads.len() <= Decoder::threads(), "{threads:?}");
        assert!(!threads.contains(&std::thread::current().id()));
        let names = decoder
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert_eq!(names.as_deref(), Some("speckle-pull-decode"));
    }
}
