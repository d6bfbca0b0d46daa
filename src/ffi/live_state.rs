//! The C view of a live publisher's connections: their state ([`ssf_live_state`]), the
//! state callback's event, and the statistics and final reports the publisher hands out,
//! each the C mirror of a Rust type of [`crate::live`] with its conversion.
//!
//! Only present with the cargo feature `live`, like the rest of the live API.

use std::ffi::{CString, c_char, c_void};
use std::time::Duration;

use super::status::{c_message, ssf_status};
use crate::live::{ConnectionState, ConnectionStats, FinalReport, StateEvent};
use crate::mux::StreamId;

/// The state of one connection (one stream to one publishing point).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ssf_live_state {
    /// Sending the empty probe POST.
    SSF_LIVE_STATE_PROBING = 0,
    /// Waiting for the stream's first fragment (its header is built from it).
    SSF_LIVE_STATE_WAITING_FOR_HEADER = 1,
    /// Opening the long POST.
    SSF_LIVE_STATE_CONNECTING = 2,
    /// The long POST is open and carrying fragments.
    SSF_LIVE_STATE_STREAMING = 3,
    /// Waiting `backoff_ms` before the next attempt after a failure.
    SSF_LIVE_STATE_BACKOFF = 4,
    /// Finishing: sending the last fragments and the end of stream.
    SSF_LIVE_STATE_FINISHING = 5,
    /// The POST ended and the server answered (`final_http_status`).
    SSF_LIVE_STATE_FINISHED = 6,
    /// Given up: a fatal answer, the retry limit, or finish timed out.
    SSF_LIVE_STATE_FAILED = 7,
}

/// A state change as the state callback sees it. The strings belong to the library and
/// are valid only during the callback.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ssf_live_state_event {
    /// Index of the publishing point in the URL array given to connect.
    pub target: usize,
    /// The stream number (from `ssf_live_publisher_add_stream`).
    pub stream: u32,
    /// The new state.
    pub state: ssf_live_state,
    /// For `SSF_LIVE_STATE_BACKOFF`: the wait in milliseconds; 0 otherwise.
    pub backoff_ms: u64,
    /// For `SSF_LIVE_STATE_FINISHED`: the server's final HTTP status; 0 otherwise.
    pub final_http_status: u32,
    /// The stream's full ingest URL (credentials hidden), NUL-terminated UTF-8.
    pub url: *const c_char,
    /// Why (an HTTP status and body, a transport error, counts); may be "".
    pub detail: *const c_char,
}

/// The state callback: `user_data` is the pointer given with it, `event` is valid only
/// during the call.
pub type ssf_live_state_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, event: *const ssf_live_state_event)>;

/// The counters of one connection (Rust `ConnectionStats`). The strings belong to the
/// publisher handle, like the array holding this struct.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ssf_live_stats {
    /// Index of the publishing point in the URL array given to connect.
    pub target: usize,
    /// The stream number.
    pub stream: u32,
    /// Current state.
    pub state: ssf_live_state,
    /// For `SSF_LIVE_STATE_BACKOFF`: the wait in milliseconds; 0 otherwise.
    pub backoff_ms: u64,
    /// For `SSF_LIVE_STATE_FINISHED`: the server's final HTTP status; 0 otherwise.
    pub final_http_status: u32,
    /// The stream's full ingest URL (credentials hidden).
    pub url: *const c_char,
    /// Fragments handed to the socket for the first time.
    pub fragments_sent: u64,
    /// Fragments sent again on a new POST after a failure.
    pub fragments_replayed: u64,
    /// Fragments dropped unsent because the queue overflowed.
    pub fragments_dropped: u64,
    /// New POSTs opened after a failure.
    pub reconnects: u64,
    /// Body bytes handed to the socket, headers and replays included.
    pub bytes_sent: u64,
    /// Fragments waiting in the queue.
    pub queued_fragments: usize,
    /// Bytes waiting in the queue.
    pub queued_bytes: u64,
    /// The last failure, or NULL if none.
    pub last_error: *const c_char,
    /// The last HTTP status received (probe, early or final answer); 0 if none.
    pub last_http_status: u32,
    /// Largest push-to-socket latency of a fragment, in microseconds.
    pub latency_max_us: u64,
    /// Mean push-to-socket latency of the fragments sent, in microseconds.
    pub latency_mean_us: u64,
}

/// What one connection knows of delivery (Rust `ConnectionStats`, the counters added
/// after `ssf_live_stats`, whose layout stays as it was).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ssf_live_delivery {
    /// Index of the publishing point in the URL array given to connect.
    pub target: usize,
    /// The stream number.
    pub stream: u32,
    /// Fragments known read by the server: acknowledged by its TCP and older than the
    /// most its receive window could hold unread, or followed by its final 2xx answer.
    pub fragments_acknowledged: u64,
    /// Fragments handed to the socket and not yet known read: what a reconnect resends.
    pub fragments_unconfirmed: u64,
    /// Fragments the server may never have received (dropped from the queue or the
    /// replay set, or not known delivered when the connection gave up). 0: nothing may
    /// be missing on this connection.
    pub fragments_possibly_lost: u64,
}

/// The C view of a connection's delivery counters.
pub(crate) fn c_delivery(s: &ConnectionStats) -> ssf_live_delivery {
    ssf_live_delivery {
        target: s.target,
        stream: stream_of(s.stream),
        fragments_acknowledged: s.fragments_acknowledged,
        fragments_unconfirmed: s.fragments_unconfirmed,
        fragments_possibly_lost: s.fragments_possibly_lost,
    }
}

