//! What the server may not have: the ledger of fragments handed to the socket and not yet
//! known read by the server, and the stall detector.
//!
//! A TCP acknowledgement proves only that bytes reached the peer's kernel; bytes it
//! acknowledged but its application has not read are discarded when it resets. So a
//! fragment counts as delivered only once its last byte is older than `acked − window`,
//! where `acked` is what the peer acknowledged (bytes written minus the socket's send
//! queue) and `window` the largest receive window it advertised on this connection (the
//! most it can hold unread). On a reconnect every fragment not yet delivered is replayed,
//! plus a configured number of delivered ones (servers de-duplicate by fragment time).
//! A server that stops reading shows as acknowledgements that stop while bytes wait: a
//! stall, detected by what the peer takes, not by what the kernel buffers.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::queue::SharedFragment;
use super::socket::Progress;

/// A fragment handed to the socket on the current POST, with the socket offset of its
/// last byte (None for fragments from an earlier POST not yet sent again).
#[derive(Debug)]
struct Entry {
    fragment: Arc<SharedFragment>,
    end: Option<u64>,
}

/// The fragments a reconnect must resend, kept across POSTs.
#[derive(Debug)]
pub(crate) struct Ledger {
    /// Not known delivered, oldest first.
    unconfirmed: VecDeque<Entry>,
    /// Bytes held in `unconfirmed`.
    bytes: u64,
    /// The last delivered fragments, newest last: the extra replay depth.
    delivered: VecDeque<Arc<SharedFragment>>,
    /// How many delivered fragments a reconnect resends too.
    depth: usize,
    /// The fragments this POST moved to delivered within the last `horizon`, oldest
    /// first, with when: a POST that then fails (an error answer, a reset, a close) may
    /// have lost them even though the peer acknowledged them — a server that refuses a
    /// POST may read on only to discard, and a socket shut for reading still
    /// acknowledges. Failures show within the horizon (the stall timeout), so what was
    /// confirmed earlier stays delivered. Bounded by bytes too (see [`Ledger::bound`]):
    /// at full speed a horizon holds gigabytes.
    recent: VecDeque<(Arc<SharedFragment>, Instant)>,
    /// Bytes held in `recent`.
    recent_bytes: u64,
    horizon: Duration,
    /// Largest receive window the peer advertised on this POST.
    max_window: u64,
    /// Acknowledged bytes at the last reading, and when they last grew.
    last_acked: u64,
    last_progress: Instant,
}

/// What one reading of the socket changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Observed {
    /// Fragments now known delivered.
    pub delivered: u64,
}

impl Ledger {
    /// An empty ledger resending `depth` delivered fragments on a reconnect; after a
    /// failed POST the fragments it confirmed within `horizon` are owed again.
    pub(crate) fn new(depth: usize, horizon: Duration) -> Self {
        Self {
            unconfirmed: VecDeque::new(),
            bytes: 0,
            delivered: VecDeque::new(),
            depth,
            recent: VecDeque::new(),
            recent_bytes: 0,
            horizon,
            max_window: 0,
            last_acked: 0,
            last_progress: Instant::now(),
        }
    }

    /// Starts a POST: returns what it must resend first, oldest first (the extra depth
    /// of delivered fragments, then every fragment not known delivered). Those stay in
    /// the ledger, without a position, until they are sent again, so a POST that fails
    /// during the replay loses none of them.
    pub(crate) fn begin_post(&mut self) -> Vec<Arc<SharedFragment>> {
        self.max_window = 0;
        self.last_acked = 0;
        self.last_progress = Instant::now();
        self.clear_recent();
        let mut replay: Vec<Arc<SharedFragment>> = self.delivered.iter().cloned().collect();
        for entry in &mut self.unconfirmed {
            entry.end = None;
            replay.push(Arc::clone(&entry.fragment));
        }
        replay
    }

    /// Records a fragment whose last byte is at socket offset `end` of this POST: a new
    /// one, or one of the replay sent again.
    pub(crate) fn sent(&mut self, fragment: Arc<SharedFragment>, end: u64) {
        let resent = self
            .unconfirmed
            .iter_mut()
            .find(|e| e.end.is_none() && Arc::ptr_eq(&e.fragment, &fragment));
        match resent {
            Some(entry) => entry.end = Some(end),
            None if self.delivered.iter().any(|d| Arc::ptr_eq(d, &fragment)) => {}
            None => {
                self.bytes = self.bytes.saturating_add(fragment.size);
                self.unconfirmed.push_back(Entry {
                    fragment,
                    end: Some(end),
                });
            }
        }
    }

