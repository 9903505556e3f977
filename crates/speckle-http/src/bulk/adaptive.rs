//! Adaptive batching for push: finds the request size each server moves
//! objects fastest with.
//!
//! Servers differ by orders of magnitude here. The real server's bulk save
//! does work quadratic in the new objects of one request, so a few hundred
//! objects per request is its sweet spot and thousands are many times
//! slower; a server without that cost is fastest with requests as large as
//! its body limit allows. Push therefore starts from safe limits (the
//! caller's [`PushOptions`](super::PushOptions)) and hill-climbs one scale
//! factor applied to both the objects and the bytes per request, judged by
//! the objects per second that come back. The caller's byte limit stays a
//! maximum: memory holds the requests in flight, so it must not grow
//! behind the caller's back, and small objects gain from larger counts long
//! before the bytes matter (250 points are some 40 KB).
//!
//! Measuring: after the limits change, the first request cut with the new
//! limits to finish marks the start of an epoch (from then on, only such
//! requests are in flight); the epoch's rate is the objects of the next
//! few requests to finish (at least a quarter of a second of them) over
//! the time they took. Requests cut with older
//! limits are ignored.
//!
//! Deciding: a probe (the scale times or divided by the step) is kept when
//! it beats the reference rate measured at the kept scale, and the search
//! goes on in that direction; otherwise the other direction is tried, then
//! the step is narrowed, until it is too small to matter. Objects of very
//! different sizes (points, then meshes) make rates incomparable: when the
//! bytes per object change a lot between epochs, the reference is measured
//! again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The smallest and largest requests adaptation may choose, in objects.
const MIN_OBJECTS: usize = 8;
const MAX_OBJECTS: usize = 50_000;
/// The smallest request body adaptation may choose.
const MIN_BYTES: usize = 64 * 1024;
/// A smaller request must beat the reference by this much to be kept.
/// Rates measured on a busy machine swing by ±10% from one epoch to the
/// next, and a shrink kept on such a swing costs more requests for the rest
/// of the push; where smaller requests really pay (a server whose cost per
/// request grows faster than linearly, above its best size), halving them
/// gains far more than this.
const GAIN: f64 = 1.15;
/// A larger request is kept unless it is clearly slower (by more than the
/// ±10% a busy machine's rates swing by): at the same rate, fewer requests
/// cost less on both ends, and on a server whose cost grows faster than
/// linearly, doubling a request past its best size costs 20% or more.
const GROWTH_TOLERANCE: f64 = 0.92;
/// The first step of the search; narrowed by its square root on each turn.
const FIRST_STEP: f64 = 2.0;
/// Below this step the search stops.
const SMALLEST_STEP: f64 = 1.15;
/// Epochs to stay at a settled size before searching again (the workload
/// or the server's load may have changed).
const SETTLED_EPOCHS: u32 = 8;
/// The shortest epoch: shorter ones measure the machine's hiccups more
/// than the server.
const MIN_EPOCH: Duration = Duration::from_millis(250);
/// Bytes per object that differ by more than this factor between two
/// epochs make their rates incomparable.
const WORKLOAD_CHANGE: f64 = 2.0;

/// The limits a batch is cut with, and the epoch they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) objects: usize,
    pub(crate) bytes: usize,
    pub(crate) epoch: u64,
}

/// A measured rate, and the workload it was measured on.
#[derive(Debug, Clone, Copy)]
struct Rate {
    objects_per_second: f64,
    bytes_per_object: f64,
}

impl Rate {
    fn comparable(&self, other: &Rate) -> bool {
        let (a, b) = (
            self.bytes_per_object.max(1.0),
            other.bytes_per_object.max(1.0),
        );
        a.max(b) / a.min(b) <= WORKLOAD_CHANGE
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Measuring the rate at the kept scale.
    Reference,
    /// Measuring the rate at `probe` (the scale in force).
    Probe { kept: f64 },
    /// Done searching; counts epochs until the next search.
    Settled { epochs: u32 },
}

/// The state of an epoch's measurement.
#[derive(Debug, Default)]
struct Epoch {
    started: Option<Instant>,
    finished: u32,
    objects: u64,
    bytes: u64,
}

#[derive(Debug)]
struct Search {
    base_objects: usize,
    base_bytes: usize,
    max_bytes: usize,
    /// The factor in force on both base limits.
    scale: f64,
    limits: Limits,
    phase: Phase,
    reference: Option<Rate>,
    /// Up (> 1) or down (< 1): the factor of the next probe.
    step: f64,
    /// Whether the other direction was tried at this step.
    turned: bool,
    epoch: Epoch,
    /// Requests per epoch measurement.
    samples: u32,
}

/// The batching of a push with these options.
pub(crate) fn batching_for(options: &super::PushOptions) -> Batching {
    if options.adaptive {
        Batching::adaptive(
            options.max_batch_objects,
            options.max_batch_bytes,
            options.concurrency.max(1),
        )
    } else {
        Batching::fixed(options.max_batch_objects, options.max_batch_bytes)
    }
}

/// The batch limits of one push, adapted as its requests finish.
#[derive(Debug)]
pub(crate) struct Batching {
    search: Option<Mutex<Search>>,
    fixed: Limits,
}

impl Batching {
    /// Limits that never change (adaptation off).
    pub(crate) fn fixed(objects: usize, bytes: usize) -> Self {
        Self {
            search: None,
            fixed: Limits {
                objects: objects.max(1),
                bytes: bytes.max(1),
                epoch: 0,
            },
        }
    }

