//! The live publisher in the native C API (`include/ssf.h`): an `ssf_live_options`
//! builder over [`LiveOptions`] and an `ssf_live_publisher` handle over
//! [`LivePublisher`], one function per Rust method, in the conventions of
//! [`super::native`].
//!
//! Only present with the cargo feature `live` (on by default). The header always
//! declares these functions, so one committed `ssf.h` serves every build; a library built
//! without `live` simply does not define them (a program using them fails to link).
//!
//! Threads: the publisher runs its network connections on two worker threads of its
//! own ("ssf-live"). The handles themselves follow the native rule: a handle may move
//! between threads but calls on it must not overlap (one that does gets
//! `SSF_STATUS_BUSY`, including a state callback that calls into its publisher).

use std::ffi::{CString, c_char, c_void};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::handle::{
    Castable, free_handle, handle_mut, handle_ref, into_handle, items, utf8, write_out,
};
use super::native::{
    last_error_of, need, on_handle, sample_from, ssf_options, ssf_sample, ssf_stream_config,
    stream_id, stream_number,
};
use super::status::{Failure, boundary, c_message, run, ssf_status};
use crate::live::{
    ConnectionState, ConnectionStats, EventId, LiveOptions, LivePublisher, StateEvent, TimeOrigin,
};
use crate::mux::Options;

/// `ssf_live_options_set_time_origin`: fragment times are the samples' own decode times.
pub const SSF_LIVE_TIME_ORIGIN_ZERO: u32 = 0;
/// `ssf_live_options_set_time_origin`: sample times are shifted by the wall clock at
/// connect (whole seconds since 1970, rounded down to a fragment multiple).
pub const SSF_LIVE_TIME_ORIGIN_WALL_CLOCK: u32 = 1;
/// `ssf_live_options_set_time_origin`: sample times are shifted by the `epoch_seconds`
/// given (a common anchor, e.g. from house timecode).
pub const SSF_LIVE_TIME_ORIGIN_EPOCH_SECONDS: u32 = 2;

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

/// How one connection ended (Rust `FinalReport`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ssf_live_report {
    /// The connection's counters at the end.
    pub stats: ssf_live_stats,
    /// `SSF_STATUS_OK` when every fragment reached the server's socket and the server
    /// answered 2xx; `SSF_STATUS_LIVE_FAILED` otherwise (`stats.last_error` says why).
    pub status: ssf_status,
    /// The server's final HTTP status, or 0 when the POST did not end with one.
    pub http_status: u32,
}

/// Options of a live publisher (Rust `LiveOptions`). Create with `ssf_live_options_new`,
/// free with `ssf_live_options_free`; connect copies it. Calls on one handle must not
/// overlap: one that does gets `SSF_STATUS_BUSY`.
pub struct ssf_live_options {
    _private: [u8; 0],
}

/// The C state callback and its user data.
#[derive(Clone, Copy)]
struct Callback {
    function: unsafe extern "C" fn(*mut c_void, *const ssf_live_state_event),
    user_data: *mut c_void,
}

// SAFETY: the caller of `ssf_live_options_set_state_callback` promises that the function
// and `user_data` may be used from the publisher's threads (documented there).
unsafe impl Send for Callback {}
// SAFETY: as above.
unsafe impl Sync for Callback {}

/// What an `ssf_live_options` handle points to.
pub(crate) struct LiveOptionsHandle {
    options: LiveOptions,
    callback: Option<Callback>,
}

impl Castable for ssf_live_options {
    type Rust = LiveOptionsHandle;
}

/// A live publisher (Rust `LivePublisher`): pushes each stream to every publishing point
/// over its own long HTTP POST. Calls on one handle must not
/// overlap: one that does gets `SSF_STATUS_BUSY`.
pub struct ssf_live_publisher {
    _private: [u8; 0],
}

/// Lets the state callback run only while the handle is alive: `free` and `finish` close
/// it, waiting for a callback in progress, so no callback runs after they return.
type Gate = Arc<RwLock<bool>>;

/// What an `ssf_live_publisher` handle points to. The publisher is gone once finished.
pub(crate) struct PublisherHandle {
    publisher: Option<LivePublisher>,
    gate: Gate,
    stats: Vec<ssf_live_stats>,
    reports: Vec<ssf_live_report>,
    /// The strings `stats` and `reports` point to.
    strings: Vec<CString>,
    error: CString,
}

