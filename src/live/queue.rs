//! The hand-over between the encoder's thread and one connection's task: the stream's
//! header, a bounded queue of fragments, the end-of-stream flag and the counters.
//!
//! The encoder side only takes a short lock and never waits on the network; when the
//! queue passes its bounds the oldest fragments go, counted.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::Notify;

use super::options::StateCallback;
use super::stats::{ConnectionState, ConnectionStats, StateEvent};
use super::url::redact;
use crate::mux::StreamId;

/// A finished fragment, shared by every publishing point of its stream.
#[derive(Debug)]
pub(crate) struct SharedFragment {
    /// moof + mdat header, then the payloads.
    pub chunks: Vec<Bytes>,
    /// tfxd time.
    pub time: u64,
    /// Duration in presentation ticks.
    pub duration: u64,
    /// Total bytes.
    pub size: u64,
}

/// A fragment in a queue, with when it was pushed (for the latency figure).
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub fragment: Arc<SharedFragment>,
    pub pushed: Instant,
}

/// What the connection task gets next.
pub(crate) enum Next {
    /// A fragment to send.
    Fragment(Queued),
    /// `finish` was called and the queue is empty.
    End,
}

#[derive(Debug)]
struct State {
    header: Option<Bytes>,
    queue: VecDeque<Queued>,
    queued_duration: u64,
    finishing: bool,
    stats: ConnectionStats,
}

/// One connection's shared state.
pub(crate) struct Link {
    /// The stream's ingest URL (with any credentials).
    pub url: String,
    /// The URL as logs and statistics show it (password hidden).
    shown: String,
    /// Queue bound in presentation ticks.
    max_duration: u64,
    /// Queue bound in bytes.
    max_bytes: u64,
    state: Mutex<State>,
    wake: Notify,
    /// Signalled when the task takes a fragment or the connection's state changes (an
    /// encoder may wait for room).
    room: Condvar,
    on_state: Option<StateCallback>,
}

impl Link {
    pub(crate) fn new(
        target: usize,
        stream: StreamId,
        url: String,
        max_duration: u64,
        max_bytes: u64,
        on_state: Option<StateCallback>,
    ) -> Self {
        Self {
            max_duration,
            max_bytes,
            state: Mutex::new(State {
                header: None,
                queue: VecDeque::new(),
                queued_duration: 0,
                finishing: false,
                stats: ConnectionStats::new(target, stream, redact(&url)),
            }),
            shown: redact(&url),
            url,
            wake: Notify::new(),
            room: Condvar::new(),
            on_state,
        }
    }

    /// The lock, recovered if a callback panicked while it was held: the state stays
    /// consistent because every update is a plain field write.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the header sent at the start of every POST (once; later calls are ignored so
    /// the bytes never change).
    pub(crate) fn set_header(&self, header: Bytes) {
        let mut s = self.lock();
        if s.header.is_none() {
            s.header = Some(header);
        }
        drop(s);
        self.wake.notify_one();
    }

    /// Queues a fragment, dropping the oldest while a bound is passed (the newest always
    /// stays). Returns how many were dropped.
    pub(crate) fn push(&self, fragment: Arc<SharedFragment>) -> u64 {
        let mut s = self.lock();
        if matches!(s.stats.state, ConnectionState::Failed) {
            // This connection gave up: the fragment will never reach its server.
            s.stats.fragments_possibly_lost += 1;
            return 0;
        }
        s.queued_duration = s.queued_duration.saturating_add(fragment.duration);
        s.stats.queued_bytes = s.stats.queued_bytes.saturating_add(fragment.size);
        s.queue.push_back(Queued {
            fragment,
            pushed: Instant::now(),
        });
        let mut dropped = 0;
        while s.queue.len() > 1
            && (s.queued_duration > self.max_duration || s.stats.queued_bytes > self.max_bytes)
        {
            if let Some(old) = s.queue.pop_front() {
                s.queued_duration = s.queued_duration.saturating_sub(old.fragment.duration);
                s.stats.queued_bytes = s.stats.queued_bytes.saturating_sub(old.fragment.size);
                dropped += 1;
            }
        }
        s.stats.fragments_dropped += dropped;
        s.stats.fragments_possibly_lost += dropped;
        s.stats.queued_fragments = s.queue.len();
        drop(s);
        if dropped > 0 {
            log::warn!(
                "{}: queue full, dropped {dropped} oldest fragment(s)",
                self.shown
            );
        }
        self.wake.notify_one();
        dropped
    }