    /// Takes a reading of the socket: moves the fragments now surely read by the server
    /// out of the replay set. `fallback_window` bounds what the peer may hold unread when
    /// the kernel reports no window.
    pub(crate) fn observe(&mut self, progress: Progress, fallback_window: u64) -> Observed {
        let window = progress.window.unwrap_or(fallback_window);
        self.max_window = self.max_window.max(window);
        if progress.acked > self.last_acked || progress.acked >= progress.written {
            self.last_progress = Instant::now();
        }
        self.last_acked = self.last_acked.max(progress.acked);
        let read = progress.acked.saturating_sub(self.max_window);
        let mut observed = Observed::default();
        while let Some(front) = self.unconfirmed.front() {
            match front.end {
                Some(end) if end <= read => {}
                _ => break,
            }
            let Some(entry) = self.unconfirmed.pop_front() else {
                break;
            };
            self.bytes = self.bytes.saturating_sub(entry.fragment.size);
            self.remember_recent(Arc::clone(&entry.fragment));
            self.remember_delivered(entry.fragment);
            observed.delivered += 1;
        }
        observed
    }

    /// The server answered the whole POST: everything on it was read.
    pub(crate) fn all_delivered(&mut self) -> u64 {
        let mut count = 0;
        while let Some(entry) = self.unconfirmed.pop_front() {
            self.remember_delivered(entry.fragment);
            count += 1;
        }
        self.bytes = 0;
        count
    }

    fn remember_recent(&mut self, fragment: Arc<SharedFragment>) {
        let now = Instant::now();
        self.recent_bytes = self.recent_bytes.saturating_add(fragment.size);
        self.recent.push_back((fragment, now));
        while self
            .recent
            .front()
            .is_some_and(|(_, at)| now.duration_since(*at) > self.horizon)
        {
            self.forget_oldest_recent();
        }
    }

    fn forget_oldest_recent(&mut self) {
        if let Some((fragment, _)) = self.recent.pop_front() {
            self.recent_bytes = self.recent_bytes.saturating_sub(fragment.size);
        }
    }

    fn clear_recent(&mut self) {
        self.recent.clear();
        self.recent_bytes = 0;
    }

    /// The POST failed: the fragments it confirmed within the horizon are owed again,
    /// before everything not yet delivered. Returns how many.
    pub(crate) fn failed(&mut self) -> u64 {
        let mut count = 0;
        while let Some((fragment, at)) = self.recent.pop_back() {
            self.recent_bytes = self.recent_bytes.saturating_sub(fragment.size);
            if at.elapsed() > self.horizon {
                break;
            }
            self.delivered.retain(|d| !Arc::ptr_eq(d, &fragment));
            self.bytes = self.bytes.saturating_add(fragment.size);
            self.unconfirmed.push_front(Entry {
                fragment,
                end: None,
            });
            count += 1;
        }
        self.clear_recent();
        count
    }

    fn remember_delivered(&mut self, fragment: Arc<SharedFragment>) {
        if self.depth == 0 {
            return;
        }
        self.delivered.push_back(fragment);
        while self.delivered.len() > self.depth {
            self.delivered.pop_front();
        }
    }

    /// Whether the peer stopped taking bytes: some wait unacknowledged and the
    /// acknowledged count has not grown for `timeout`.
    pub(crate) fn stalled(&self, progress: Progress, timeout: Duration) -> bool {
        progress.acked < progress.written && self.last_progress.elapsed() >= timeout
    }

    /// How long the peer has taken nothing while bytes waited.
    pub(crate) fn stalled_for(&self) -> Duration {
        self.last_progress.elapsed()
    }

    /// Drops the oldest fragment kept for replay (the server refused times it already
    /// has: 409); false when there was none.
    pub(crate) fn drop_oldest(&mut self) -> bool {
        if self.delivered.pop_front().is_some() {
            return true;
        }
        match self.unconfirmed.pop_front() {
            Some(entry) => {
                self.bytes = self.bytes.saturating_sub(entry.fragment.size);
                true
            }
            None => false,
        }
    }

    /// Keeps what the ledger holds within `max_bytes`: first the lately confirmed
    /// fragments go, oldest first (they stay counted delivered; only the extra guard
    /// against a server that discards what it acknowledged is narrowed), then the
    /// oldest not known delivered. Returns how many of those were dropped: fragments the
    /// server may never get.
    pub(crate) fn bound(&mut self, max_bytes: u64) -> u64 {
        while self.bytes.saturating_add(self.recent_bytes) > max_bytes && !self.recent.is_empty() {
            self.forget_oldest_recent();
        }
        let mut lost = 0;
        while self.bytes > max_bytes && self.unconfirmed.len() > 1 {
            let Some(entry) = self.unconfirmed.pop_front() else {
                break;
            };
            self.bytes = self.bytes.saturating_sub(entry.fragment.size);
            lost += 1;
        }
        lost
    }

