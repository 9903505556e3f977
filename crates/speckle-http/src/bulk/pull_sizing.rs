//! How many ids a pull asks for per request.

/// The most bytes an answer for several ids may bring, for a pull aiming at
/// `target_bytes` per answer. Requests are cut from the bytes per object of
/// earlier answers; where a model turns from small objects to heavy meshes,
/// the requests cut before the first mesh arrived would each bring a
/// hundred meshes (tens of megabytes) at once. Their answers are cut off
/// here and their ids asked again in smaller requests.
pub(super) fn answer_cap(target_bytes: usize) -> u64 {
    (target_bytes.max(1) as u64).saturating_mul(2).max(1 << 20)
}

/// How many ids the next getbulk asks for: at most `max`, and about
/// `target_bytes` of answer given the bytes per object of the latest answer
/// (the latest, not an average: models often go from thousands of small
/// objects to a few huge meshes).
#[derive(Debug)]
pub(super) struct ChunkSizing {
    /// Most ids per request; lowered when an answer was over the client's
    /// size limit.
    max: usize,
    target_bytes: usize,
    /// Bytes per object of the latest answer; 0 before the first.
    per_object: u64,
}

impl ChunkSizing {
    pub(super) fn new(max: usize, target_bytes: usize) -> Self {
        Self {
            max: max.max(1),
            target_bytes: target_bytes.max(1),
            per_object: 0,
        }
    }

    /// An answer of `bytes` for `objects` ids (or at least that many bytes,
    /// for an answer cut off at a limit).
    pub(super) fn observe(&mut self, objects: usize, bytes: u64) {
        if let Some(per_object) = bytes.checked_div(objects as u64) {
            self.per_object = per_object.max(1);
        }
    }

    /// After an answer of `failed_len` objects went over the client's size
    /// limit: later requests ask for at most half as many.
    pub(super) fn halve(&mut self, failed_len: usize) {
        self.max = self.max.min((failed_len / 2).max(1));
    }

    pub(super) fn next_len(&self) -> usize {
        match self.per_object {
            0 => self.max,
            per_object => {
                let fitting = (self.target_bytes as u64 / per_object).max(1);
                usize::try_from(fitting).unwrap_or(self.max).min(self.max)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_follow_the_latest_answer_up_to_the_most_ids() {
        let mut sizing = ChunkSizing::new(100, 4_000_000);
        assert_eq!(sizing.next_len(), 100, "nothing measured yet");
        sizing.observe(100, 20_000);
        assert_eq!(sizing.next_len(), 100);
        sizing.observe(20, 8_000_000);
        assert_eq!(sizing.next_len(), 10);
        sizing.observe(1, 50_000_000);
        assert_eq!(sizing.next_len(), 1, "never zero");
        sizing.halve(8);
        sizing.observe(100, 100);
        assert_eq!(sizing.next_len(), 4);
    }

    #[test]
    fn the_cap_is_twice_the_target_and_at_least_a_mebibyte() {
        assert_eq!(answer_cap(4_000_000), 8_000_000);
        assert_eq!(answer_cap(0), 1 << 20);
        assert_eq!(answer_cap(usize::MAX), u64::MAX);
    }
}