    /// Limits that start at `objects` and `bytes` and adapt; `concurrency`
    /// requests are in flight.
    pub(crate) fn adaptive(objects: usize, bytes: usize, concurrency: usize) -> Self {
        let fixed = Self::fixed(objects, bytes).fixed;
        let search = Search {
            base_objects: fixed.objects,
            base_bytes: fixed.bytes,
            max_bytes: fixed.bytes,
            scale: 1.0,
            limits: fixed,
            phase: Phase::Reference,
            reference: None,
            step: FIRST_STEP,
            turned: false,
            epoch: Epoch::default(),
            samples: u32::try_from(concurrency.clamp(3, 8)).unwrap_or(3),
        };
        Self {
            search: Some(Mutex::new(search)),
            fixed,
        }
    }

    /// The limits to cut the next batch with.
    pub(crate) fn limits(&self) -> Limits {
        match &self.search {
            None => self.fixed,
            Some(search) => search.lock().map_or(self.fixed, |s| s.limits),
        }
    }

    /// A request of `objects` objects and `bytes` bytes, cut with the limits
    /// of `epoch`, finished (stored) at `at`.
    pub(crate) fn finished(&self, epoch: u64, objects: u64, bytes: u64, at: Instant) {
        if let Some(search) = &self.search {
            if let Ok(mut search) = search.lock() {
                search.finished(epoch, objects, bytes, at);
            }
        }
    }
}

impl Search {
    fn finished(&mut self, epoch: u64, objects: u64, bytes: u64, at: Instant) {
        if epoch != self.limits.epoch || objects == 0 {
            return;
        }
        let Some(started) = self.epoch.started else {
            // The pipeline holds only requests of this epoch from now on.
            self.epoch.started = Some(at);
            return;
        };
        self.epoch.finished += 1;
        self.epoch.objects += objects;
        self.epoch.bytes += bytes;
        let elapsed = at.duration_since(started);
        if self.epoch.finished < self.samples || elapsed < MIN_EPOCH {
            return;
        }
        let seconds = elapsed.as_secs_f64().max(1e-6);
        let rate = Rate {
            objects_per_second: self.epoch.objects as f64 / seconds,
            bytes_per_object: self.epoch.bytes as f64 / self.epoch.objects.max(1) as f64,
        };
        self.decide(rate);
    }

    fn decide(&mut self, rate: Rate) {
        let changed = self.reference.is_some_and(|r| !r.comparable(&rate));
        match self.phase {
            Phase::Reference => {
                self.reference = Some(rate);
                self.probe();
            }
            Phase::Probe { kept } if changed => {
                // Another kind of object: start over from the kept scale.
                self.reference = None;
                self.step = FIRST_STEP;
                self.turned = false;
                self.apply(kept, Phase::Reference);
            }
            Phase::Probe { kept } => {
                let needed = if self.step > 1.0 {
                    GROWTH_TOLERANCE
                } else {
                    GAIN
                };
                let beats = self
                    .reference
                    .is_some_and(|r| rate.objects_per_second > r.objects_per_second * needed);
                if beats {
                    self.reference = Some(rate);
                    // The scale just left is known to be slower.
                    self.turned = true;
                    self.probe();
                } else {
                    self.reject(kept);
                }
            }
            Phase::Settled { epochs } if changed || epochs + 1 >= SETTLED_EPOCHS => {
                self.reference = None;
                self.step = if changed {
                    FIRST_STEP
                } else {
                    FIRST_STEP.sqrt()
                };
                self.turned = false;
                self.apply(self.scale, Phase::Reference);
            }
            Phase::Settled { epochs } => {
                self.apply(self.scale, Phase::Settled { epochs: epochs + 1 });
            }
        }
    }