/// How one connection ended (Rust `FinalReport`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ssf_live_report {
    /// The connection's counters at the end.
    pub stats: ssf_live_stats,
    /// `SSF_STATUS_OK` when the server answered 2xx and nothing may be missing on this
    /// connection (no fragment dropped or possibly lost, see `ssf_live_delivery`);
    /// `SSF_STATUS_LIVE_FAILED` otherwise (`stats.last_error` says why).
    pub status: ssf_status,
    /// The server's final HTTP status, or 0 when the POST did not end with one.
    pub http_status: u32,
}

/// A connection state as C sees it: the state, the back-off in milliseconds and the
/// final HTTP status (both 0 when the state has none).
fn state_parts(state: &ConnectionState) -> (ssf_live_state, u64, u32) {
    use ssf_live_state::*;
    match state {
        ConnectionState::Probing => (SSF_LIVE_STATE_PROBING, 0, 0),
        ConnectionState::WaitingForHeader => (SSF_LIVE_STATE_WAITING_FOR_HEADER, 0, 0),
        ConnectionState::Connecting => (SSF_LIVE_STATE_CONNECTING, 0, 0),
        ConnectionState::Streaming => (SSF_LIVE_STATE_STREAMING, 0, 0),
        ConnectionState::Backoff { delay } => (
            SSF_LIVE_STATE_BACKOFF,
            u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            0,
        ),
        ConnectionState::Finishing => (SSF_LIVE_STATE_FINISHING, 0, 0),
        ConnectionState::Finished { status } => (SSF_LIVE_STATE_FINISHED, 0, u32::from(*status)),
        ConnectionState::Failed => (SSF_LIVE_STATE_FAILED, 0, 0),
    }
}

/// A stream's C number; the publisher never has more than `u32::MAX` streams (adding
/// them goes through `stream_number`), so the saturation is never seen.
fn stream_of(id: StreamId) -> u32 {
    u32::try_from(id.index()).unwrap_or(u32::MAX)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// The C state callback and its user data.
#[derive(Clone, Copy)]
pub(crate) struct Callback {
    function: unsafe extern "C" fn(*mut c_void, *const ssf_live_state_event),
    user_data: *mut c_void,
}

// SAFETY: the caller of `ssf_live_options_set_state_callback` promises that the function
// and `user_data` may be used from the publisher's threads (documented there).
unsafe impl Send for Callback {}
// SAFETY: as above.
unsafe impl Sync for Callback {}

impl Callback {
    /// The callback given to `ssf_live_options_set_state_callback`, None for NULL.
    pub(crate) fn new(callback: ssf_live_state_callback, user_data: *mut c_void) -> Option<Self> {
        callback.map(|function| Callback {
            function,
            user_data,
        })
    }

    /// Tells the C callback about a state change.
    pub(crate) fn call(self, event: &StateEvent) {
        let (state, backoff_ms, final_http_status) = state_parts(&event.state);
        let url = c_message(&event.url);
        let detail = c_message(&event.detail);
        let c_event = ssf_live_state_event {
            target: event.target,
            stream: stream_of(event.stream),
            state,
            backoff_ms,
            final_http_status,
            url: url.as_ptr(),
            detail: detail.as_ptr(),
        };
        // SAFETY: the function and user data were given together by the caller, who
        // promised they may be called from the publisher's threads while the handle lives
        // (the publisher's gate guarantees the latter); the event outlives the call.
        unsafe { (self.function)(self.user_data, &c_event) };
    }
}

/// Keeps `text` as a C string in `strings` and returns a pointer to it, valid while
/// `strings` keeps it.
fn keep(strings: &mut Vec<CString>, text: &str) -> *const c_char {
    let text = c_message(text);
    let ptr = text.as_ptr();
    strings.push(text);
    ptr
}

/// The C view of a connection's counters; its strings are kept in `strings`.
pub(crate) fn c_stats(s: &ConnectionStats, strings: &mut Vec<CString>) -> ssf_live_stats {
    let (state, backoff_ms, final_http_status) = state_parts(&s.state);
    ssf_live_stats {
        target: s.target,
        stream: stream_of(s.stream),
        state,
        backoff_ms,
        final_http_status,
        url: keep(strings, &s.url),
        fragments_sent: s.fragments_sent,
        fragments_replayed: s.fragments_replayed,
        fragments_dropped: s.fragments_dropped,
        reconnects: s.reconnects,
        bytes_sent: s.bytes_sent,
        queued_fragments: s.queued_fragments,
        queued_bytes: s.queued_bytes,
        last_error: s
            .last_error
            .as_deref()
            .map_or(std::ptr::null(), |e| keep(strings, e)),
        last_http_status: s.last_status.map_or(0, u32::from),
        latency_max_us: micros(s.latency_max),
        latency_mean_us: micros(s.latency_mean()),
    }
}

/// The C view of how a connection ended; its strings are kept in `strings`.
pub(crate) fn c_report(r: &FinalReport, strings: &mut Vec<CString>) -> ssf_live_report {
    ssf_live_report {
        stats: c_stats(&r.stats, strings),
        status: if r.is_success() {
            ssf_status::SSF_STATUS_OK
        } else {
            ssf_status::SSF_STATUS_LIVE_FAILED
        },
        http_status: r.status().map_or(0, u32::from),
    }
}