// SAFETY: the raw pointers in `stats` and `reports` are data handed to C: they point
// into `strings` (owned by the same handle) and Rust never reads through them; the rest
// is Send. The busy guard of the handle keeps threads from using it at the same time.
unsafe impl Send for PublisherHandle {}
// SAFETY: as above; a shared borrow (the last-error call) only reads `error`.
unsafe impl Sync for PublisherHandle {}

impl Castable for ssf_live_publisher {
    type Rust = PublisherHandle;
}

fn close(gate: &Gate) {
    *gate.write().unwrap_or_else(|e| e.into_inner()) = false;
}

impl Drop for PublisherHandle {
    fn drop(&mut self) {
        // Never blocks on the network: the publisher cuts its connections without an
        // end of stream and stops its threads in the background.
        drop(self.publisher.take());
        close(&self.gate);
    }
}

fn publisher_error(h: &mut PublisherHandle) -> &mut CString {
    &mut h.error
}

fn open_publisher(h: &mut PublisherHandle) -> Result<&mut LivePublisher, Failure> {
    h.publisher.as_mut().ok_or_else(|| {
        Failure::new(
            ssf_status::SSF_STATUS_INVALID_STATE,
            "the live publisher is already finished",
        )
    })
}

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

fn stream_of(id: crate::mux::StreamId) -> u32 {
    u32::try_from(id.index()).unwrap_or(u32::MAX)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Tells the C callback about a state change, if the gate is still open.
fn notify(callback: Callback, gate: &Gate, event: &StateEvent) {
    let open = gate.read().unwrap_or_else(|e| e.into_inner());
    if !*open {
        return;
    }
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
    // (the gate guarantees the latter); the event outlives the call.
    unsafe { (callback.function)(callback.user_data, &c_event) };
}

/// The C view of a connection's counters; its strings are kept in `strings`.
fn c_stats(s: &ConnectionStats, strings: &mut Vec<CString>) -> ssf_live_stats {
    let (state, backoff_ms, final_http_status) = state_parts(&s.state);
    let url = c_message(&s.url);
    let url_ptr = url.as_ptr();
    strings.push(url);
    let last_error = match &s.last_error {
        Some(e) => {
            let e = c_message(e);
            let ptr = e.as_ptr();
            strings.push(e);
            ptr
        }
        None => std::ptr::null(),
    };
    ssf_live_stats {
        target: s.target,
        stream: stream_of(s.stream),
        state,
        backoff_ms,
        final_http_status,
        url: url_ptr,
        fragments_sent: s.fragments_sent,
        fragments_replayed: s.fragments_replayed,
        fragments_dropped: s.fragments_dropped,
        reconnects: s.reconnects,
        bytes_sent: s.bytes_sent,
        queued_fragments: s.queued_fragments,
        queued_bytes: s.queued_bytes,
        last_error,
        last_http_status: s.last_status.map_or(0, u32::from),
        latency_max_us: micros(s.latency_max),
        latency_mean_us: micros(s.latency_mean()),
    }
}

// ---------------------------------------------------------------- live options

/// Creates default live options in `*out` (probe on, 10 s connect timeout, send timeout
/// twice the fragment duration, back-off 250 ms doubling up to a fragment duration,
/// unlimited retries, queue of 60 s or 64 MiB per connection, replay of 2 fragments,
/// catch-up at 4x real time, end-of-stream `mfra` on, 10 s to finish, times from 0, no
/// callback). Free with `ssf_live_options_free`.
///
/// Thread safety: safe from any thread (it creates a new handle).
///
/// # Safety
/// `out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_new(out: *mut *mut ssf_live_options) -> ssf_status {
    run(|| {
        need(out, "out")?;
        let handle = LiveOptionsHandle {
            options: LiveOptions::default(),
            callback: None,
        };
        // SAFETY: checked non-NULL.
        unsafe { write_out(out, into_handle::<ssf_live_options>(handle)) };
        Ok(())
    })
}

/// Frees live options; NULL is a no-op. Publishers connected with them keep their copy.
///
/// Thread safety: no call may use the handle after this one. If a call on another thread
/// is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
/// so): free it again once that call returned.
///
/// # Safety
/// `options` is NULL or a live handle, not used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_free(options: *mut ssf_live_options) {
    boundary((), || {
        // SAFETY: per the contract.
        unsafe { free_handle(options, "options") };
    })
}

