//! Which ids a pull asks for next, and when an answer may be handed out.
//!
//! Plain bookkeeping over positions in the pull's id list, so the order and
//! memory rules are tested without a server.

use std::collections::BTreeMap;
use std::ops::Range;

/// The state of a pull over `total` ids.
///
/// A request covers a range of positions. Answers are handed out in
/// position order; a request whose answer was over its size limit gives
/// its range back, to be asked again in smaller requests before any id not
/// asked yet (it blocks every later answer until then).
///
/// Requests in flight and answers waiting for their turn share the
/// `concurrency` slots: memory holds at most that many answers, whatever
/// order the server answers in.
#[derive(Debug)]
pub(super) struct Schedule {
    total: usize,
    concurrency: usize,
    /// The first position never asked for.
    fresh: usize,
    /// Ranges given back, by start: their end and the most ids per request.
    again: BTreeMap<usize, (usize, usize)>,
    /// The first position not handed out yet.
    handed: usize,
    /// Requests in flight plus answers waiting for their turn.
    busy: usize,
}

impl Schedule {
    pub(super) fn new(total: usize, concurrency: usize) -> Self {
        Self {
            total,
            concurrency: concurrency.max(1),
            fresh: 0,
            again: BTreeMap::new(),
            handed: 0,
            busy: 0,
        }
    }

    /// The next request, at most `len` ids, if a slot is free and ids are
    /// left to ask for. Ranges given back come first, lowest first.
    pub(super) fn next_request(&mut self, len: usize) -> Option<Range<usize>> {
        if self.busy >= self.concurrency {
            return None;
        }
        let len = len.max(1);
        let range = if let Some(entry) = self.again.first_entry() {
            let start = *entry.key();
            let (end, most) = *entry.get();
            entry.remove();
            let cut = start.saturating_add(len.min(most)).min(end);
            if cut < end {
                self.again.insert(cut, (end, most));
            }
            start..cut
        } else if self.fresh < self.total {
            let start = self.fresh;
            self.fresh = start.saturating_add(len).min(self.total);
            start..self.fresh
        } else {
            return None;
        };
        self.busy += 1;
        Some(range)
    }

    /// `range` was answered over its size limit: its slot is free and the
    /// range is asked again, at most half as many ids per request.
    pub(super) fn give_back(&mut self, range: Range<usize>) {
        self.busy = self.busy.saturating_sub(1);
        let most = (range.len() / 2).max(1);
        self.again.insert(range.start, (range.end, most));
    }

    /// The position whose answer is handed out next.
    pub(super) fn next_to_hand_out(&self) -> usize {
        self.handed
    }

    /// After a failure: ids not asked for yet never will be (ranges given
    /// back still are, the failure waits for the answers before it).
    pub(super) fn stop_new_ids(&mut self) {
        self.total = self.fresh;
    }

    /// The answer for the range starting at
    /// [`next_to_hand_out`](Self::next_to_hand_out) was handed out: its
    /// slot is free.
    pub(super) fn handed_out(&mut self, range: &Range<usize>) {
        self.handed = range.end;
        self.busy = self.busy.saturating_sub(1);
    }

    /// Whether every position was handed out.
    pub(super) fn finished(&self) -> bool {
        self.handed >= self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_cut_in_order_and_wait_for_a_free_slot() {
        let mut schedule = Schedule::new(10, 2);
        assert_eq!(schedule.next_request(4), Some(0..4));
        assert_eq!(schedule.next_request(4), Some(4..8));
        assert_eq!(schedule.next_request(4), None, "two slots");
        // An answer waiting for its turn keeps its slot.
        assert_eq!(schedule.next_to_hand_out(), 0);
        assert_eq!(schedule.next_request(4), None);
        schedule.handed_out(&(0..4));
        assert_eq!(schedule.next_request(4), Some(8..10));
        schedule.handed_out(&(4..8));
        schedule.handed_out(&(8..10));
        assert_eq!(schedule.next_request(4), None);
        assert!(schedule.finished());
    }

    #[test]
    fn a_range_given_back_is_asked_again_in_halves_before_new_ids() {
        let mut schedule = Schedule::new(100, 2);
        assert_eq!(schedule.next_request(20), Some(0..20));
        assert_eq!(schedule.next_request(20), Some(20..40));
        schedule.give_back(0..20);
        // Even if the sizes measured so far allow more.
        assert_eq!(schedule.next_request(50), Some(0..10));
        assert_eq!(schedule.next_request(50), None, "slots are full");
        schedule.give_back(0..10);
        assert_eq!(schedule.next_request(3), Some(0..3));
        assert_eq!(schedule.next_request(3), None);
        schedule.handed_out(&(0..3));
        assert_eq!(schedule.next_request(50), Some(3..8), "half of 10, then");
        schedule.handed_out(&(3..8));
        assert_eq!(schedule.next_request(50), Some(8..10));
        schedule.handed_out(&(8..10));
        assert_eq!(
            schedule.next_request(50),
            Some(10..20),
            "the first range's rest"
        );
        schedule.handed_out(&(10..20));
        assert_eq!(schedule.next_request(50), Some(40..90), "then new ids");
    }

    #[test]
    fn after_a_failure_only_ranges_given_back_are_asked() {
        let mut schedule = Schedule::new(100, 3);
        assert_eq!(schedule.next_request(10), Some(0..10));
        assert_eq!(schedule.next_request(10), Some(10..20));
        schedule.give_back(0..10);
        schedule.stop_new_ids();
        assert_eq!(schedule.next_request(10), Some(0..5));
        assert_eq!(schedule.next_request(10), Some(5..10));
        assert_eq!(schedule.next_request(10), None);
        schedule.handed_out(&(0..5));
        schedule.handed_out(&(5..10));
        schedule.handed_out(&(10..20));
        assert!(schedule.finished());
    }

    #[test]
    fn a_single_id_given_back_is_asked_alone_again() {
        let mut schedule = Schedule::new(1, 1);
        assert_eq!(schedule.next_request(1), Some(0..1));
        schedule.give_back(0..1);
        assert_eq!(schedule.next_request(5), Some(0..1));
    }
}