    /// The probe did not pay: back to the kept scale, then the other
    /// direction, then a narrower step.
    fn reject(&mut self, kept: f64) {
        if !self.turned {
            self.turned = true;
            self.step = 1.0 / self.step;
        } else {
            self.turned = false;
            self.step = (1.0 / self.step).sqrt();
        }
        let phase = if self.step.max(1.0 / self.step) < SMALLEST_STEP {
            Phase::Settled { epochs: 0 }
        } else {
            Phase::Reference
        };
        self.apply(kept, phase);
    }

    /// Tries the next scale in the current direction; at a bound, turns.
    fn probe(&mut self) {
        let kept = self.scale;
        for _ in 0..2 {
            let next = self.limits_at(kept * self.step);
            if (next.objects, next.bytes) != (self.limits.objects, self.limits.bytes) {
                self.apply(kept * self.step, Phase::Probe { kept });
                return;
            }
            // Nothing changes in this direction (a bound): try the other.
            self.step = 1.0 / self.step;
        }
        self.apply(kept, Phase::Settled { epochs: 0 });
    }

    fn limits_at(&self, scale: f64) -> Limits {
        let objects = (self.base_objects as f64 * scale).round() as usize;
        let bytes = (self.base_bytes as f64 * scale).round() as usize;
        Limits {
            objects: objects.clamp(
                MIN_OBJECTS.min(self.base_objects),
                MAX_OBJECTS.max(self.base_objects),
            ),
            bytes: bytes.clamp(MIN_BYTES.min(self.base_bytes), self.max_bytes),
            epoch: self.limits.epoch,
        }
    }

    /// Puts `scale` in force and starts a new epoch.
    fn apply(&mut self, scale: f64, phase: Phase) {
        let limits = self.limits_at(scale);
        self.scale = scale;
        self.phase = phase;
        self.limits = Limits {
            epoch: self.limits.epoch + 1,
            ..limits
        };
        self.epoch = Epoch::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a search against a server model: seconds per request of `n`
    /// objects, one request at a time (a saturated, serialized server).
    fn settle(batching: &Batching, cost: impl Fn(usize) -> f64, rounds: usize) -> Vec<usize> {
        let mut now = Instant::now();
        let mut sizes = Vec::new();
        for _ in 0..rounds {
            let limits = batching.limits();
            sizes.push(limits.objects);
            now += Duration::from_secs_f64(cost(limits.objects));
            batching.finished(
                limits.epoch,
                limits.objects as u64,
                limits.objects as u64 * 100,
                now,
            );
        }
        sizes
    }

    #[test]
    fn grows_toward_large_requests_on_a_linear_server() {
        let batching = Batching::adaptive(250, 100_000_000, 4);
        let sizes = settle(&batching, |n| 0.005 + n as f64 * 1e-5, 2_000);
        assert!(
            sizes.iter().max().copied().unwrap_or(0) >= 8_000,
            "{sizes:?}"
        );
        assert!(batching.limits().objects >= 8_000, "{sizes:?}");
    }

    #[test]
    fn settles_near_the_optimum_of_a_quadratic_server() {
        // n / (c + k n²) is best at n = sqrt(c / k) = 100.
        let batching = Batching::adaptive(250, 100_000_000, 4);
        let sizes = settle(&batching, |n| 0.01 + (n * n) as f64 * 1e-6, 1_000);
        let last = batching.limits().objects;
        assert!((50..=200).contains(&last), "{last}: {sizes:?}");
        assert!(sizes.iter().all(|&n| n <= 500), "{sizes:?}");
    }

    #[test]
    fn bytes_never_grow_past_the_callers_limit() {
        let batching = Batching::adaptive(250, 2_000_000, 4);
        let sizes = settle(&batching, |n| 0.005 + n as f64 * 1e-6, 3_000);
        // The objects grew, the bytes did not.
        assert!(sizes.iter().any(|&n| n > 250), "{sizes:?}");
        assert_eq!(batching.limits().bytes, 2_000_000);
    }

    #[test]
    fn fixed_limits_never_change() {
        let batching = Batching::fixed(250, 2_000_000);
        let sizes = settle(&batching, |n| 0.005 + n as f64 * 1e-5, 50);
        assert!(sizes.iter().all(|&n| n == 250));
    }
}
