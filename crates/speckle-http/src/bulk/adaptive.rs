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
//! Measuring: a block is a stretch of requests cut with one set of
//! limits. After the limits change, the first request cut with the new
//! limits to finish marks the block's start (from then on, only such
//! requests are in flight); the block's rate is the objects of the next few
//! requests to finish (a few, over at least 50 ms) over the time they
//! took. Requests cut with older limits are ignored.
//!
//! Comparing: a busy machine's speed drifts by tens of percent within a
//! second, so a probe measured after the kept size would often be judged
//! by the drift rather than by its size (growth stalls while the machine
//! slows down). Each comparison therefore measures the kept size, the
//! probe, then the kept size again, and compares the probe with both kept
//! blocks together: a drift that goes on through the three cancels out.
//! When the probe is kept, its block is the first kept block of the next
//! comparison. A probe clearly slower than the first kept block is dropped
//! as soon as one of its requests shows it, so a probe past a steep
//! optimum costs little.
//!
//! Deciding: a probe (the scale times or divided by the step) is kept when
//! it beats the kept size, and the search goes on in that direction (after
//! two larger probes kept in a row, with a wider step); otherwise the
//! other direction is tried, then the step is narrowed, until it is too
//! small to matter. Objects of very different sizes (points, then meshes)
//! make rates incomparable: when the bytes per object change a lot between
//! blocks, the comparison starts again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The smallest and largest requests adaptation may choose, in objects.
const MIN_OBJECTS: usize = 8;
const MAX_OBJECTS: usize = 50_000;
/// The smallest request body adaptation may choose.
const MIN_BYTES: usize = 64 * 1024;
/// A smaller request must beat the kept size by this much to be kept: a
/// shrink kept on noise costs more requests for the rest of the push, and
/// where smaller requests really pay (a server whose cost per request grows
/// faster than linearly, above its best size), halving them gains far more.
const GAIN: f64 = 1.15;
/// A larger request is kept unless it is clearly slower: at the same rate,
/// fewer requests cost less on both ends, and on a server whose cost grows
/// faster than linearly, doubling a request past its best size costs 20%
/// or more.
const GROWTH_TOLERANCE: f64 = 0.92;
/// A probe this much slower than the first kept block, after
/// [`EARLY_SAMPLES`] of its requests, is dropped without finishing the
/// comparison.
const CLEARLY_WORSE: f64 = 0.6;
/// Requests of a probe measured before it may be dropped early.
const EARLY_SAMPLES: u32 = 2;
/// The first step of the search; narrowed by its square root on each turn.
const FIRST_STEP: f64 = 2.0;
/// Below this step the search stops.
const SMALLEST_STEP: f64 = 1.15;
/// The widest step: growth speeds up after two kept probes in a row (the
/// best size is far from the start on a server without a superlinear
/// cost), up to this factor per probe.
const MAX_STEP: f64 = 4.0;
/// Blocks to stay at a settled size before searching again (the workload
/// or the server's load may have changed).
const SETTLED_BLOCKS: u32 = 16;
/// The shortest block: shorter ones measure the machine's hiccups more
/// than the server. Blocks can be short because the slow drift of a busy
/// machine's speed is cancelled by the order of the blocks, not by their
/// length; short blocks let a push reach its best size early.
const MIN_BLOCK: Duration = Duration::from_millis(50);
/// Bytes per object that differ by more than this factor between two
/// blocks make their rates incomparable.
const WORKLOAD_CHANGE: f64 = 2.0;

/// The limits a batch is cut with, and the block they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) objects: usize,
    pub(crate) bytes: usize,
    pub(crate) epoch: u64,
}

/// What a block (or several) measured.
#[derive(Debug, Clone, Copy, Default)]
struct Measured {
    objects: u64,
    bytes: u64,
    seconds: f64,
}

impl Measured {
    fn objects_per_second(&self) -> f64 {
        self.objects as f64 / self.seconds.max(1e-9)
    }

    fn bytes_per_object(&self) -> f64 {
        (self.bytes as f64 / self.objects.max(1) as f64).max(1.0)
    }

    /// Whether both were measured on the same kind of objects.
    fn comparable(&self, other: &Measured) -> bool {
        let (a, b) = (self.bytes_per_object(), other.bytes_per_object());
        a.max(b) / a.min(b) <= WORKLOAD_CHANGE
    }