/// Applies a `LiveOptions` builder method to the handle.
fn update_live(
    options: *mut ssf_live_options,
    f: impl FnOnce(LiveOptions) -> Result<LiveOptions, Failure>,
) -> ssf_status {
    run(|| {
        // SAFETY: public callers document a live handle or NULL.
        let mut h = unsafe { handle_mut(options, "live_options") }?;
        h.options = f(h.options.clone())?;
        Ok(())
    })
}

/// Sends an empty POST to each stream URL first and starts the stream only after a 2xx
/// answer (default on). Turn it off for receivers that take a single request
/// (`ffmpeg -listen 1`).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_probe(
    options: *mut ssf_live_options,
    on: bool,
) -> ssf_status {
    update_live(options, |o| Ok(o.probe(on)))
}

/// Sets the `Events(<id>)` URL segment; NULL removes it (the default). The identifier
/// is checked at connect (`A-Z a-z 0-9 _ . -`).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle; `event_id` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_event_id(
    options: *mut ssf_live_options,
    event_id: *const c_char,
) -> ssf_status {
    update_live(options, |o| {
        let id = if event_id.is_null() {
            EventId::None
        } else {
            // SAFETY: per the contract.
            EventId::Fixed(unsafe { utf8(event_id, "event_id") }?.to_string())
        };
        Ok(o.event_id(id))
    })
}

/// Makes the `Events(<id>)` segment the publisher's start time (seconds since 1970), so
/// every start is a new event.
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_event_id_from_start_time(
    options: *mut ssf_live_options,
) -> ssf_status {
    update_live(options, |o| Ok(o.event_id(EventId::FromStartTime)))
}

/// Longest wait for a TCP (and TLS) connection, in milliseconds (default 10 000).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_connect_timeout_ms(
    options: *mut ssf_live_options,
    milliseconds: u64,
) -> ssf_status {
    update_live(options, |o| {
        Ok(o.connect_timeout(Duration::from_millis(milliseconds)))
    })
}

/// Longest time a write may make no progress before the POST is abandoned as stalled,
/// in milliseconds (default twice the fragment duration, at least 1 s).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_send_timeout_ms(
    options: *mut ssf_live_options,
    milliseconds: u64,
) -> ssf_status {
    update_live(options, |o| {
        Ok(o.send_timeout(Duration::from_millis(milliseconds)))
    })
}

/// Back-off after failures, in milliseconds: the first retry is immediate, the next
/// waits `initial_ms`, doubling up to `max_ms` (default 250 up to a fragment duration).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_backoff_ms(
    options: *mut ssf_live_options,
    initial_ms: u64,
    max_ms: u64,
) -> ssf_status {
    update_live(options, |o| {
        Ok(o.backoff(
            Duration::from_millis(initial_ms),
            Duration::from_millis(max_ms),
        ))
    })
}

/// Gives up a connection after `retries` consecutive failed attempts; a negative value
/// retries forever (the default).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_max_retries(
    options: *mut ssf_live_options,
    retries: i64,
) -> ssf_status {
    update_live(options, |o| {
        let limit =
            match retries {
                r if r < 0 => None,
                r => Some(u32::try_from(r).map_err(|_| {
                    Failure::invalid(format!("max retries {r}: at most 4294967295"))
                })?),
            };
        Ok(o.max_retries(limit))
    })
}

/// Bounds each connection's queue of unsent fragments by duration (milliseconds) and
/// bytes: past either, the oldest are dropped and counted (default 60 000 ms, 64 MiB).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_queue_bounds(
    options: *mut ssf_live_options,
    duration_ms: u64,
    bytes: u64,
) -> ssf_status {
    update_live(options, |o| {
        Ok(o.queue_bounds(Duration::from_millis(duration_ms), bytes))
    })
}

/// How many of the last fragments sent before a failure are sent again on the new POST
/// (default 2; 0 turns replay off).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_replay_depth(
    options: *mut ssf_live_options,
    fragments: usize,
) -> ssf_status {
    update_live(options, |o| Ok(o.replay_depth(fragments)))
}

