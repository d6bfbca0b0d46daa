//! The fragments a stream closed, as the index and the manifests need them: all of them,
//! or, for a live push that writes neither, the first, the count and the newest few, so
//! memory stays flat however long the stream runs.

use crate::manifest::FragmentTime;

/// Fragments kept by a bounded log: enough to compare a stream with the other bit rates
/// of its StreamIndex, which close the same fragment at about the same time.
const RECENT: usize = 64;

/// The fragments of one stream, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct FragmentLog {
    /// The kept fragments: all, or the newest when bounded.
    kept: Vec<FragmentTime>,
    /// How many fragments were forgotten from the front of `kept`.
    forgotten: usize,
    first: Option<FragmentTime>,
    bounded: bool,
}

impl FragmentLog {
    /// From now on keeps only the newest fragments.
    pub(crate) fn bound(&mut self) {
        self.bounded = true;
        self.trim();
    }

    pub(crate) fn push(&mut self, fragment: FragmentTime) {
        self.first.get_or_insert(fragment);
        self.kept.push(fragment);
        self.trim();
    }

    /// Drops the oldest in batches, so a push costs O(1) amortized.
    fn trim(&mut self) {
        if self.bounded && self.kept.len() >= 2 * RECENT {
            let drop = self.kept.len() - RECENT;
            self.kept.drain(..drop);
            self.forgotten += drop;
        }
    }

    /// Every fragment closed, counting forgotten ones.
    pub(crate) fn len(&self) -> usize {
        self.forgotten + self.kept.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn first(&self) -> Option<&FragmentTime> {
        self.first.as_ref()
    }

    pub(crate) fn last(&self) -> Option<&FragmentTime> {
        self.kept.last()
    }

    /// Fragment number `index`, unless it was forgotten.
    pub(crate) fn get(&self, index: usize) -> Option<&FragmentTime> {
        self.kept.get(index.checked_sub(self.forgotten)?)
    }

    /// The kept fragments (all of them unless the log is bounded).
    pub(crate) fn kept(&self) -> &[FragmentTime] {
        &self.kept
    }

    /// Whether the log keeps only the newest fragments (nothing needs them all).
    pub(crate) fn is_bounded(&self) -> bool {
        self.bounded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(time: u64) -> FragmentTime {
        FragmentTime { time, duration: 1 }
    }

    #[test]
    fn a_bounded_log_keeps_the_first_the_count_and_the_newest() {
        let mut log = FragmentLog::default();
        for t in 0..10 {
            log.push(at(t));
        }
        assert!(!log.is_bounded() && log.kept().len() == 10);
        log.bound();
        for t in 10..10_000 {
            log.push(at(t));
        }
        assert_eq!(log.len(), 10_000);
        assert!(log.is_bounded() && log.kept().len() < 2 * RECENT);
        assert_eq!(log.first().map(|f| f.time), Some(0));
        assert_eq!(log.last().map(|f| f.time), Some(9_999));
        assert_eq!(log.get(9_990).map(|f| f.time), Some(9_990));
        assert_eq!(log.get(5), None);
    }
}
