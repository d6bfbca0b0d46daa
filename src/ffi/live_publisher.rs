//! The `ssf_live_publisher` handle over [`LivePublisher`]: pushes each stream to every
//! publishing point over its own long HTTP POST, in the conventions of the other native
//! sinks (same `ssf_stream_config` / `ssf_sample` inputs, its own last error).
//!
//! Only present with the cargo feature `live` (on by default); see [`super::live_options`].
//!
//! Threads: the publisher runs its network connections on two worker threads of its
//! own ("ssf-live"). The handle follows the native rule: it may move between threads but
//! calls on it must not overlap (one that does gets `SSF_STATUS_BUSY`, including a state
//! callback that calls into its publisher).

use std::ffi::{CString, c_char};
use std::sync::{Arc, RwLock};

use super::handle::{
    Castable, KeepsError, call, create, free, handle_ref, items, last_error, need, take_unfinished,
    unfinished, utf8, write_out,
};
use super::live_options::ssf_live_options;
use super::live_state::{
    Callback, c_delivery, c_report, c_stats, ssf_live_delivery, ssf_live_report, ssf_live_stats,
};
use super::options::{options_or_default, ssf_options};
use super::status::{Failure, ssf_status};
use super::stream_config::ssf_stream_config;
use super::streams::{self, Sink, ssf_sample};
use crate::live::{LiveOptions, LivePublisher};
use crate::mux::{Fragment, Sample, StreamConfig, StreamId};

/// A live publisher (Rust `LivePublisher`): pushes each stream to every publishing point
/// over its own long HTTP POST. Calls on one handle must not
/// overlap: one that does gets `SSF_STATUS_BUSY`.
pub struct ssf_live_publisher {
    _private: [u8; 0],
}

/// Lets the state callback run only while the handle is alive: `free` and `finish` close
/// it, waiting for a callback in progress, so no callback runs after they return.
type Gate = Arc<RwLock<bool>>;

/// What an `ssf_live_publisher` handle points to (with its last error). The publisher is
/// gone once finished.
pub(crate) struct PublisherState {
    publisher: Option<LivePublisher>,
    gate: Gate,
    stats: Vec<ssf_live_stats>,
    reports: Vec<ssf_live_report>,
    delivery: Vec<ssf_live_delivery>,
    /// The delivery counters of the final reports, once finished.
    final_delivery: Vec<ssf_live_delivery>,
    /// The strings `stats` and `reports` point to.
    strings: Vec<CString>,
}

// SAFETY: the raw pointers in `stats` and `reports` are data handed to C: they point
// into `strings` (owned by the same handle) and Rust never reads through them; the rest
// is Send. The busy guard of the handle keeps threads from using it at the same time.
unsafe impl Send for PublisherState {}
// SAFETY: as above; a shared borrow (the last-error call) reads none of it.
unsafe impl Sync for PublisherState {}

impl Castable for ssf_live_publisher {
    type Rust = KeepsError<PublisherState>;
}

fn close(gate: &Gate) {
    *gate.write().unwrap_or_else(|e| e.into_inner()) = false;
}

/// Tells the C callback about a state change, if the gate is still open.
fn notify(callback: Callback, gate: &Gate, event: &crate::live::StateEvent) {
    let open = gate.read().unwrap_or_else(|e| e.into_inner());
    if *open {
        callback.call(event);
    }
}

impl Drop for PublisherState {
    fn drop(&mut self) {
        // Never blocks on the network: the publisher cuts its connections without an
        // end of stream and stops its threads in the background.
        drop(self.publisher.take());
        close(&self.gate);
    }
}

/// The arrays a publisher hands out (its stats, its final reports), each kept in its own
/// field of the handle until the next call replaces it.
trait KeptArray: Sized {
    /// The field that keeps the array.
    fn kept(h: &mut PublisherState) -> &mut Vec<Self>;
}

impl KeptArray for ssf_live_stats {
    fn kept(h: &mut PublisherState) -> &mut Vec<Self> {
        &mut h.stats
    }
}

impl KeptArray for ssf_live_delivery {
    fn kept(h: &mut PublisherState) -> &mut Vec<Self> {
        &mut h.delivery
    }
}

impl KeptArray for ssf_live_report {
    fn kept(h: &mut PublisherState) -> &mut Vec<Self> {
        &mut h.reports
    }
}

/// The body of the calls that hand out an array: runs `body`, keeps the array it makes
/// in the handle and points `*out_items` (the argument `what`) and `*out_count` at it.
///
/// # Safety
/// `publisher` is NULL or a live handle; `out_items` and `out_count` NULL or writable.
unsafe fn array_out<T: KeptArray>(
    publisher: *mut ssf_live_publisher,
    out_items: *mut *const T,
    what: &str,
    out_count: *mut usize,
    body: impl FnOnce(&mut PublisherState) -> Result<Vec<T>, Failure>,
) -> ssf_status {
    let run = |h: &mut PublisherState| {
        need(out_items, what)?;
        need(out_count, "out_count")?;
        let items = body(h)?;
        let kept = T::kept(h);
        *kept = items;
        // SAFETY: both checked non-NULL; the contract makes them writable.
        unsafe {
            write_out(out_items, kept.as_ptr());
            write_out(out_count, kept.len());
        }
        Ok(())
    };
    // SAFETY: per the contract.
    unsafe { call(publisher, "publisher", run) }
}