    /// Waits until `fragment` fits in the queue without dropping one, the connection is
    /// not streaming (a connection that is down never holds the encoder), or `deadline`.
    pub(crate) fn wait_for_room(&self, fragment: &SharedFragment, deadline: Instant) {
        let mut s = self.lock();
        loop {
            let full = !s.queue.is_empty()
                && (s.queued_duration.saturating_add(fragment.duration) > self.max_duration
                    || s.stats.queued_bytes.saturating_add(fragment.size) > self.max_bytes);
            let streaming = matches!(s.stats.state, ConnectionState::Streaming);
            let now = Instant::now();
            if !full || !streaming || now >= deadline {
                return;
            }
            s = match self.room.wait_timeout(s, deadline - now) {
                Ok((guard, _)) => guard,
                Err(e) => e.into_inner().0,
            };
        }
    }

    /// Marks the end of the stream: once the queue is empty the task closes the POST.
    pub(crate) fn finish(&self) {
        self.lock().finishing = true;
        self.wake.notify_one();
    }

    /// The header, waiting for it; `None` when the stream ended before it had one.
    pub(crate) async fn header(&self) -> Option<Bytes> {
        loop {
            {
                let s = self.lock();
                if let Some(h) = &s.header {
                    return Some(h.clone());
                }
                if s.finishing {
                    return None;
                }
            }
            // notify_one keeps a permit when no one waits, so a wake between the check
            // above and this wait is not lost (one task per link).
            self.wake.notified().await;
        }
    }

    /// The next fragment, waiting for one.
    pub(crate) async fn next(&self) -> Next {
        loop {
            {
                let mut s = self.lock();
                if let Some(item) = s.queue.pop_front() {
                    s.queued_duration = s.queued_duration.saturating_sub(item.fragment.duration);
                    s.stats.queued_bytes = s.stats.queued_bytes.saturating_sub(item.fragment.size);
                    s.stats.queued_fragments = s.queue.len();
                    drop(s);
                    self.room.notify_all();
                    return Next::Fragment(item);
                }
                if s.finishing {
                    return Next::End;
                }
            }
            self.wake.notified().await;
        }
    }

    /// Whether the connection gave up for good.
    pub(crate) fn is_failed(&self) -> bool {
        matches!(self.lock().stats.state, ConnectionState::Failed)
    }

    /// The last failure, if any.
    pub(crate) fn last_error(&self) -> Option<String> {
        self.lock().stats.last_error.clone()
    }

    /// Fragments waiting now.
    pub(crate) fn queued(&self) -> usize {
        self.lock().queue.len()
    }

    /// Updates the counters.
    pub(crate) fn update(&self, f: impl FnOnce(&mut ConnectionStats)) {
        f(&mut self.lock().stats);
    }

    /// A copy of the counters.
    pub(crate) fn stats(&self) -> ConnectionStats {
        self.lock().stats.clone()
    }

