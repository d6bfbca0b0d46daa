//! The `ssf_vod_writer` handle over [`VodWriter`]: a whole on-demand presentation
//! written into a directory and published in one step; and the recovery calls for what an
//! interrupted writer left.

use std::ffi::c_char;

use super::handle::{
    Castable, KeepsError, call, create, free, last_error, take_unfinished, unfinished, utf8,
    write_out,
};
use super::options::{options_or_default, ssf_options};
use super::status::{Failure, run, ssf_status};
use super::stream_config::ssf_stream_config;
use super::streams::{self, Sink, ssf_sample, stream_id};
use crate::mux::{Fragment, Sample, StreamConfig, StreamId};
use crate::vod::VodWriter;

/// A writer of a whole on-demand presentation into a directory (Rust `VodWriter`):
/// `.ismv`/`.isma` per stream, `.ism` and `.ismc`. Calls on one handle must not
/// overlap: one that does gets `SSF_STATUS_BUSY`.
pub struct ssf_vod_writer {
    _private: [u8; 0],
}

impl Castable for ssf_vod_writer {
    /// The writer (with the handle's last error); gone once finished or aborted.
    type Rust = KeepsError<Option<VodWriter>>;
}

/// What every call but finish and abort says of a finished writer.
const FINISHED: &str = "VOD writer";

impl Sink for Option<VodWriter> {
    fn add_stream(&mut self, config: StreamConfig) -> Result<StreamId, Failure> {
        Ok(unfinished(self, FINISHED)?.add_stream(config)?)
    }

    fn push(&mut self, stream: StreamId, sample: Sample) -> Result<Option<Fragment>, Failure> {
        unfinished(self, FINISHED)?.push(stream, sample)?;
        Ok(None)
    }

    fn flush(&mut self, stream: StreamId) -> Result<Option<Fragment>, Failure> {
        unfinished(self, FINISHED)?.flush(stream)?;
        Ok(None)
    }
}

/// The body of finish and abort: both end the writer, which the handle then no longer
/// has.
///
/// # Safety
/// `writer` is NULL or a live handle.
unsafe fn end<T>(
    writer: *mut ssf_vod_writer,
    how: impl FnOnce(VodWriter) -> crate::error::Result<T>,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe {
        call(writer, "writer", |w| {
            how(take_unfinished(w, FINISHED)?)?;
            Ok(())
        })
    }
}

/// Creates a VOD writer for presentation `name` in directory `dir`, which the presentation
/// owns: everything is written into a hidden sibling (`.DIR.ssf-partial`) and
/// `ssf_vod_writer_finish` replaces `dir` whole in one step, so a failed or killed run
/// never changes an existing presentation. Fails if `dir` holds other files, or if an
/// interrupted run left work there (`SSF_STATUS_INVALID_STATE`: see `ssf_vod_recover`
/// and `ssf_vod_discard_interrupted`). `options` is copied (NULL for the defaults). Free
/// with `ssf_vod_writer_free`.
///
/// Thread safety: safe from any thread (it creates a new handle); `options` may be read
/// by other calls at the same time, but one being changed by another thread makes this
/// call return `SSF_STATUS_BUSY`.
///
/// # Safety
/// `dir` and `name` are NULL or NUL-terminated UTF-8; `options` NULL or a live handle;
/// `out` valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_vod_writer_create(
    dir: *const c_char,
    name: *const c_char,
    options: *const ssf_options,
    out: *mut *mut ssf_vod_writer,
) -> ssf_status {
    let make = || {
        // SAFETY: per the contract.
        let dir = unsafe { utf8(dir, "dir") }?;
        // SAFETY: per the contract.
        let name = unsafe { utf8(name, "name") }?;
        // SAFETY: per the contract.
        let options = unsafe { options_or_default(options) }?;
        Ok(KeepsError::new(Some(VodWriter::create(
            dir, name, options,
        )?)))
    };
    // SAFETY: per the contract.
    unsafe { create(out, make) }
}

/// Frees a VOD writer; NULL is a no-op. A writer that was not finished (nor aborted)
/// leaves its partial directory for `ssf_vod_recover`, as a crash would.
///
/// Thread safety: no call may use the handle after this one. If a call on another thread
/// is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
/// so): free it again once that call returned.
///
/// # Safety
/// `writer` is NULL or a live handle, not used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_vod_writer_free(writer: *mut ssf_vod_writer) {
    // SAFETY: per the contract.
    unsafe { free(writer, "writer") }
}

/// The message of the writer's last failed call ("" if none). Owned by the writer; valid
/// until the next call on it.
///
/// Thread safety: may overlap other calls that only read the writer; while another
/// thread's call changes it, this returns the `SSF_STATUS_BUSY` message instead.
///
/// # Safety
/// `writer` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_vod_writer_last_error(writer: *const ssf_vod_writer) -> *const c_char {
    // SAFETY: per the contract.
    unsafe { last_error(writer, "writer") }
}