/// After a reconnect, sends the backlog at most `speed` times faster than real time
/// (default 4); 0, a negative or a non-finite value sends as fast as the connection
/// takes it.
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_catch_up_speed(
    options: *mut ssf_live_options,
    speed: f64,
) -> ssf_status {
    update_live(options, |o| Ok(o.catch_up_speed(Some(speed))))
}

/// Sends the empty `mfra` end-of-stream box on finish (default on; IIS-style points
/// stop the presentation on it).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_end_of_stream(
    options: *mut ssf_live_options,
    on: bool,
) -> ssf_status {
    update_live(options, |o| Ok(o.end_of_stream(on)))
}

/// Longest time `ssf_live_publisher_finish` waits for the last fragments and the
/// servers' answers, in milliseconds (default 10 000).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_finish_timeout_ms(
    options: *mut ssf_live_options,
    milliseconds: u64,
) -> ssf_status {
    update_live(options, |o| {
        Ok(o.finish_timeout(Duration::from_millis(milliseconds)))
    })
}

/// Where the timeline starts: `SSF_LIVE_TIME_ORIGIN_ZERO` (default),
/// `SSF_LIVE_TIME_ORIGIN_WALL_CLOCK` (recommended beyond lab tests), or
/// `SSF_LIVE_TIME_ORIGIN_EPOCH_SECONDS` with `epoch_seconds` (ignored otherwise).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_time_origin(
    options: *mut ssf_live_options,
    origin: u32,
    epoch_seconds: u64,
) -> ssf_status {
    update_live(options, |o| {
        let origin = match origin {
            SSF_LIVE_TIME_ORIGIN_ZERO => TimeOrigin::Zero,
            SSF_LIVE_TIME_ORIGIN_WALL_CLOCK => TimeOrigin::WallClock,
            SSF_LIVE_TIME_ORIGIN_EPOCH_SECONDS => TimeOrigin::EpochSeconds(epoch_seconds),
            other => return Err(Failure::invalid(format!("time origin {other}: 0 to 2"))),
        };
        Ok(o.time_origin(origin))
    })
}

/// The `User-Agent` header (default `ssf/<version>`).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle; `user_agent` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_user_agent(
    options: *mut ssf_live_options,
    user_agent: *const c_char,
) -> ssf_status {
    update_live(options, |o| {
        // SAFETY: per the contract.
        Ok(o.user_agent(unsafe { utf8(user_agent, "user_agent") }?))
    })
}

/// Accepts any TLS certificate (self-signed test points). Off by default; never in
/// production.
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_danger_accept_invalid_certs(
    options: *mut ssf_live_options,
    accept: bool,
) -> ssf_status {
    update_live(options, |o| Ok(o.danger_accept_invalid_certs(accept)))
}

/// Calls `callback(user_data, event)` on every connection state change; NULL removes
/// the callback.
///
/// The callback runs on the publisher's network threads (and, for a connection that
/// does not finish in time, on the thread calling `ssf_live_publisher_finish`), possibly
/// on two threads at once, so `user_data` must be safe to use from any thread. It must
/// return quickly and must not call any `ssf_live_publisher_*` function. It is never
/// called after `ssf_live_publisher_finish` or `ssf_live_publisher_free` returns, so
/// `user_data` only has to live until then.
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle; `callback` NULL or a function following the above.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_options_set_state_callback(
    options: *mut ssf_live_options,
    callback: ssf_live_state_callback,
    user_data: *mut c_void,
) -> ssf_status {
    run(|| {
        // SAFETY: per the contract.
        let mut h = unsafe { handle_mut(options, "live_options") }?;
        h.callback = callback.map(|function| Callback {
            function,
            user_data,
        });
        Ok(())
    })
}

// ---------------------------------------------------------------- live publisher