    /// Changes the state, logs it and tells the callback.
    pub(crate) fn set_state(&self, state: ConnectionState, detail: impl Into<String>) {
        let detail = detail.into();
        let (target, stream) = {
            let mut s = self.lock();
            s.stats.state = state.clone();
            (s.stats.target, s.stats.stream)
        };
        self.room.notify_all();
        match &state {
            ConnectionState::Failed | ConnectionState::Backoff { .. } => {
                log::warn!("{}: {state}: {detail}", self.shown)
            }
            _ => log::info!("{}: {state} {detail}", self.shown),
        }
        if let Some(callback) = &self.on_state {
            callback(&StateEvent {
                target,
                stream,
                url: self.shown.clone(),
                state,
                detail,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment(time: u64, duration: u64, size: u64) -> Arc<SharedFragment> {
        Arc::new(SharedFragment {
            chunks: Vec::new(),
            time,
            duration,
            size,
        })
    }

    #[test]
    fn drops_oldest_past_the_duration_bound() {
        let link = Link::new(
            0,
            StreamId(0),
            "http://h/x.isml/Streams(a)".into(),
            10,
            1 << 20,
            None,
        );
        let dropped: u64 = (0..4).map(|i| link.push(fragment(i * 4, 4, 1))).sum();
        assert_eq!(dropped, 2);
        let s = link.stats();
        assert_eq!(
            (s.fragments_dropped, s.queued_fragments, s.queued_bytes),
            (2, 2, 2)
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        // The oldest went: what is left is the live edge, in order.
        match rt.block_on(link.next()) {
            Next::Fragment(q) => assert_eq!(q.fragment.time, 8),
            Next::End => panic!("queue empty"),
        }
    }

    #[test]
    fn drops_oldest_past_the_byte_bound_but_keeps_the_newest() {
        let link = Link::new(
            0,
            StreamId(0),
            "http://h/x.isml/Streams(a)".into(),
            u64::MAX,
            1000,
            None,
        );
        assert_eq!(link.push(fragment(0, 1, 600)), 0);
        assert_eq!(link.push(fragment(1, 1, 600)), 1);
        assert_eq!(link.push(fragment(2, 1, 5000)), 1);
        assert_eq!(link.queued(), 1);
    }

    #[test]
    fn an_encoder_waits_for_room_only_on_a_streaming_connection() {
        let link = Arc::new(Link::new(
            0,
            StreamId(0),
            "http://h/x.isml/Streams(a)".into(),
            8,
            1 << 20,
            None,
        ));
        link.push(fragment(0, 4, 1));
        link.push(fragment(4, 4, 1));
        let next = fragment(8, 4, 1);
        let soon = || Instant::now() + std::time::Duration::from_secs(30);
        // Down (here: waiting for its header): the encoder is never held.
        let at = Instant::now();
        link.wait_for_room(&next, soon());
        assert!(at.elapsed() < std::time::Duration::from_secs(5));
        // Streaming and full: it waits until the task takes a fragment.
        link.set_state(ConnectionState::Streaming, "");
        let task = {
            let link = Arc::clone(&link);
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(200));
                let rt = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                rt.block_on(link.next());
            })
        };
        let at = Instant::now();
        link.wait_for_room(&next, soon());
        assert!(at.elapsed() >= std::time::Duration::from_millis(150));
        assert_eq!(link.push(next), 0, "room was made: nothing dropped");
        task.join().unwrap();
        // Full with nobody taking: it gives up at the deadline, and the push drops.
        let at = Instant::now();
        link.wait_for_room(
            &fragment(12, 4, 1),
            Instant::now() + std::time::Duration::from_millis(100),
        );
        assert!(at.elapsed() >= std::time::Duration::from_millis(90));
        assert_eq!(link.push(fragment(12, 4, 1)), 1);
    }

    #[test]
    fn ends_once_finished_and_empty() {
        let link = Link::new(
            0,
            StreamId(0),
            "http://h/x.isml/Streams(a)".into(),
            100,
            100,
            None,
        );
        link.push(fragment(0, 1, 1));
        link.finish();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert!(matches!(rt.block_on(link.next()), Next::Fragment(_)));
        assert!(matches!(rt.block_on(link.next()), Next::End));
        assert!(rt.block_on(link.header()).is_none());
    }
}
