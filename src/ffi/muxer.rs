//! The `ssf_muxer` handle over [`Muxer`], the sans-IO core: samples in; header,
//! fragments, index and manifests out as [`ssf_output`] bytes the handle keeps until its
//! next call.

use std::ffi::c_char;

use bytes::Bytes;

use super::handle::{
    Castable, KeepsError, Output, call, create, free, items, last_error, need, utf8, write_out,
};
use super::options::{options_or_default, ssf_options};
use super::status::{Failure, ssf_status};
use super::stream_config::ssf_stream_config;
use super::streams::{self, Sink, sample_from, ssf_sample, stream_id};
use crate::mux::{Fragment, Muxer, Sample, StreamConfig, StreamId};

/// The sans-IO muxer (Rust `Muxer`): samples in; header, fragments, index and manifests
/// out as bytes the caller writes. Calls on one handle must not
/// overlap: one that does gets `SSF_STATUS_BUSY`.
pub struct ssf_muxer {
    _private: [u8; 0],
}

/// What an `ssf_muxer` handle points to (with its last error): the muxer and the bytes
/// of its last output.
pub(crate) struct MuxerState {
    mux: Muxer,
    output: Vec<u8>,
}

impl Castable for ssf_muxer {
    type Rust = KeepsError<MuxerState>;
}

/// Bytes handed out by the library. `data` is owned by the handle that returned it and
/// stays valid until the next call on that handle; `len` is 0 when there is nothing
/// (e.g. no fragment closed). `time` and `duration` describe a fragment (presentation
/// ticks) and are 0 otherwise.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ssf_output {
    /// The bytes.
    pub data: *const u8,
    /// Their length.
    pub len: usize,
    /// A fragment's decode time of its first sample.
    pub time: u64,
    /// A fragment's duration.
    pub duration: u64,
}

impl MuxerState {
    /// Keeps `output`'s bytes in the handle and points `*out` at them.
    ///
    /// # Safety
    /// `out` is NULL or writable.
    unsafe fn hand_out(&mut self, output: Output, out: *mut ssf_output) {
        self.output = output.bytes;
        let value = ssf_output {
            data: if self.output.is_empty() {
                std::ptr::null()
            } else {
                self.output.as_ptr()
            },
            len: self.output.len(),
            time: output.time,
            duration: output.duration,
        };
        // SAFETY: per the contract.
        unsafe { write_out(out, value) };
    }
}

impl Sink for MuxerState {
    fn add_stream(&mut self, config: StreamConfig) -> Result<StreamId, Failure> {
        Ok(self.mux.add_stream(config)?)
    }

    fn push(&mut self, stream: StreamId, sample: Sample) -> Result<Option<Fragment>, Failure> {
        Ok(self.mux.push(stream, sample)?)
    }

    fn flush(&mut self, stream: StreamId) -> Result<Option<Fragment>, Failure> {
        Ok(self.mux.flush(stream)?)
    }
}

/// The body of every call that hands out bytes in `*out` (the argument `what`): runs
/// `body` on the muxer and hands out what it returns.
///
/// # Safety
/// `muxer` is NULL or a live handle; `out` NULL or writable.
unsafe fn output(
    muxer: *mut ssf_muxer,
    out: *mut ssf_output,
    what: &str,
    body: impl FnOnce(&mut MuxerState) -> Result<Output, Failure>,
) -> ssf_status {
    let run = |m: &mut MuxerState| {
        need(out, what)?;
        let output = body(m)?;
        // SAFETY: out is checked non-NULL; the contract makes it writable.
        unsafe { m.hand_out(output, out) };
        Ok(())
    };
    // SAFETY: per the contract.
    unsafe { call(muxer, "muxer", run) }
}

/// The body of the calls that hand out bytes about some streams (header, index): runs
/// `body` on the muxer with the stream ids of the C array `streams`.
///
/// # Safety
/// `muxer` is NULL or a live handle; `streams` points to `count` stream numbers; `out`
/// NULL or writable.
unsafe fn streams_out(
    muxer: *mut ssf_muxer,
    streams: *const u32,
    count: usize,
    out: *mut ssf_output,
    body: impl FnOnce(&mut Muxer, &[StreamId]) -> crate::error::Result<Bytes>,
) -> ssf_status {
    let run = |m: &mut MuxerState| {
        // SAFETY: per the contract.
        let streams = unsafe { items(streams, count, "streams") }?;
        let ids: Vec<StreamId> = streams.iter().map(|s| stream_id(*s)).collect();
        Ok(body(&mut m.mux, &ids)?.to_vec().into())
    };
    // SAFETY: per the contract.
    unsafe { output(muxer, out, "out", run) }
}

/// Creates a muxer with `options` (copied; NULL for the defaults) in `*out`. Free with
/// `ssf_muxer_free`.
///
/// Thread safety: safe from any thread (it creates a new handle); `options` may be read
/// by other calls at the same time, but one being changed by another thread makes this
/// call return `SSF_STATUS_BUSY`.
///
/// # Safety
/// `options` is NULL or a live handle; `out` is valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_muxer_new(
    options: *const ssf_options,
    out: *mut *mut ssf_muxer,
) -> ssf_status {
    let make = || {
        // SAFETY: per the contract.
        let options = unsafe { options_or_default(options) }?;
        Ok(KeepsError::new(MuxerState {
            mux: Muxer::new(options)?,
            output: Vec::new(),
        }))
    };
    // SAFETY: per the contract.
    unsafe { create(out, make) }
}

