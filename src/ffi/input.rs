//! The input layer in C (`ssf_input_*`): open the files a presentation is made of, list
//! their streams (a configuration to add to a writer, a timescale, a kind), read their
//! samples in decode order, and learn the measured bit rates at the end. A C user
//! packages files without writing a demuxer:
//!
//! ```c
//! ssf_input *in; size_t n, i, index; bool more; ssf_sample s = {sizeof s};
//! ssf_input_open("720p.h264", &in);
//! ssf_input_add_file(in, "audio.aac@128k,lang=eng");
//! ssf_input_stream_count(in, &n);
//! for (i = 0; i < n; i++) { ssf_input_stream_config(in, i, video, &c); ... }
//! while (ssf_input_next_sample(in, &more, &index, &s) == SSF_STATUS_OK && more)
//!     ssf_vod_writer_push(w, ids[index], &s);
//! ```
//!
//! One `ssf_input` is an `InputSet`: the streams of all its files in presentation order
//! (video, audio, captions), grouped into StreamIndexes the way players switch, started
//! together and merged in decode order.

use std::ffi::c_char;

use bytes::Bytes;

use super::handle::{
    Castable, KeepsError, call, create, free, into_handle, last_error, need, read, utf8, write_out,
};
use super::status::{Failure, ssf_status};
use super::stream_config::ssf_stream_config;
use super::streams::{ssf_sample, stream_id};
use crate::codec::MediaKind;
use crate::input::{InputSet, InputSpec, OpenOptions};

/// What a stream of an `ssf_input` carries.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ssf_media_kind {
    /// Video.
    SSF_MEDIA_KIND_VIDEO = 0,
    /// Audio.
    SSF_MEDIA_KIND_AUDIO = 1,
    /// Text (TTML captions): sparse, and tied to a video stream.
    SSF_MEDIA_KIND_TEXT = 2,
}

/// Input files being read for packaging (Rust `InputSet`). Create with `ssf_input_open`,
/// free with `ssf_input_free`. Calls on one handle must not overlap: one that does gets
/// `SSF_STATUS_BUSY`.
pub struct ssf_input {
    _private: [u8; 0],
}

/// What an `ssf_input` handle points to (with its last error): the set and the bytes of
/// the sample handed out last (kept alive until the next call).
pub(crate) struct InputState {
    set: InputSet,
    sample: Bytes,
}

impl Castable for ssf_input {
    type Rust = KeepsError<InputState>;
}

/// Parses `FILE[@BITRATE][,lang=LANG][,name=NAME]` and opens it into `set`.
fn add_file(set: &mut InputSet, spec: &str) -> Result<(), Failure> {
    let spec: InputSpec = spec.parse().map_err(Failure::invalid)?;
    set.open(&spec, &OpenOptions::default())?;
    Ok(())
}

/// Opens the file `path` (raw H.264, ADTS, MP4, VC-1, WMA or TTML; the kind from the
/// extension, else the first bytes) into a new input set in `*out`. `path` may carry
/// options: `FILE@BITRATE,lang=LANG,name=NAME` (e.g. `fr.aac@128k,lang=fra`) sets the bit
/// rate instead of measuring it, the language of its audio or captions and its
/// StreamIndex name; an existing file is a path whatever it contains. Free with
/// `ssf_input_free`.
///
/// Thread safety: safe from any thread (it creates a new handle).
///
/// # Safety
/// `path` is NULL or NUL-terminated UTF-8; `out` is valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_input_open(
    path: *const c_char,
    out: *mut *mut ssf_input,
) -> ssf_status {
    let make = || {
        // SAFETY: per the contract.
        let path = unsafe { utf8(path, "path") }?;
        let mut set = InputSet::new();
        add_file(&mut set, path)?;
        Ok(KeepsError::new(InputState {
            set,
            sample: Bytes::new(),
        }))
    };
    // SAFETY: per the contract.
    unsafe { create(out, make) }
}

/// Adds another file (same syntax as `ssf_input_open`) to the set, before any sample is
/// read. Its streams take their place in presentation order, so stream indexes given
/// out before may change: list the streams once every file is added.
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `input` is NULL or a live handle; `path` NULL or NUL-terminated UTF-8.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_input_add_file(
    input: *mut ssf_input,
    path: *const c_char,
) -> ssf_status {
    let body = |h: &mut InputState| {
        // SAFETY: per the contract.
        let path = unsafe { utf8(path, "path") }?;
        add_file(&mut h.set, path)
    };
    // SAFETY: per the contract.
    unsafe { call(input, "input", body) }
}

/// Frees an input set; NULL is a no-op.
///
/// Thread safety: no call may use the handle after this one. If a call on another thread
/// is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
/// so): free it again once that call returned.
///
/// # Safety
/// `input` is NULL or a live handle, not used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_input_free(input: *mut ssf_input) {
    // SAFETY: per the contract.
    unsafe { free(input, "input") }
}

/// The message of the input's last failed call ("" if none). Owned by the input; valid
/// until the next call on it.
///
/// Thread safety: may overlap other calls that only read the input; while another
/// thread's call changes it, this returns the `SSF_STATUS_BUSY` message instead.
///
/// # Safety
/// `input` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_input_last_error(input: *const ssf_input) -> *const c_char {
    // SAFETY: per the contract.
    unsafe { last_error(input, "input") }
}

/// Runs a call that only reads the input set, inside the panic boundary.
fn read_input(
    input: *const ssf_input,
    body: impl FnOnce(&InputSet) -> Result<(), Failure>,
) -> ssf_status {
    // SAFETY: public callers document NULL or a live handle.
    unsafe { read(input, "input", |h: &InputState| body(&h.set)) }
}

