//! How a live publisher behaves: probing, timeouts, back-off, queue bounds, end of
//! stream, timestamp origin and the state hook (live-ingest.md §9).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::stats::StateEvent;

/// Where the timeline of a live push starts (live-ingest.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeOrigin {
    /// Fragment times are the samples' own decode times (0 at the encoder's start).
    Zero,
    /// The samples' times are shifted by the wall clock at the publisher's creation, in
    /// whole seconds since the Unix epoch, rounded down to a multiple of the fragment
    /// duration when that is a whole number of seconds. Two encoders started within the
    /// same fragment period, fed identical content, produce identical fragment times,
    /// and a restarted encoder never goes back in time.
    WallClock,
    /// The samples' times are shifted by this many whole seconds since the Unix epoch
    /// (a caller-supplied common anchor, e.g. from house timecode).
    EpochSeconds(u64),
}

/// The `Events(<id>)` URL segment (live-ingest.md §1.1, §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventId {
    /// No segment (the default; Azure-style points forbid it).
    None,
    /// A fixed identifier.
    Fixed(String),
    /// Generated from the publisher's start time (seconds since the Unix epoch), so every
    /// start is a new event.
    FromStartTime,
}

/// Called on every connection state change, from the publisher's network threads. It
/// must return quickly and must not call back into the publisher.
pub type StateCallback = Arc<dyn Fn(&StateEvent) + Send + Sync>;

/// Options of a [`super::LivePublisher`]. Build with [`LiveOptions::default`] and the
/// setters.
#[derive(Clone)]
pub struct LiveOptions {
    pub(crate) probe: bool,
    pub(crate) event_id: EventId,
    pub(crate) connect_timeout: Duration,
    pub(crate) send_timeout: Option<Duration>,
    pub(crate) backoff_initial: Duration,
    pub(crate) backoff_max: Option<Duration>,
    pub(crate) max_retries: Option<u32>,
    pub(crate) queue_duration: Duration,
    pub(crate) queue_bytes: u64,
    pub(crate) replay_depth: usize,
    pub(crate) catch_up_speed: Option<f64>,
    pub(crate) wait_for_room: Option<Duration>,
    pub(crate) end_of_stream: bool,
    pub(crate) finish_timeout: Duration,
    pub(crate) time_origin: TimeOrigin,
    pub(crate) user_agent: String,
    pub(crate) accept_invalid_certs: bool,
    pub(crate) on_state: Option<StateCallback>,
}

impl fmt::Debug for LiveOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveOptions")
            .field("probe", &self.probe)
            .field("event_id", &self.event_id)
            .field("connect_timeout", &self.connect_timeout)
            .field("send_timeout", &self.send_timeout)
            .field("backoff_initial", &self.backoff_initial)
            .field("backoff_max", &self.backoff_max)
            .field("max_retries", &self.max_retries)
            .field("queue_duration", &self.queue_duration)
            .field("queue_bytes", &self.queue_bytes)
            .field("replay_depth", &self.replay_depth)
            .field("catch_up_speed", &self.catch_up_speed)
            .field("wait_for_room", &self.wait_for_room)
            .field("end_of_stream", &self.end_of_stream)
            .field("finish_timeout", &self.finish_timeout)
            .field("time_origin", &self.time_origin)
            .field("user_agent", &self.user_agent)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("on_state", &self.on_state.as_ref().map(|_| "callback"))
            .finish()
    }
}

impl Default for LiveOptions {
    /// Probe on, 10 s connect timeout, send timeout twice the fragment duration (at
    /// least 1 s), first
    /// retry at once then 250 ms doubling up to one fragment duration, unlimited retries,
    /// a queue of 60 s or 64 MiB per connection, replay of the last 2 fragments, backlog
    /// sent at 4× real time, end-of-stream `mfra` on, 10 s to finish, times from 0.
    fn default() -> Self {
        Self {
            probe: true,
            event_id: EventId::None,
            connect_timeout: Duration::from_secs(10),
            send_timeout: None,
            backoff_initial: Duration::from_millis(250),
            backoff_max: None,
            max_retries: None,
            queue_duration: Duration::from_secs(60),
            queue_bytes: 64 << 20,
            replay_depth: 2,
            catch_up_speed: Some(4.0),
            wait_for_room: None,
            end_of_stream: true,
            finish_timeout: Duration::from_secs(10),
            time_origin: TimeOrigin::Zero,
            user_agent: concat!("ssf/", env!("CARGO_PKG_VERSION")).to_string(),
            accept_invalid_certs: false,
            on_state: None,
        }
    }
}