    fn plus(self, other: Measured) -> Measured {
        Measured {
            objects: self.objects + other.objects,
            bytes: self.bytes + other.bytes,
            seconds: self.seconds + other.seconds,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// The first block of a comparison, at the kept scale (in force).
    Before,
    /// The probe's block, at the probe's scale (in force).
    Probe { kept: f64, before: Measured },
    /// The last block of a comparison, at the kept scale (in force).
    After {
        probe: f64,
        before: Measured,
        measured: Measured,
    },
    /// Done searching; counts blocks until the next search.
    Settled { blocks: u32, last: Option<Measured> },
}

/// The state of a block's measurement.
#[derive(Debug, Default)]
struct Block {
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
    /// Up (> 1) or down (< 1): the factor of the next probe.
    step: f64,
    /// Whether the other direction was tried at this step.
    turned: bool,
    /// Probes kept in a row in the current direction.
    streak: u32,
    block: Block,
    /// Requests per block measurement.
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
            phase: Phase::Before,
            step: FIRST_STEP,
            turned: false,
            streak: 0,
            block: Block::default(),
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
        let Some(started) = self.block.started else {
            // The pipeline holds only requests of this block from now on.
            self.block.started = Some(at);
            return;
        };
        self.block.finished += 1;
        self.block.objects += objects;
        self.block.bytes += bytes;
        let elapsed = at.duration_since(started);
        let measured = Measured {
            objects: self.block.objects,
            bytes: self.block.bytes,
            seconds: elapsed.as_secs_f64(),
        };
        if elapsed < MIN_BLOCK {
            return;
        }
        if let Phase::Probe { kept, before } = self.phase {
            // A probe far past a steep optimum is dropped as soon as that
            // shows: each of its requests costs many of the kept size's.
            // One request's time alone is too noisy to judge by.
            let clearly_worse = self.block.finished >= EARLY_SAMPLES
                && measured.comparable(&before)
                && measured.objects_per_second() < before.objects_per_second() * CLEARLY_WORSE;
            if clearly_worse {
                return self.reject(kept, before);
            }
        }
        if self.block.finished < self.samples {
            return;
        }
        match self.phase {
            Phase::Before => self.probe(measured),
            Phase::Probe { kept, before } => {
                let phase = Phase::After {
                    probe: self.scale,
                    before,
                    measured,
                };
                self.apply(kept, phase);
            }
            Phase::After {
                probe,
                before,
                measured: probed,
            } => self.decide(probe, before, probed, measured),
            Phase::Settled { blocks, last } => {
                let changed = last.is_some_and(|last| !last.comparable(&measured));
                if changed || blocks + 1 >= SETTLED_BLOCKS {
                    self.step = if changed {
                        FIRST_STEP
                    } else {
                        FIRST_STEP.sqrt()
                    };
                    self.turned = false;
                    self.streak = 0;
                    self.probe(measured);
                } else {
                    let phase = Phase::Settled {
                        blocks: blocks + 1,
                        last: Some(measured),
                    };
                    self.apply(self.scale, phase);
                }
            }
        }
    }

    /// Compares the probe (`probed`) with the kept scale measured before
    /// and after it.
    fn decide(&mut self, probe: f64, before: Measured, probed: Measured, after: Measured) {
        let kept = before.plus(after);
        if !before.comparable(&after) || !kept.comparable(&probed) {
            // Another kind of object: start over from the kept scale.
            self.step = FIRST_STEP;
            self.turned = false;
            self.streak = 0;
            return self.probe(after);
        }
        let needed = if probe > self.scale {
            GROWTH_TOLERANCE
        } else {
            GAIN
        };
        if probed.objects_per_second() > kept.objects_per_second() * needed {
            // The scale just left is known to be slower. The probe's block
            // is the next comparison's first measurement of the kept scale.
            self.turned = true;
            self.scale = probe;
            self.streak += 1;
            if self.streak >= 2 && self.step > 1.0 {
                // Grew twice in a row: the best size is further away.
                self.step = (self.step * self.step).min(MAX_STEP);
            }
            self.probe(probed);
        } else {
            self.reject(self.scale, after);
        }
    }

    /// The probe did not pay: back to the kept scale, then the other
    /// direction, then a narrower step. `kept_block` is the latest
    /// measurement of the kept scale, to compare the next probe with.
    fn reject(&mut self, kept: f64, kept_block: Measured) {
        self.streak = 0;
        if !self.turned {
            self.turned = true;
            self.step = 1.0 / self.step;
        } else {
            self.turned = false;
            self.step = (1.0 / self.step).sqrt();
        }
        self.scale = kept;
        if self.step.max(1.0 / self.step) < SMALLEST_STEP {
            let phase = Phase::Settled {
                blocks: 0,
                last: Some(kept_block),
            };
            return self.apply(kept, phase);
        }
        self.probe(kept_block);
    }

    /// Tries the next scale in the current direction, to be compared with
    /// `before`, measured at the kept scale; at a bound, turns.
    fn probe(&mut self, before: Measured) {
        let kept = self.scale;
        let at_kept = self.limits_at(kept);
        for _ in 0..2 {
            let next = self.limits_at(kept * self.step);
            if (next.objects, next.bytes) != (at_kept.objects, at_kept.bytes) {
                return self.apply(kept * self.step, Phase::Probe { kept, before });
            }
            // Nothing changes in this direction (a bound): try the other.
            self.step = 1.0 / self.step;
        }
        let phase = Phase::Settled {
            blocks: 0,
            last: Some(before),
        };
        self.apply(kept, phase);
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

    /// Puts `scale` in force and starts a new block.
    fn apply(&mut self, scale: f64, phase: Phase) {
        let limits = self.limits_at(scale);
        self.scale = scale;
        self.phase = phase;
        self.limits = Limits {
            epoch: self.limits.epoch + 1,
            ..limits
        };
        self.block = Block::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a search against a server model: seconds per request of `n`
    /// objects, one request at a time (a saturated, serialized server).
    fn settle(
        batching: &Batching,
        mut cost: impl FnMut(usize) -> f64,
        rounds: usize,
    ) -> Vec<usize> {
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

    /// A server on a machine that keeps getting slower (its load grows),
    /// by half again every 0.8 s, for five seconds at a time.
    fn slowing(cost: impl Fn(usize) -> f64) -> impl FnMut(usize) -> f64 {
        let mut clock = 0.0_f64;
        move |n| {
            let load = (0.5 * (clock % 5.0)).exp();
            let seconds = cost(n) * load;
            clock += seconds;
            seconds
        }
    }

    #[test]
    fn grows_on_a_linear_server_whose_speed_drifts() {
        // A probe measured after the kept size would be judged by the
        // slowdown rather than by its size, and growth would stall; each
        // probe is measured between two blocks of the kept size, so the
        // slowdown cancels.
        let batching = Batching::adaptive(250, 100_000_000, 4);
        let sizes = settle(&batching, slowing(|n| 0.002 + n as f64 * 16.5e-6), 1_000);
        let first_large = sizes.iter().position(|&n| n >= 4_000);
        assert!(first_large.is_some_and(|i| i < 100), "{sizes:?}");
        assert!(
            most_used(sizes.get(500..).unwrap_or_default()) >= 4_000,
            "{sizes:?}"
        );
    }

    /// The request size used most often.
    fn most_used(sizes: &[usize]) -> usize {
        let mut counts = std::collections::HashMap::new();
        for &n in sizes {
            *counts.entry(n).or_insert(0) += 1;
        }
        counts
            .into_iter()
            .max_by_key(|&(n, count)| (count, n))
            .map_or(0, |(n, _)| n)
    }

    #[test]
    fn settles_near_the_optimum_of_a_quadratic_server() {
        // n / (c + k n²) is best at n = sqrt(c / k) = 100.
        let batching = Batching::adaptive(250, 100_000_000, 4);
        let sizes = settle(&batching, |n| 0.01 + (n * n) as f64 * 1e-6, 1_000);
        // Where it stays (it searches again now and then).
        let settled = most_used(sizes.get(500..).unwrap_or_default());
        assert!((50..=200).contains(&settled), "{settled}: {sizes:?}");
        assert!(sizes.iter().all(|&n| n <= 500), "{sizes:?}");
        // A 500-object request costs as much as five of 250 here: the probe
        // is dropped as soon as two of its requests show it (the first to
        // finish only starts the measurement).
        let probes = sizes.iter().filter(|&&n| n == 500).count();
        assert!(probes <= 3, "{probes} requests of 500: {sizes:?}");
    }

    #[test]
    fn growth_speeds_up_while_it_keeps_paying() {
        // Each probe costs a block at the probe and one at the kept size;
        // doubling all the way from 250 to 16,000 would take six of them.
        let batching = Batching::adaptive(250, 100_000_000, 4);
        let sizes = settle(&batching, |n| 0.002 + n as f64 * 16.5e-6, 300);
        let mut tried: Vec<usize> = Vec::new();
        for &n in &sizes {
            if !tried.contains(&n) {
                tried.push(n);
            }
        }
        // 250, 500, 1,000, then four times larger per probe.
        assert_eq!(tried.get(..5), Some(&[250, 500, 1_000, 4_000, 16_000][..]));
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