/// Adds a stream (copying `config`) and writes its number to `*out_stream`.
///
/// Thread safety: calls on one writer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `writer` and `config` are NULL or live handles; `out_stream` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_vod_writer_add_stream(
    writer: *mut ssf_vod_writer,
    config: *const ssf_stream_config,
    out_stream: *mut u32,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe { streams::add_stream(writer, "writer", config, out_stream) }
}

/// Adds a sample to `stream`; finished fragments are appended to the stream's file.
///
/// Thread safety: calls on one writer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `writer` is NULL or a live handle; `sample` NULL or a valid `ssf_sample`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_vod_writer_push(
    writer: *mut ssf_vod_writer,
    stream: u32,
    sample: *const ssf_sample,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe { streams::push(writer, "writer", stream, sample) }
}

/// Closes `stream`'s open fragment now and appends it to the stream's file.
///
/// Thread safety: calls on one writer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `writer` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_vod_writer_flush(
    writer: *mut ssf_vod_writer,
    stream: u32,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe { streams::flush(writer, "writer", stream) }
}

/// Sets `stream`'s bit rate once it is known (e.g. measured over the whole input, as
/// `ssf_input_stream_bitrate` gives it): it names the stream's file and goes into the
/// final header and both manifests.
///
/// Thread safety: calls on one writer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `writer` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_vod_writer_set_bitrate(
    writer: *mut ssf_vod_writer,
    stream: u32,
    bits_per_second: u32,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe {
        call(writer, "writer", |w| {
            unfinished(w, FINISHED)?.set_bitrate(stream_id(stream), bits_per_second)?;
            Ok(())
        })
    }
}

/// Ends the presentation: closes every open fragment, writes the index, the final
/// headers and both manifests. The handle then only accepts `ssf_vod_writer_free` and
/// `ssf_vod_writer_last_error` (other calls return `SSF_STATUS_INVALID_STATE`).
///
/// Thread safety: calls on one writer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `writer` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_vod_writer_finish(writer: *mut ssf_vod_writer) -> ssf_status {
    // SAFETY: per the contract.
    unsafe { end(writer, VodWriter::finish) }
}

/// Discards everything the writer wrote; the existing presentation in its directory, if
/// any, stays as it was. The handle then only accepts `ssf_vod_writer_free` and
/// `ssf_vod_writer_last_error`.
///
/// Thread safety: calls on one writer must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `writer` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_vod_writer_abort(writer: *mut ssf_vod_writer) -> ssf_status {
    // SAFETY: per the contract.
    unsafe { end(writer, VodWriter::abort) }
}

/// Turns what an interrupted (killed, crashed, or freed unfinished) writer left for
/// presentation directory `dir` into a valid presentation and publishes it: keeps every
/// complete fragment the bit rates of each StreamIndex have in common, rewrites the
/// headers, appends the indexes, writes both manifests. `*recovered` (when not NULL) is
/// set to true when there was an interrupted run, false when `dir` was complete (then nothing is
/// changed). Refuses (`SSF_STATUS_MALFORMED`, changing nothing) files that are not this
/// library's or are damaged before their last fragment; the message says which.
///
/// Thread safety: safe from any thread; a writer still running on `dir` makes it fail
/// with `SSF_STATUS_INVALID_STATE`.
///
/// # Safety
/// `dir` is NULL or NUL-terminated UTF-8; `recovered` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_vod_recover(dir: *const c_char, recovered: *mut bool) -> ssf_status {
    run(|| {
        // SAFETY: per the contract.
        let dir = unsafe { utf8(dir, "dir") }?;
        let report = crate::vod::recover(dir)?;
        // SAFETY: per the contract; NULL is skipped.
        unsafe { write_out(recovered, report.was_interrupted) };
        Ok(())
    })
}

/// Discards what an interrupted writer left for presentation directory `dir`, so a new
/// writer can start there; the published presentation, if any, is kept. `*discarded`
/// (when not NULL) is set to true when there was something to discard.
///
/// Thread safety: safe from any thread; a writer still running on `dir` makes it fail
/// with `SSF_STATUS_INVALID_STATE`.
///
/// # Safety
/// `dir` is NULL or NUL-terminated UTF-8; `discarded` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_vod_discard_interrupted(
    dir: *const c_char,
    discarded: *mut bool,
) -> ssf_status {
    run(|| {
        // SAFETY: per the contract.
        let dir = unsafe { utf8(dir, "dir") }?;
        let any = crate::vod::discard_interrupted(dir)?;
        // SAFETY: per the contract; NULL is skipped.
        unsafe { write_out(discarded, any) };
        Ok(())
    })
}