impl LiveOptions {
    /// Sends an empty POST to each stream URL first and starts the stream only after a
    /// 2xx answer (default on). `ffmpeg -listen 1` takes a single request: turn it off
    /// there.
    pub fn probe(mut self, on: bool) -> Self {
        self.probe = on;
        self
    }

    /// The `Events(<id>)` segment (default none).
    pub fn event_id(mut self, id: EventId) -> Self {
        self.event_id = id;
        self
    }

    /// Longest wait for a TCP (and TLS) connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Longest time a write may make no progress before the POST is abandoned as
    /// stalled (default twice the fragment duration).
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.send_timeout = Some(timeout);
        self
    }

    /// Back-off after failures: the first retry is immediate, the next waits `initial`,
    /// doubling up to `max` (default 250 ms up to one fragment duration).
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff_initial = initial;
        self.backoff_max = Some(max);
        self
    }

    /// Gives up a connection after this many consecutive failed attempts (default:
    /// never).
    pub fn max_retries(mut self, retries: Option<u32>) -> Self {
        self.max_retries = retries;
        self
    }

    /// Bounds each connection's queue of fragments not yet sent: when either bound is
    /// passed the oldest fragments are dropped and counted (default 60 s, 64 MiB). The
    /// byte bound also caps the fragments kept for replay, so a connection holds at most
    /// twice it.
    pub fn queue_bounds(mut self, duration: Duration, bytes: u64) -> Self {
        self.queue_duration = duration;
        self.queue_bytes = bytes;
        self
    }

    /// How many of the last fragments sent before a failure are sent again on the new
    /// POST, at least (default 2; servers drop duplicates). Fragments handed to the
    /// socket less than a send timeout ago are replayed too, since TCP buffers may still
    /// hold them; 0 turns replay off.
    pub fn replay_depth(mut self, fragments: usize) -> Self {
        self.replay_depth = fragments;
        self
    }

    /// After a reconnect, sends the replayed and queued fragments at most this many
    /// times faster than real time, so a backlog does not arrive as one burst (default
    /// 4; `None` sends as fast as the connection takes them).
    pub fn catch_up_speed(mut self, speed: Option<f64>) -> Self {
        self.catch_up_speed = speed.filter(|s| s.is_finite() && *s > 0.0);
        self
    }

    /// Makes `push` wait, up to `limit` per fragment, while a connection that is
    /// streaming has a full queue, instead of dropping that queue's oldest fragment: for
    /// pushing files faster than real time, where the encoder can wait for the network
    /// (default `None`: never wait, as a live encoder must not). Connections that are
    /// down (connecting, backing off) never make it wait; past the limit the oldest
    /// fragment is dropped and counted as usual.
    pub fn wait_for_room(mut self, limit: Option<Duration>) -> Self {
        self.wait_for_room = limit;
        self
    }

    /// Sends the empty `mfra` end-of-stream box on [`super::LivePublisher::finish`]
    /// (default on; IIS-style points stop the presentation on it, Azure ignores it).
    pub fn end_of_stream(mut self, on: bool) -> Self {
        self.end_of_stream = on;
        self
    }

    /// Longest time `finish` waits for the last fragments and the servers' answers
    /// (default 10 s).
    pub fn finish_timeout(mut self, timeout: Duration) -> Self {
        self.finish_timeout = timeout;
        self
    }

    /// Where the timeline starts (default [`TimeOrigin::Zero`]; wall clock is
    /// recommended for anything beyond a lab test).
    pub fn time_origin(mut self, origin: TimeOrigin) -> Self {
        self.time_origin = origin;
        self
    }

    /// The `User-Agent` header (default `ssf/<version>`).
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// Accepts any TLS certificate (self-signed test points). Off by default.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// Calls `callback` on every connection state change (every change is also logged
    /// through the `log` crate).
    pub fn on_state(mut self, callback: impl Fn(&StateEvent) + Send + Sync + 'static) -> Self {
        self.on_state = Some(Arc::new(callback));
        self
    }

    /// The send timeout for fragments of `fragment` duration.
    pub(crate) fn send_timeout_for(&self, fragment: Duration) -> Duration {
        self.send_timeout
            .unwrap_or_else(|| (fragment * 2).max(Duration::from_secs(1)))
    }

    /// The back-off cap for fragments of `fragment` duration.
    pub(crate) fn backoff_max_for(&self, fragment: Duration) -> Duration {
        self.backoff_max.unwrap_or(fragment)
    }
}