/// Runs a read-only call that writes one value about stream `index` to `*out`: checks
/// `out` and the index, then writes what `value` gives.
fn stream_value<T>(
    input: *const ssf_input,
    index: usize,
    out: *mut T,
    value: impl FnOnce(&InputSet) -> Result<T, Failure>,
) -> ssf_status {
    read_input(input, |set| {
        need(out, "out")?;
        if index >= set.len() {
            return Err(Failure::invalid(format!(
                "stream {index}: the input has {} streams",
                set.len()
            )));
        }
        let v = value(set)?;
        // SAFETY: checked non-NULL; the caller documents it writable.
        unsafe { write_out(out, v) };
        Ok(())
    })
}

/// Writes the number of streams of all the set's files to `*out`. Streams are numbered
/// from 0 in presentation order: video, then audio, then captions.
///
/// Thread safety: may overlap other calls that only read the input.
///
/// # Safety
/// `input` is NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_input_stream_count(
    input: *const ssf_input,
    out: *mut usize,
) -> ssf_status {
    read_input(input, |set| {
        need(out, "out")?;
        // SAFETY: checked non-NULL.
        unsafe { write_out(out, set.len()) };
        Ok(())
    })
}

/// Writes what stream `index` carries to `*out`.
///
/// Thread safety: may overlap other calls that only read the input.
///
/// # Safety
/// `input` is NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_input_stream_kind(
    input: *const ssf_input,
    index: usize,
    out: *mut ssf_media_kind,
) -> ssf_status {
    stream_value(input, index, out, |set| {
        Ok(match set.streams().nth(index).map(|s| s.kind) {
            Some(MediaKind::Video) => ssf_media_kind::SSF_MEDIA_KIND_VIDEO,
            Some(MediaKind::Audio) => ssf_media_kind::SSF_MEDIA_KIND_AUDIO,
            _ => ssf_media_kind::SSF_MEDIA_KIND_TEXT,
        })
    })
}

/// Writes the ticks per second of stream `index`'s sample times to `*out` (its
/// configuration from `ssf_input_stream_config` carries it already).
///
/// Thread safety: may overlap other calls that only read the input.
///
/// # Safety
/// `input` is NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_input_stream_timescale(
    input: *const ssf_input,
    index: usize,
    out: *mut u32,
) -> ssf_status {
    stream_value(input, index, out, |set| {
        Ok(set.streams().nth(index).map_or(0, |s| s.timescale))
    })
}

/// Makes the configuration of stream `index` in `*out`, ready to add to a writer: codec
/// configuration, timescale, language, StreamIndex name (streams a player can switch
/// between share one) and the given bit rate (0: measured; set it from
/// `ssf_input_stream_bitrate` once the samples are read). For captions,
/// `parent_stream` is the writer's number of the video stream they belong to (ignored
/// for other streams). Free with `ssf_stream_config_free`.
///
/// Thread safety: may overlap other calls that only read the input.
///
/// # Safety
/// `input` is NULL or a live handle; `out` valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_input_stream_config(
    input: *const ssf_input,
    index: usize,
    parent_stream: u32,
    out: *mut *mut ssf_stream_config,
) -> ssf_status {
    stream_value(input, index, out, |set| {
        let config = set.config(index, Some(stream_id(parent_stream)))?;
        Ok(into_handle::<ssf_stream_config>(config))
    })
}

/// Writes stream `index`'s bit rate to `*out`: the one given (`FILE@BITRATE`), or the
/// one measured from its size and duration. Raw H.264 and ADTS are measured as they are
/// read: until every sample has been read this fails with `SSF_STATUS_INVALID_STATE`.
///
/// Thread safety: may overlap other calls that only read the input.
///
/// # Safety
/// `input` is NULL or a live handle; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_input_stream_bitrate(
    input: *const ssf_input,
    index: usize,
    out: *mut u32,
) -> ssf_status {
    stream_value(input, index, out, |set| Ok(set.bitrate(index)?))
}

/// Reads the next sample of all streams in decode order: `*has_sample` says whether there
/// was one; if so `*stream` is its stream's index and `*sample` the sample (its
/// `struct_size` set, no protected ranges), its bytes owned by the input and valid until
/// the next call on it. Streams are shifted so that they all start presenting together;
/// a captions sample should be flushed into a fragment of its own
/// (`ssf_vod_writer_flush`).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `input` is NULL or a live handle; `has_sample`, `stream` and `sample` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_input_next_sample(
    input: *mut ssf_input,
    has_sample: *mut bool,
    stream: *mut usize,
    sample: *mut ssf_sample,
) -> ssf_status {
    let body = |h: &mut InputState| {
        need(has_sample, "has_sample")?;
        need(stream, "stream")?;
        need(sample, "sample")?;
        let Some((index, next)) = h.set.next_indexed()? else {
            h.sample = Bytes::new();
            // SAFETY: checked non-NULL.
            unsafe { write_out(has_sample, false) };
            return Ok(());
        };
        h.sample = next.data;
        let out = ssf_sample {
            struct_size: size_of::<ssf_sample>(),
            data: h.sample.as_ptr(),
            len: h.sample.len(),
            dts: next.dts,
            cts_offset: next.cts_offset,
            duration: next.duration,
            sync: next.sync,
            protected_ranges: std::ptr::null(),
            protected_range_count: 0,
        };
        // SAFETY: checked non-NULL.
        unsafe {
            write_out(has_sample, true);
            write_out(stream, index);
            write_out(sample, out);
        }
        Ok(())
    };
    // SAFETY: per the contract.
    unsafe { call(input, "input", body) }
}

#[cfg(test)]
mod tests;
