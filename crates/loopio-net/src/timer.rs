//! Deadlines in one binary heap with lazy deletion: an entry whose owner moved its deadline, or
//! whose slot was reused (generation), is skipped when it comes due.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::ConnId;

/// Who a deadline belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKey {
    /// The connection's protocol deadline ([`Conn::deadline`](crate::conn::Conn)).
    Conn(ConnId),
    /// A service timer: id and the service's data.
    Service(u64, u64),
}

/// Min-heap of deadlines. Push and pop are O(log n).
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, TimerKey)>>,
}

impl Timers {
    /// Adds a deadline.
    pub(crate) fn push(&mut self, at: Instant, key: TimerKey) {
        self.heap.push(Reverse((at, key)));
    }

    /// The earliest deadline, possibly stale.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Removes and returns an entry due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, TimerKey)> {
        match self.heap.peek() {
            Some(Reverse((at, _))) if *at <= now => self.heap.pop().map(|Reverse(entry)| entry),
            _ => None,
        }
    }

    /// Entries held, stale ones included.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Drops the entries `keep` rejects (compaction when stale entries pile up).
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(Instant, TimerKey) -> bool) {
        self.heap.retain(|Reverse((at, key))| keep(*at, *key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn pops_in_deadline_order_only_when_due() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        timers.push(t0 + Duration::from_secs(2), TimerKey::Service(2, 0));
        timers.push(t0 + Duration::from_secs(1), TimerKey::Service(1, 0));
        assert_eq!(timers.next(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(timers.pop_due(t0), None);
        let due = timers
            .pop_due(t0 + Duration::from_secs(5))
            .map(|(_, key)| key);
        assert_eq!(due, Some(TimerKey::Service(1, 0)));
        timers.retain(|_, _| false);
        assert_eq!(timers.len(), 0);
    }
}