    /// Fragments not known delivered.
    pub(crate) fn unconfirmed(&self) -> usize {
        self.unconfirmed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment(time: u64, size: u64) -> Arc<SharedFragment> {
        Arc::new(SharedFragment {
            chunks: Vec::new(),
            time,
            duration: 1,
            size,
        })
    }

    fn progress(written: u64, acked: u64, window: Option<u64>) -> Progress {
        Progress {
            written,
            acked,
            window,
        }
    }

    #[test]
    fn only_fragments_older_than_the_window_count_as_delivered() {
        let mut ledger = Ledger::new(1, Duration::from_secs(60));
        ledger.begin_post();
        for n in 0..10 {
            ledger.sent(fragment(n, 100), (n + 1) * 100);
        }
        // All 1000 bytes acknowledged, but the peer may hold 350 of them unread.
        let seen = ledger.observe(progress(1000, 1000, Some(350)), 0);
        assert_eq!(seen.delivered, 6, "fragments ending at or before byte 650");
        // The window shrinking later does not shrink what may be unread.
        let seen = ledger.observe(progress(1000, 1000, Some(0)), 0);
        assert_eq!(seen.delivered, 0);
        let replay = ledger.begin_post();
        let times: Vec<u64> = replay.iter().map(|f| f.time).collect();
        assert_eq!(
            times,
            [5, 6, 7, 8, 9],
            "one delivered for depth, then the rest"
        );
        // The POST fails during the replay: every fragment not yet delivered is still
        // owed.
        for (n, f) in replay.iter().take(3).enumerate() {
            ledger.sent(Arc::clone(f), (n as u64 + 1) * 100);
        }
        assert_eq!(ledger.unconfirmed(), 4);
        let again: Vec<u64> = ledger.begin_post().iter().map(|f| f.time).collect();
        assert_eq!(again, [5, 6, 7, 8, 9]);
    }

    #[test]
    fn a_failed_post_owes_what_it_confirmed_lately_again() {
        let mut ledger = Ledger::new(0, Duration::from_millis(100));
        ledger.begin_post();
        for n in 0..5 {
            ledger.sent(fragment(n, 100), (n + 1) * 100);
        }
        ledger.observe(progress(300, 300, Some(0)), 0);
        std::thread::sleep(Duration::from_millis(150));
        ledger.observe(progress(500, 500, Some(0)), 0);
        assert_eq!(ledger.unconfirmed(), 0);
        // Only fragments 3 and 4 were confirmed within the horizon.
        assert_eq!(ledger.failed(), 2);
        let times: Vec<u64> = ledger.begin_post().iter().map(|f| f.time).collect();
        assert_eq!(times, [3, 4]);
    }

    #[test]
    fn what_was_confirmed_lately_is_kept_within_the_byte_bound_too() {
        let mut ledger = Ledger::new(0, Duration::from_secs(60));
        ledger.begin_post();
        for n in 0..10 {
            ledger.sent(fragment(n, 100), (n + 1) * 100);
            ledger.observe(progress((n + 1) * 100, (n + 1) * 100, Some(0)), 0);
            assert_eq!(ledger.bound(300), 0, "nothing undelivered is lost");
        }
        assert_eq!(ledger.unconfirmed(), 0);
        // Within the horizon, but only the newest 300 bytes are still held.
        assert_eq!(ledger.failed(), 3);
        let times: Vec<u64> = ledger.begin_post().iter().map(|f| f.time).collect();
        assert_eq!(times, [7, 8, 9]);
    }

    #[test]
    fn a_peer_that_stops_acknowledging_is_stalled() {
        let mut ledger = Ledger::new(0, Duration::from_secs(60));
        ledger.begin_post();
        ledger.sent(fragment(0, 100), 100);
        ledger.observe(progress(100, 40, Some(1000)), 0);
        assert!(!ledger.stalled(progress(100, 40, Some(1000)), Duration::from_millis(50)));
        std::thread::sleep(Duration::from_millis(60));
        assert!(ledger.stalled(progress(100, 40, Some(1000)), Duration::from_millis(50)));
        // Nothing outstanding is never a stall, however long it lasts.
        assert!(!ledger.stalled(progress(100, 100, Some(1000)), Duration::from_millis(50)));
    }

    #[test]
    fn the_byte_bound_drops_the_oldest_and_counts_them() {
        let mut ledger = Ledger::new(0, Duration::from_secs(60));
        ledger.begin_post();
        for n in 0..5 {
            ledger.sent(fragment(n, 100), (n + 1) * 100);
        }
        assert_eq!(ledger.bound(250), 3);
        assert_eq!(ledger.unconfirmed(), 2);
        assert!(ledger.drop_oldest());
        assert_eq!(ledger.all_delivered(), 1);
    }
}