/// What every call but finish says of a finished publisher.
const FINISHED: &str = "live publisher";

impl PublisherState {
    fn open(&mut self) -> Result<&mut LivePublisher, Failure> {
        unfinished(&mut self.publisher, FINISHED)
    }
}

impl Sink for PublisherState {
    fn add_stream(&mut self, config: StreamConfig) -> Result<StreamId, Failure> {
        Ok(self.open()?.add_stream(config)?)
    }

    fn push(&mut self, stream: StreamId, sample: Sample) -> Result<Option<Fragment>, Failure> {
        self.open()?.push(stream, sample)?;
        Ok(None)
    }

    fn flush(&mut self, stream: StreamId) -> Result<Option<Fragment>, Failure> {
        self.open()?.flush(stream)?;
        Ok(None)
    }
}

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
    let make = || {
        // SAFETY: per the contract.
        let pointers = unsafe { items(urls, url_count, "urls") }?;
        let mut points = Vec::with_capacity(pointers.len());
        for (i, p) in pointers.iter().enumerate() {
            // SAFETY: per the contract.
            points.push(unsafe { utf8(*p, &format!("urls[{i}]")) }?);
        }
        // SAFETY: per the contract.
        let options = unsafe { options_or_default(options) }?;
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
        Ok(KeepsError::new(PublisherState {
            publisher: Some(LivePublisher::connect(points, options, live)?),
            gate,
            stats: Vec::new(),
            reports: Vec::new(),
            delivery: Vec::new(),
            final_delivery: Vec::new(),
            strings: Vec::new(),
        }))
    };
    // SAFETY: per the contract.
    unsafe { create(out, make) }
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
    // SAFETY: per the contract.
    unsafe { free(publisher, "publisher") }
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
    // SAFETY: per the contract.
    unsafe { last_error(publisher, "publisher") }
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
    let body = |h: &mut PublisherState| {
        need(out_seconds, "out_seconds")?;
        let seconds = h.open()?.time_anchor_seconds();
        // SAFETY: checked non-NULL.
        unsafe { write_out(out_seconds, seconds) };
        Ok(())
    };
    // SAFETY: per the contract.
    unsafe { call(publisher, "publisher", body) }
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
    // SAFETY: per the contract.
    unsafe { streams::add_stream(publisher, "publisher", config, out_stream) }
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
    // SAFETY: per the contract.
    unsafe { streams::push(publisher, "publisher", stream, sample) }
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
    // SAFETY: per the contract.
    unsafe { streams::flush(publisher, "publisher", stream) }
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
    let body = |h: &mut PublisherState| {
        let stats = h.open()?.stats();
        h.strings.clear();
        Ok(stats.iter().map(|s| c_stats(s, &mut h.strings)).collect())
    };
    // SAFETY: per the contract.
    unsafe { array_out(publisher, out_stats, "out_stats", out_count, body) }
}

/// The delivery counters of every connection, in the order of `ssf_live_publisher_stats`:
/// fragments known read by the server, not yet known read, and possibly lost. After
/// `ssf_live_publisher_finish`, those of the final reports. `*out_delivery` receives an
/// array of `*out_count` entries owned by the publisher, valid until the next call on it.
///
/// Thread safety: calls on one publisher must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `publisher` is NULL or a live handle; `out_delivery` and `out_count` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_live_publisher_delivery(
    publisher: *mut ssf_live_publisher,
    out_delivery: *mut *const ssf_live_delivery,
    out_count: *mut usize,
) -> ssf_status {
    let body = |h: &mut PublisherState| {
        Ok(match h.publisher.as_ref() {
            Some(p) => p.stats().iter().map(c_delivery).collect(),
            None => h.final_delivery.clone(),
        })
    };
    // SAFETY: per the contract.
    unsafe { array_out(publisher, out_delivery, "out_delivery", out_count, body) }
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
    let body = |h: &mut PublisherState| {
        let finished = take_unfinished(&mut h.publisher, FINISHED)?.finish();
        close(&h.gate);
        let reports = finished?;
        h.strings.clear();
        h.stats.clear();
        h.final_delivery = reports.iter().map(|r| c_delivery(&r.stats)).collect();
        Ok(reports
            .iter()
            .map(|r| c_report(r, &mut h.strings))
            .collect())
    };
    // SAFETY: per the contract.
    unsafe { array_out(publisher, out_reports, "out_reports", out_count, body) }
}