/// Creates a publisher pushing to every publishing point in `urls` (`url_count` strings
/// `http(s)://host/path/Name.isml`), with muxer `options` and live `live_options`
/// (both copied; NULL for the defaults). Nothing is sent until streams are added.
/// Free with `ssf_live_publisher_free`.
///
/// Thread safety: safe from any thread (it creates a new handle); the option handles it
/// reads may be read by other calls at the same time, but one being changed by another
/// thread makes this call return `SSF_STATUS_BUSY`. The publisher starts
/// two worker threads.
///
/// # Safety
/// `urls` points to `url_count` NUL-terminated strings; `options` and `live_options`
/// are NULL or live handles; `out` is valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_publisher_connect(
    urls: *const *const c_char,
    url_count: usize,
    options: *const ssf_options,
    live_options: *const ssf_live_options,
    out: *mut *mut ssf_live_publisher,
) -> ssf_status {
    run(|| {
        need(out, "out")?;
        // SAFETY: per the contract.
        let pointers = unsafe { items(urls, url_count, "urls") }?;
        let mut points = Vec::with_capacity(pointers.len());
        for (i, p) in pointers.iter().enumerate() {
            // SAFETY: per the contract.
            points.push(unsafe { utf8(*p, &format!("urls[{i}]")) }?);
        }
        let options = if options.is_null() {
            Options::default()
        } else {
            // SAFETY: per the contract.
            unsafe { handle_ref(options, "options") }?.clone()
        };
        let gate: Gate = Arc::new(RwLock::new(true));
        let mut live = LiveOptions::default();
        if !live_options.is_null() {
            // SAFETY: per the contract.
            let h = unsafe { handle_ref(live_options, "live_options") }?;
            live = h.options.clone();
            if let Some(callback) = h.callback {
                let gate = gate.clone();
                live = live.on_state(move |event| notify(callback, &gate, event));
            }
        }
        let handle = PublisherHandle {
            publisher: Some(LivePublisher::connect(points, options, live)?),
            gate,
            stats: Vec::new(),
            reports: Vec::new(),
            strings: Vec::new(),
            error: CString::default(),
        };
        // SAFETY: checked non-NULL.
        unsafe { write_out(out, into_handle::<ssf_live_publisher>(handle)) };
        Ok(())
    })
}

/// Frees a publisher; NULL is a no-op. Without a finish, its connections are cut at
/// once without an end of stream (servers keep the event open, as after an encoder
/// failure). Never waits on the network; it waits only for a state callback already
/// running to return.
///
/// Thread safety: no other call may use the handle during or after this one; must not
/// be called from the state callback.
///
/// # Safety
/// `publisher` is NULL or a live handle, not used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_publisher_free(publisher: *mut ssf_live_publisher) {
    boundary((), || {
        // SAFETY: per the contract.
        unsafe { free_handle(publisher, "publisher") };
    })
}

/// The message of the publisher's last failed call ("" if none). Owned by the
/// publisher; valid until the next call on it.
///
/// Thread safety: may overlap other calls that only read the publisher; while another
/// thread's call changes it, this returns the `SSF_STATUS_BUSY` message instead.
///
/// # Safety
/// `publisher` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_publisher_last_error(
    publisher: *const ssf_live_publisher,
) -> *const c_char {
    last_error_of(publisher, "publisher", |h| &h.error)
}

/// The seconds since 1970 added to every sample time (0 unless a UTC time origin is
/// set), in `*out_seconds`.
///
/// Thread safety: calls on one publisher must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `publisher` is NULL or a live handle; `out_seconds` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_publisher_time_anchor(
    publisher: *mut ssf_live_publisher,
    out_seconds: *mut u64,
) -> ssf_status {
    on_handle(publisher, "publisher", publisher_error, |h| {
        need(out_seconds, "out_seconds")?;
        let seconds = open_publisher(h)?.time_anchor_seconds();
        // SAFETY: checked non-NULL.
        unsafe { write_out(out_seconds, seconds) };
        Ok(())
    })
}

/// Adds a stream (copying `config`), opens its connections, and writes its number to
/// `*out_stream`. Its `Streams(<id>)` identifier is the config's source file name, or
/// `<track name>_<bit rate>.ismv` / `.isma`; it must be unique.
///
/// Thread safety: calls on one publisher must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `publisher` and `config` are NULL or live handles; `out_stream` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_publisher_add_stream(
    publisher: *mut ssf_live_publisher,
    config: *const ssf_stream_config,
    out_stream: *mut u32,
) -> ssf_status {
    on_handle(publisher, "publisher", publisher_error, |h| {
        need(out_stream, "out_stream")?;
        // SAFETY: per the contract.
        let config = unsafe { handle_ref(config, "config") }?.clone();
        let id = open_publisher(h)?.add_stream(config)?;
        // SAFETY: checked non-NULL.
        unsafe { write_out(out_stream, stream_number(id)?) };
        Ok(())
    })
}

