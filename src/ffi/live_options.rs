//! The `ssf_live_options` handle over [`LiveOptions`]: how a live publisher connects,
//! retries, queues and finishes, and the state callback it reports to. Connect copies it.
//!
//! Only present with the cargo feature `live` (on by default). The header always
//! declares these functions, so one committed `ssf.h` serves every build; a library built
//! without `live` simply does not define them (a program using them fails to link).

use std::ffi::{c_char, c_void};
use std::time::Duration;

use super::handle::{Castable, create, free, modify, utf8};
use super::live_state::{Callback, ssf_live_state_callback};
use super::status::{Failure, ssf_status};
use crate::live::{EventId, LiveOptions, TimeOrigin};

/// `ssf_live_options_set_time_origin`: fragment times are the samples' own decode times.
pub const SSF_LIVE_TIME_ORIGIN_ZERO: u32 = 0;
/// `ssf_live_options_set_time_origin`: sample times are shifted by the wall clock at
/// connect (whole seconds since 1970, rounded down to a fragment multiple).
pub const SSF_LIVE_TIME_ORIGIN_WALL_CLOCK: u32 = 1;
/// `ssf_live_options_set_time_origin`: sample times are shifted by the `epoch_seconds`
/// given (a common anchor, e.g. from house timecode).
pub const SSF_LIVE_TIME_ORIGIN_EPOCH_SECONDS: u32 = 2;

/// Options of a live publisher (Rust `LiveOptions`). Create with `ssf_live_options_new`,
/// free with `ssf_live_options_free`; connect copies it. Calls on one handle must not
/// overlap: one that does gets `SSF_STATUS_BUSY`.
pub struct ssf_live_options {
    _private: [u8; 0],
}

/// What an `ssf_live_options` handle points to.
pub(crate) struct LiveOptionsHandle {
    pub(crate) options: LiveOptions,
    pub(crate) callback: Option<Callback>,
}

impl Castable for ssf_live_options {
    type Rust = LiveOptionsHandle;
}

/// Applies a `LiveOptions` builder method to the handle: the body of the setters.
///
/// # Safety
/// `options` is NULL or a live handle.
unsafe fn update_live(
    options: *mut ssf_live_options,
    f: impl FnOnce(LiveOptions) -> Result<LiveOptions, Failure>,
) -> ssf_status {
    let body = |h: &mut LiveOptionsHandle| {
        h.options = f(h.options.clone())?;
        Ok(())
    };
    // SAFETY: per the contract.
    unsafe { modify(options, "live_options", body) }
}

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
    // SAFETY: per the contract.
    unsafe {
        create(out, || {
            Ok(LiveOptionsHandle {
                options: LiveOptions::default(),
                callback: None,
            })
        })
    }
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
    // SAFETY: per the contract.
    unsafe { free(options, "options") }
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
    // SAFETY: per the contract.
    unsafe { update_live(options, |o| Ok(o.probe(on))) }
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
    let set = |o: LiveOptions| {
        let id = if event_id.is_null() {
            EventId::None
        } else {
            // SAFETY: per the contract.
            EventId::Fixed(unsafe { utf8(event_id, "event_id") }?.to_string())
        };
        Ok(o.event_id(id))
    };
    // SAFETY: per the contract.
    unsafe { update_live(options, set) }
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
    // SAFETY: per the contract.
    unsafe { update_live(options, |o| Ok(o.event_id(EventId::FromStartTime))) }
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
    // SAFETY: per the contract.
    unsafe {
        update_live(options, |o| {
            Ok(o.connect_timeout(Duration::from_millis(milliseconds)))
        })
    }
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
    // SAFETY: per the contract.
    unsafe {
        update_live(options, |o| {
            Ok(o.send_timeout(Duration::from_millis(milliseconds)))
        })
    }
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
    // SAFETY: per the contract.
    unsafe {
        update_live(options, |o| {
            let (initial, max) = (
                Duration::from_millis(initial_ms),
                Duration::from_millis(max_ms),
            );
            Ok(o.backoff(initial, max))
        })
    }
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
    // SAFETY: per the contract.
    unsafe {
        update_live(options, |o| {
            let limit = match retries {
                r if r < 0 => None,
                r => Some(u32::try_from(r).map_err(|_| {
                    Failure::invalid(format!("max retries {r}: at most 4294967295"))
                })?),
            };
            Ok(o.max_retries(limit))
        })
    }
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
    // SAFETY: per the contract.
    unsafe {
        update_live(options, |o| {
            Ok(o.queue_bounds(Duration::from_millis(duration_ms), bytes))
        })
    }
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
    // SAFETY: per the contract.
    unsafe { update_live(options, |o| Ok(o.replay_depth(fragments))) }
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
    // SAFETY: per the contract.
    unsafe { update_live(options, |o| Ok(o.catch_up_speed(Some(speed)))) }
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
    // SAFETY: per the contract.
    unsafe { update_live(options, |o| Ok(o.end_of_stream(on))) }
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
    // SAFETY: per the contract.
    unsafe {
        update_live(options, |o| {
            Ok(o.finish_timeout(Duration::from_millis(milliseconds)))
        })
    }
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
    // SAFETY: per the contract.
    unsafe {
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
    let set = |o: LiveOptions| {
        // SAFETY: per the contract.
        Ok(o.user_agent(unsafe { utf8(user_agent, "user_agent") }?))
    };
    // SAFETY: per the contract.
    unsafe { update_live(options, set) }
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
    // SAFETY: per the contract.
    unsafe { update_live(options, |o| Ok(o.danger_accept_invalid_certs(accept))) }
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
    // SAFETY: per the contract.
    unsafe {
        modify(options, "live_options", |h| {
            h.callback = Callback::new(callback, user_data);
            Ok(())
        })
    }
}
