//! What a connection reports: its state, counters and the last error.

use std::fmt;
use std::time::Duration;

use crate::mux::StreamId;

/// The state of one connection (one stream to one publishing point).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// Sending the empty probe POST.
    Probing,
    /// Waiting for the stream's first fragment (its header is built from it).
    WaitingForHeader,
    /// Opening the long POST.
    Connecting,
    /// The long POST is open and carrying fragments.
    Streaming,
    /// Waiting before the next attempt after a failure.
    Backoff {
        /// How long.
        delay: Duration,
    },
    /// `finish` was called: sending the last fragments and the end of stream.
    Finishing,
    /// The POST ended and the server answered (its HTTP status).
    Finished {
        /// The final HTTP status.
        status: u16,
    },
    /// Given up: a fatal answer, the retry limit, or `finish` timed out.
    Failed,
}

impl fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionState::Probing => write!(f, "probing"),
            ConnectionState::WaitingForHeader => write!(f, "waiting for the first fragment"),
            ConnectionState::Connecting => write!(f, "connecting"),
            ConnectionState::Streaming => write!(f, "streaming"),
            ConnectionState::Backoff { delay } => write!(f, "retrying in {delay:?}"),
            ConnectionState::Finishing => write!(f, "finishing"),
            ConnectionState::Finished { status } => write!(f, "finished (HTTP {status})"),
            ConnectionState::Failed => write!(f, "failed"),
        }
    }
}

/// A state change, as given to the state callback.
#[derive(Debug, Clone)]
pub struct StateEvent {
    /// Index of the publishing point in the order given to the publisher.
    pub target: usize,
    /// The stream.
    pub stream: StreamId,
    /// The stream's full ingest URL.
    pub url: String,
    /// The new state.
    pub state: ConnectionState,
    /// Why (an HTTP status and body, a transport error, counts), may be empty.
    pub detail: String,
}

/// Counters of one connection.
#[derive(Debug, Clone)]
pub struct ConnectionStats {
    /// Index of the publishing point in the order given to the publisher.
    pub target: usize,
    /// The stream.
    pub stream: StreamId,
    /// The stream's full ingest URL.
    pub url: String,
    /// Current state.
    pub state: ConnectionState,
    /// Fragments handed to the socket for the first time.
    pub fragments_sent: u64,
    /// Fragments sent again on a new POST after a failure.
    pub fragments_replayed: u64,
    /// Fragments dropped unsent because the queue overflowed.
    pub fragments_dropped: u64,
    /// Fragments known read by the server: acknowledged by its TCP and older than the
    /// most its receive window could hold unread, or followed by its final answer.
    pub fragments_acknowledged: u64,
    /// Fragments handed to the socket and not yet known read by the server: what a
    /// reconnect resends.
    pub fragments_unconfirmed: u64,
    /// Fragments the server may never have received: dropped from the queue, dropped
    /// from the replay set by its byte bound, or not known delivered when the
    /// connection gave up. Zero means nothing may be missing on this connection.
    pub fragments_possibly_lost: u64,
    /// New POSTs opened after a failure.
    pub reconnects: u64,
    /// Body bytes handed to the socket, headers and replays included.
    pub bytes_sent: u64,
    /// Fragments waiting in the queue.
    pub queued_fragments: usize,
    /// Bytes waiting in the queue.
    pub queued_bytes: u64,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// The last HTTP status received (probe, early answer or final answer).
    pub last_status: Option<u16>,
    /// Largest push-to-socket latency: from the push that completed a fragment to its
    /// last byte taken by the connection.
    pub latency_max: Duration,
    /// Sum of those latencies, for the mean (`latency_total / fragments_sent`).
    pub latency_total: Duration,
}

impl ConnectionStats {
    pub(crate) fn new(target: usize, stream: StreamId, url: String) -> Self {
        Self {
            target,
            stream,
            url,
            state: ConnectionState::Probing,
            fragments_sent: 0,
            fragments_replayed: 0,
            fragments_dropped: 0,
            fragments_acknowledged: 0,
            fragments_unconfirmed: 0,
            fragments_possibly_lost: 0,
            reconnects: 0,
            bytes_sent: 0,
            queued_fragments: 0,
            queued_bytes: 0,
            last_error: None,
            last_status: None,
            latency_max: Duration::ZERO,
            latency_total: Duration::ZERO,
        }
    }

    /// Mean push-to-socket latency of the fragments sent so far.
    pub fn latency_mean(&self) -> Duration {
        match u32::try_from(self.fragments_sent) {
            Ok(0) => Duration::ZERO,
            Ok(n) => self.latency_total / n,
            Err(_) => Duration::ZERO,
        }
    }
}

/// How one connection ended, as [`super::LivePublisher::finish`] reports it.
#[derive(Debug, Clone)]
pub struct FinalReport {
    /// The connection's counters at the end; `state` is `Finished` with the server's
    /// status when the stream was closed cleanly.
    pub stats: ConnectionStats,
}

impl FinalReport {
    /// The server's final HTTP status, when the POST ended with one.
    pub fn status(&self) -> Option<u16> {
        match self.stats.state {
            ConnectionState::Finished { status } => Some(status),
            _ => None,
        }
    }

    /// Whether the server answered 2xx to a complete stream and nothing may be missing
    /// on this connection (no fragment dropped or possibly lost).
    pub fn is_success(&self) -> bool {
        self.status().is_some_and(|s| (200..300).contains(&s))
            && self.stats.queued_fragments == 0
            && self.stats.fragments_possibly_lost == 0
    }
}