/// Adds a sample to `stream`; a fragment it completes is queued on every connection of
/// the stream. Never waits on the network. Fails with `SSF_STATUS_LIVE_FAILED` once
/// every connection of the stream has given up.
///
/// Thread safety: calls on one publisher must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `publisher` is NULL or a live handle; `sample` NULL or a valid `ssf_sample`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_publisher_push(
    publisher: *mut ssf_live_publisher,
    stream: u32,
    sample: *const ssf_sample,
) -> ssf_status {
    on_handle(publisher, "publisher", publisher_error, |h| {
        // SAFETY: per the contract.
        let sample = unsafe { sample_from(sample) }?;
        open_publisher(h)?.push(stream_id(stream), sample)?;
        Ok(())
    })
}

/// Closes `stream`'s open fragment now and queues it (caller-chosen boundaries).
///
/// Thread safety: calls on one publisher must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `publisher` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_publisher_flush(
    publisher: *mut ssf_live_publisher,
    stream: u32,
) -> ssf_status {
    on_handle(publisher, "publisher", publisher_error, |h| {
        open_publisher(h)?.flush(stream_id(stream))?;
        Ok(())
    })
}

/// The counters of every connection: for each stream in order, one per publishing point
/// in order. `*out_stats` receives an array of `*out_count` entries owned by the
/// publisher, valid (with its strings) until the next call on it.
///
/// Thread safety: calls on one publisher must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `publisher` is NULL or a live handle; `out_stats` and `out_count` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_publisher_stats(
    publisher: *mut ssf_live_publisher,
    out_stats: *mut *const ssf_live_stats,
    out_count: *mut usize,
) -> ssf_status {
    on_handle(publisher, "publisher", publisher_error, |h| {
        need(out_stats, "out_stats")?;
        need(out_count, "out_count")?;
        let stats = open_publisher(h)?.stats();
        h.strings.clear();
        h.stats = stats.iter().map(|s| c_stats(s, &mut h.strings)).collect();
        // SAFETY: both checked non-NULL.
        unsafe {
            write_out(out_stats, h.stats.as_ptr());
            write_out(out_count, h.stats.len());
        }
        Ok(())
    })
}

/// Ends the push: closes every stream's last fragment, sends what is queued, then
/// (unless switched off) the end-of-stream `mfra`, ends each POST and waits for each
/// server's answer, at most the finish timeout in all. `*out_reports` receives one report
/// per connection (stream by stream, publishing point by publishing point), an array of
/// `*out_count` entries owned by the publisher and valid until it is freed.
///
/// Returns `SSF_STATUS_OK` when the publisher finished, even if some connections failed:
/// each report carries its own status. The handle then only accepts
/// `ssf_live_publisher_free` and `ssf_live_publisher_last_error` (other calls return
/// `SSF_STATUS_INVALID_STATE`); no state callback runs after this returns.
///
/// Thread safety: must not run at the same time as another call on the same publisher;
/// must not be called from the state callback.
///
/// # Safety
/// `publisher` is NULL or a live handle; `out_reports` and `out_count` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_publisher_finish(
    publisher: *mut ssf_live_publisher,
    out_reports: *mut *const ssf_live_report,
    out_count: *mut usize,
) -> ssf_status {
    on_handle(publisher, "publisher", publisher_error, |h| {
        need(out_reports, "out_reports")?;
        need(out_count, "out_count")?;
        open_publisher(h)?;
        let Some(live) = h.publisher.take() else {
            return Ok(());
        };
        let finished = live.finish();
        close(&h.gate);
        let reports = finished?;
        h.strings.clear();
        h.stats.clear();
        h.reports = reports
            .iter()
            .map(|r| ssf_live_report {
                stats: c_stats(&r.stats, &mut h.strings),
                status: if r.is_success() {
                    ssf_status::SSF_STATUS_OK
                } else {
                    ssf_status::SSF_STATUS_LIVE_FAILED
                },
                http_status: r.status().map_or(0, u32::from),
            })
            .collect();
        // SAFETY: both checked non-NULL.
        unsafe {
            write_out(out_reports, h.reports.as_ptr());
            write_out(out_count, h.reports.len());
        }
        Ok(())
    })
}