/// Frees a muxer and every output it handed out; NULL is a no-op.
///
/// Thread safety: no call may use the handle after this one. If a call on another thread
/// is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
/// so): free it again once that call returned.
///
/// # Safety
/// `muxer` is NULL or a live handle, not used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_muxer_free(muxer: *mut ssf_muxer) {
    // SAFETY: per the contract.
    unsafe { free(muxer, "muxer") }
}

/// The message of the muxer's last failed call ("" if none). Owned by the muxer; valid
/// until the next call on it.
///
/// Thread safety: may overlap other calls that only read the muxer; while another
/// thread's call changes it, this returns the `SSF_STATUS_BUSY` message instead.
///
/// # Safety
/// `muxer` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_muxer_last_error(muxer: *const ssf_muxer) -> *const c_char {
    // SAFETY: per the contract.
    unsafe { last_error(muxer, "muxer") }
}

/// Adds a stream (copying `config`) and writes its number (0, 1, …) to `*out_stream`.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `muxer` and `config` are NULL or live handles; `out_stream` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_muxer_add_stream(
    muxer: *mut ssf_muxer,
    config: *const ssf_stream_config,
    out_stream: *mut u32,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe { streams::add_stream(muxer, "muxer", config, out_stream) }
}

/// Adds a sample to `stream`. When it closes a fragment (automatic fragmenting),
/// `*out_fragment` receives the fragment (moof + mdat); otherwise its `len` is 0.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `muxer` is NULL or a live handle; `sample` NULL or a valid `ssf_sample`;
/// `out_fragment` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_muxer_push(
    muxer: *mut ssf_muxer,
    stream: u32,
    sample: *const ssf_sample,
    out_fragment: *mut ssf_output,
) -> ssf_status {
    let push = |m: &mut MuxerState| {
        // SAFETY: per the contract.
        let sample = unsafe { sample_from(sample) }?;
        m.push(stream_id(stream), sample)?.try_into()
    };
    // SAFETY: per the contract.
    unsafe { output(muxer, out_fragment, "out_fragment", push) }
}

/// Closes `stream`'s open fragment now; `*out_fragment` receives it (`len` 0 when no
/// sample was pending).
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `muxer` is NULL or a live handle; `out_fragment` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_muxer_flush(
    muxer: *mut ssf_muxer,
    stream: u32,
    out_fragment: *mut ssf_output,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe {
        output(muxer, out_fragment, "out_fragment", |m| {
            m.flush(stream_id(stream))?.try_into()
        })
    }
}

/// Closes `stream`'s open fragment so that it ends at `end_time` (stream timescale): the
/// last sample lasts until then.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `muxer` is NULL or a live handle; `out_fragment` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_muxer_flush_at(
    muxer: *mut ssf_muxer,
    stream: u32,
    end_time: u64,
    out_fragment: *mut ssf_output,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe {
        output(muxer, out_fragment, "out_fragment", |m| {
            m.mux.flush_at(stream_id(stream), end_time)?.try_into()
        })
    }
}

/// `ftyp` + `moov` for a file holding `streams`. Its size never changes, so it can be
/// written first and overwritten in place at the end.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `muxer` is NULL or a live handle; `streams` points to `count` stream numbers;
/// `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_muxer_header(
    muxer: *mut ssf_muxer,
    streams: *const u32,
    count: usize,
    out: *mut ssf_output,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe { streams_out(muxer, streams, count, out, |mux, ids| mux.header(ids)) }
}

/// The `mfra` index of `streams`' fragments so far.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// As `ssf_muxer_header`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_muxer_index(
    muxer: *mut ssf_muxer,
    streams: *const u32,
    count: usize,
    out: *mut ssf_output,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe { streams_out(muxer, streams, count, out, |mux, ids| mux.index(ids)) }
}

/// The client manifest (`.ismc`, UTF-8 XML, not NUL-terminated).
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `muxer` is NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_muxer_client_manifest(
    muxer: *mut ssf_muxer,
    out: *mut ssf_output,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe {
        output(muxer, out, "out", |m| {
            Ok(m.mux.client_manifest()?.into_bytes().into())
        })
    }
}

/// The server manifest (`.ism`, UTF-8 XML, not NUL-terminated) pointing at the client
/// manifest `client_manifest_path` (relative to the `.ism`).
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `muxer` is NULL or a live handle; `client_manifest_path` NULL or a NUL-terminated
/// string; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_muxer_server_manifest(
    muxer: *mut ssf_muxer,
    client_manifest_path: *const c_char,
    out: *mut ssf_output,
) -> ssf_status {
    let manifest = |m: &mut MuxerState| {
        // SAFETY: per the contract.
        let path = unsafe { utf8(client_manifest_path, "client_manifest_path") }?;
        Ok(m.mux.server_manifest(path)?.into_bytes().into())
    };
    // SAFETY: per the contract.
    unsafe { output(muxer, out, "out", manifest) }
}
