//! What the three native handles that take streams share (`ssf_muxer`, `ssf_vod_writer`,
//! `ssf_live_publisher`): the C sample ([`ssf_sample`], [`ssf_range`]), stream numbers,
//! and their `*_add_stream`, `*_push` and `*_flush` bodies, written once over the
//! `Sink` trait each handle's Rust value implements.

use bytes::Bytes;

use super::handle::{Castable, KeepsError, bytes, call, handle_ref, items, need, write_out};
use super::status::{Failure, ssf_status};
use super::stream_config::ssf_stream_config;
use crate::mux::{Fragment, Sample, StreamConfig, StreamId};

/// A byte range of a sample, `{offset, length}`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ssf_range {
    /// Offset from the start of the sample.
    pub offset: u32,
    /// Length in bytes.
    pub length: u32,
}

/// One encoded sample. Set `struct_size` to `sizeof(ssf_sample)`: it lets later versions
/// add fields without breaking callers built against this one.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ssf_sample {
    /// `sizeof(ssf_sample)`.
    pub struct_size: usize,
    /// The payload (borrowed for the call; the library copies what it keeps).
    pub data: *const u8,
    /// Payload length in bytes.
    pub len: usize,
    /// Decode time in the stream's timescale.
    pub dts: u64,
    /// Presentation time minus decode time.
    pub cts_offset: u64,
    /// Duration in the stream's timescale; 0 when unknown (the next sample's decode time
    /// gives it).
    pub duration: u64,
    /// Whether the sample is a random access point (IDR picture; every audio frame).
    pub sync: bool,
    /// Byte ranges to encrypt instead of the codec's choice; NULL for the default.
    pub protected_ranges: *const ssf_range,
    /// Number of entries in `protected_ranges`.
    pub protected_range_count: usize,
}

/// Turns a C sample into a Rust one, copying the payload.
///
/// # Safety
/// `sample` is NULL or points to a valid `ssf_sample` whose pointers follow its docs.
pub(crate) unsafe fn sample_from(sample: *const ssf_sample) -> Result<Sample, Failure> {
    // SAFETY: per the contract; struct_size is read first, before trusting the rest.
    let size = unsafe { sample.as_ref() }
        .ok_or_else(|| Failure::null("sample"))?
        .struct_size;
    if size != size_of::<ssf_sample>() {
        return Err(Failure::invalid(format!(
            "sample.struct_size is {size}, expected sizeof(ssf_sample) = {}",
            size_of::<ssf_sample>()
        )));
    }
    // SAFETY: non-NULL (checked) and of this version's size.
    let s = unsafe { *sample };
    // SAFETY: the caller guarantees data/len and the range array.
    let data = unsafe { bytes(s.data, s.len, "sample.data") }?;
    let mut out = Sample::new(Bytes::copy_from_slice(data), s.dts)
        .cts_offset(s.cts_offset)
        .sync(s.sync);
    if s.duration != 0 {
        out = out.duration(s.duration);
    }
    if !s.protected_ranges.is_null() || s.protected_range_count != 0 {
        // SAFETY: per the contract.
        let ranges = unsafe {
            ranges(
                s.protected_ranges,
                s.protected_range_count,
                "sample.protected_ranges",
                |r| (r.offset, r.length),
            )
        }?;
        out = out.protected_ranges(ranges);
    }
    Ok(out)
}

/// A C array of byte ranges to encrypt (`ssf_range`, or the compatible API's
/// `SSF_RANGE`), as `(offset, length)` pairs: `parts` reads one.
///
/// # Safety
/// When `count > 0`, `ptr` points to `count` ranges that stay valid for the call.
pub(crate) unsafe fn ranges<R>(
    ptr: *const R,
    count: usize,
    what: &str,
    parts: impl Fn(&R) -> (u32, u32),
) -> Result<Vec<(u32, u32)>, Failure> {
    // SAFETY: per the contract.
    Ok(unsafe { items(ptr, count, what) }?
        .iter()
        .map(parts)
        .collect())
}

/// The stream a C stream number names.
pub(crate) fn stream_id(stream: u32) -> StreamId {
    StreamId(stream as usize)
}

/// The C stream number of a stream.
pub(crate) fn stream_number(id: StreamId) -> Result<u32, Failure> {
    u32::try_from(id.index()).map_err(|_| Failure::invalid("too many streams"))
}

/// The Rust value behind a native handle that takes streams and samples.
pub(crate) trait Sink {
    /// Adds a stream described by `config`.
    fn add_stream(&mut self, config: StreamConfig) -> Result<StreamId, Failure>;
    /// Adds a sample to `stream`; returns the fragment it closed when the handle hands
    /// fragments to the caller (the muxer), None when it sends them itself.
    fn push(&mut self, stream: StreamId, sample: Sample) -> Result<Option<Fragment>, Failure>;
    /// Closes `stream`'s open fragment now; returns it as [`Sink::push`] does.
    fn flush(&mut self, stream: StreamId) -> Result<Option<Fragment>, Failure>;
}

/// A native handle type whose Rust value is a [`Sink`] that keeps its errors, for the
/// bodies below.
pub(crate) trait SinkHandle: Castable<Rust = KeepsError<Self::Sink>> {
    /// The Rust value behind the handle.
    type Sink: Sink + Send;
}

impl<C, T> SinkHandle for C
where
    C: Castable<Rust = KeepsError<T>>,
    T: Sink + Send,
{
    type Sink = T;
}

/// The body of every `*_add_stream(handle, config, out_stream)`: copies `config`, adds it
/// and writes the new stream's number to `*out_stream`.
///
/// # Safety
/// `handle` and `config` are NULL or live handles; `out_stream` NULL or writable.
pub(crate) unsafe fn add_stream<C: SinkHandle>(
    handle: *mut C,
    what: &str,
    config: *const ssf_stream_config,
    out_stream: *mut u32,
) -> ssf_status {
    let body = |sink: &mut C::Sink| {
        need(out_stream, "out_stream")?;
        // SAFETY: per the contract.
        let config = unsafe { handle_ref(config, "config") }?.clone();
        let id = sink.add_stream(config)?;
        // SAFETY: checked non-NULL.
        unsafe { write_out(out_stream, stream_number(id)?) };
        Ok(())
    };
    // SAFETY: per the contract.
    unsafe { call(handle, what, body) }
}

/// The body of `*_push(handle, stream, sample)` for a handle that sends its fragments
/// itself.
///
/// # Safety
/// `handle` is NULL or a live handle; `sample` NULL or a valid `ssf_sample`.
pub(crate) unsafe fn push<C: SinkHandle>(
    handle: *mut C,
    what: &str,
    stream: u32,
    sample: *const ssf_sample,
) -> ssf_status {
    let body = |sink: &mut C::Sink| {
        // SAFETY: per the contract.
        let sample = unsafe { sample_from(sample) }?;
        sink.push(stream_id(stream), sample).map(drop)
    };
    // SAFETY: per the contract.
    unsafe { call(handle, what, body) }
}

/// The body of `*_flush(handle, stream)` for a handle that sends its fragments itself.
///
/// # Safety
/// `handle` is NULL or a live handle.
pub(crate) unsafe fn flush<C: SinkHandle>(handle: *mut C, what: &str, stream: u32) -> ssf_status {
    // SAFETY: per the contract.
    unsafe { call(handle, what, |sink| sink.flush(stream_id(stream)).map(drop)) }
}
