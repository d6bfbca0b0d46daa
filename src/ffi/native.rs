//! The native C API (`include/ssf.h`): opaque handles over [`Options`], [`Protection`],
//! [`StreamConfig`], [`Muxer`] and [`VodWriter`], one function per Rust method.
//!
//! Conventions (also in the README's "C and C++" section):
//! - every function returns an [`ssf_status`] (or a pointer/string where noted);
//! - inputs are borrowed `(pointer, length)` pairs or NUL-terminated UTF-8 strings, read
//!   only during the call;
//! - outputs are written only on success; byte outputs ([`ssf_output`]) point into memory
//!   owned by the handle that stays valid until the next call on that handle;
//! - `*_free(NULL)` does nothing; a handle must be freed exactly once;
//! - a handle may move between threads but calls on it must not overlap; a call that
//!   finds a handle it is given in use by another thread returns `SSF_STATUS_BUSY` and
//!   does nothing (calls that only read a handle, passed `const`, may overlap each other);
//!   `*_free` on a handle in use frees nothing and says so in `ssf_last_error`;
//! - a failed call keeps its message in the handle (`ssf_muxer_last_error`,
//!   `ssf_vod_writer_last_error`) and in the thread (`ssf_last_error`).

use std::ffi::{CString, c_char};

use bytes::Bytes;

use super::handle::{
    Castable, bytes, free_handle, handle_mut, handle_ref, into_handle, items, utf8, write_out,
};
use super::status::{
    Failure, boundary, c_message, run, set_thread_error, ssf_status, thread_error,
};
use crate::codec::avc::NalFormat;
use crate::drm::{ContentKey, KeySeed, Kid, Protection};
use crate::mux::{Fragment, Muxer, Options, Sample, StreamConfig, StreamId};
use crate::vod::VodWriter;

/// Muxer-wide options (Rust `Options`). Create with `ssf_options_new`, free with
/// `ssf_options_free`. Calls on one handle must not
/// overlap: one that does gets `SSF_STATUS_BUSY`.
pub struct ssf_options {
    _private: [u8; 0],
}

impl Castable for ssf_options {
    type Rust = Options;
}

/// PlayReady encryption settings (Rust `Protection`); holds the content key, which is
/// wiped from memory when the handle is freed. Calls on one handle must not
/// overlap: one that does gets `SSF_STATUS_BUSY`.
pub struct ssf_protection {
    _private: [u8; 0],
}

impl Castable for ssf_protection {
    type Rust = Protection;
}

/// One stream's description (Rust `StreamConfig`), made by one of the
/// `ssf_stream_config_*` constructors and adjusted with the `ssf_stream_config_set_*`
/// calls. Adding it to a muxer copies it. Calls on one handle must not
/// overlap: one that does gets `SSF_STATUS_BUSY`.
pub struct ssf_stream_config {
    _private: [u8; 0],
}

impl Castable for ssf_stream_config {
    type Rust = StreamConfig;
}

/// The sans-IO muxer (Rust `Muxer`): samples in; header, fragments, index and manifests
/// out as bytes the caller writes. Calls on one handle must not
/// overlap: one that does gets `SSF_STATUS_BUSY`.
pub struct ssf_muxer {
    _private: [u8; 0],
}

/// What an `ssf_muxer` handle points to: the muxer, the bytes of its last output and its
/// last error.
pub(crate) struct MuxerHandle {
    mux: Muxer,
    output: Vec<u8>,
    error: CString,
}

impl Castable for ssf_muxer {
    type Rust = MuxerHandle;
}

/// A writer of a whole on-demand presentation into a directory (Rust `VodWriter`):
/// `.ismv`/`.isma` per stream, `.ism` and `.ismc`. Calls on one handle must not
/// overlap: one that does gets `SSF_STATUS_BUSY`.
pub struct ssf_vod_writer {
    _private: [u8; 0],
}

/// What an `ssf_vod_writer` handle points to. The writer is gone once finished.
pub(crate) struct VodHandle {
    vod: Option<VodWriter>,
    error: CString,
}

impl Castable for ssf_vod_writer {
    type Rust = VodHandle;
}

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

impl ssf_output {
    pub(crate) const EMPTY: ssf_output = ssf_output {
        data: std::ptr::null(),
        len: 0,
        time: 0,
        duration: 0,
    };
}

/// Runs a call on a handle of type `C` whose Rust value keeps a last error, inside the
/// panic boundary.
pub(super) fn on_handle<C: Castable>(
    ptr: *mut C,
    what: &str,
    error_of: fn(&mut C::Rust) -> &mut CString,
    body: impl FnOnce(&mut C::Rust) -> Result<(), Failure>,
) -> ssf_status
where
    C::Rust: Send,
{
    boundary(ssf_status::SSF_STATUS_PANIC, || {
        // SAFETY: the caller passes NULL or a live handle of this type (documented).
        let mut handle = match unsafe { handle_mut(ptr, what) } {
            Ok(h) => h,
            Err(f) => {
                set_thread_error(&f.message);
                return f.status;
            }
        };
        match body(&mut handle) {
            Ok(()) => ssf_status::SSF_STATUS_OK,
            Err(f) => {
                set_thread_error(&f.message);
                *error_of(&mut handle) = c_message(&f.message);
                f.status
            }
        }
    })
}

/// The message a `*_last_error(handle)` call returns: the one kept in the handle, or,
/// when the handle is NULL or in use by another thread, why not (kept as the thread's
/// last error, which owns the string).
pub(super) fn last_error_of<C: Castable>(
    ptr: *const C,
    what: &str,
    error_of: fn(&C::Rust) -> &CString,
) -> *const c_char
where
    C::Rust: Send + Sync,
{
    boundary(c"".as_ptr(), || {
        // SAFETY: the caller passes NULL or a live handle of this type (documented).
        match unsafe { handle_ref(ptr, what) } {
            // The pointer outlives the guard: it stays valid until the next call on the
            // handle, as documented.
            Ok(h) => error_of(&h).as_ptr(),
            Err(f) => {
                set_thread_error(&f.message);
                thread_error()
            }
        }
    })
}

fn muxer_error(h: &mut MuxerHandle) -> &mut CString {
    &mut h.error
}

fn vod_error(h: &mut VodHandle) -> &mut CString {
    &mut h.error
}

/// Checks an output pointer before any work, so outputs are written only on success.
pub(super) fn need<T>(ptr: *const T, what: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        Err(Failure::null(what))
    } else {
        Ok(())
    }
}

/// Turns a C sample into a Rust one, copying the payload.
///
/// # Safety
/// `sample` is NULL or points to a valid `ssf_sample` whose pointers follow its docs.
pub(super) unsafe fn sample_from(sample: *const ssf_sample) -> Result<Sample, Failure> {
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
            items(
                s.protected_ranges,
                s.protected_range_count,
                "sample.protected_ranges",
            )
        }?;
        out = out.protected_ranges(
            ranges
                .iter()
                .map(|r| (r.offset, r.length))
                .collect::<Vec<_>>(),
        );
    }
    Ok(out)
}

pub(super) fn stream_id(stream: u32) -> StreamId {
    StreamId(stream as usize)
}

fn stream_ids(streams: &[u32]) -> Vec<StreamId> {
    streams.iter().map(|s| stream_id(*s)).collect()
}

pub(super) fn stream_number(id: StreamId) -> Result<u32, Failure> {
    u32::try_from(id.index()).map_err(|_| Failure::invalid("too many streams"))
}

/// Keeps `bytes` in the handle and points `out` at them.
fn hand_out(output: &mut Vec<u8>, bytes: Vec<u8>, time: u64, duration: u64, out: *mut ssf_output) {
    *output = bytes;
    let value = ssf_output {
        data: if output.is_empty() {
            std::ptr::null()
        } else {
            output.as_ptr()
        },
        len: output.len(),
        time,
        duration,
    };
    // SAFETY: out was checked non-NULL by the caller; the C contract makes it writable.
    unsafe { write_out(out, value) };
}

fn hand_out_fragment(output: &mut Vec<u8>, fragment: Option<Fragment>, out: *mut ssf_output) {
    match fragment {
        Some(f) => hand_out(output, f.to_vec(), f.time, f.duration, out),
        None => {
            output.clear();
            // SAFETY: as in hand_out.
            unsafe { write_out(out, ssf_output::EMPTY) };
        }
    }
}

// ---------------------------------------------------------------- options

/// Creates default options (timescale 10 000 000, automatic 2 s fragments, no
/// encryption) in `*out`. Free with `ssf_options_free`.
///
/// Thread safety: safe from any thread (it creates a new handle or reads static data).
///
/// # Safety
/// `out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_options_new(out: *mut *mut ssf_options) -> ssf_status {
    run(|| {
        need(out, "out")?;
        // SAFETY: checked non-NULL.
        unsafe { write_out(out, into_handle::<ssf_options>(Options::default())) };
        Ok(())
    })
}

/// Frees options made by `ssf_options_new`; NULL is a no-op.
///
/// Thread safety: no call may use the handle after this one. If a call on another thread
/// is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
/// so): free it again once that call returned.
///
/// # Safety
/// `options` is NULL or a live handle, not used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_options_free(options: *mut ssf_options) {
    boundary((), || {
        // SAFETY: per the contract.
        unsafe { free_handle(options, "options") };
    })
}

/// Sets the target fragment duration in seconds (automatic fragmenting cuts at the first
/// keyframe at or after each multiple of it).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_options_set_fragment_seconds(
    options: *mut ssf_options,
    seconds: f64,
) -> ssf_status {
    run(|| {
        // SAFETY: per the contract.
        let mut o = unsafe { handle_mut(options, "options") }?;
        *o = o.clone().fragment_seconds(seconds)?;
        Ok(())
    })
}

/// Switches to caller-driven fragmenting: fragments close only on `ssf_muxer_flush`,
/// `ssf_muxer_flush_at` or `ssf_vod_writer_flush`.
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_options_set_manual(options: *mut ssf_options) -> ssf_status {
    run(|| {
        // SAFETY: per the contract.
        let mut o = unsafe { handle_mut(options, "options") }?;
        *o = o.clone().manual();
        Ok(())
    })
}

/// Lists an `f` element per QualityLevel in every `c` of the client manifest (the SDK's
/// FORCE_FRAGMENT_ELEMENT_IN_CLIENT_MANIFEST); off by default.
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_options_set_fragment_elements(
    options: *mut ssf_options,
    on: bool,
) -> ssf_status {
    run(|| {
        // SAFETY: per the contract.
        let mut o = unsafe { handle_mut(options, "options") }?;
        *o = o.clone().fragment_elements(on);
        Ok(())
    })
}

/// Encrypts every audio and video stream with `protection` (copied; the caller still
/// frees its handle).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `options` and `protection` are NULL or live handles.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_options_set_protection(
    options: *mut ssf_options,
    protection: *const ssf_protection,
) -> ssf_status {
    run(|| {
        // SAFETY: per the contract.
        let mut o = unsafe { handle_mut(options, "options") }?;
        // SAFETY: per the contract.
        let p = unsafe { handle_ref(protection, "protection") }?;
        *o = o.clone().protection(p.clone());
        Ok(())
    })
}

// ---------------------------------------------------------------- protection

fn key16(ptr: *const u8, what: &str) -> Result<[u8; 16], Failure> {
    // SAFETY: the public functions document 16 readable bytes.
    let b = unsafe { bytes(ptr, 16, what) }?;
    <[u8; 16]>::try_from(b).map_err(|_| Failure::invalid(format!("{what}: 16 bytes expected")))
}

/// Creates PlayReady protection from a key ID (16 bytes in UUID text order, big-endian)
/// and a 16-byte AES content key. Free with `ssf_protection_free`.
///
/// Thread safety: safe from any thread (it creates a new handle or reads static data).
///
/// # Safety
/// `kid` and `key` point to 16 readable bytes; `out` is valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_protection_new(
    kid: *const u8,
    key: *const u8,
    out: *mut *mut ssf_protection,
) -> ssf_status {
    run(|| {
        need(out, "out")?;
        let kid = Kid::from_bytes_be(key16(kid, "kid")?);
        let mut raw = key16(key, "key")?;
        let key = ContentKey::from_bytes(raw);
        // The array is a copy: wipe it so the key lives only in the ContentKey.
        zeroize::Zeroize::zeroize(&mut raw);
        // SAFETY: checked non-NULL.
        unsafe {
            write_out(
                out,
                into_handle::<ssf_protection>(Protection::new(kid, key)),
            )
        };
        Ok(())
    })
}

/// Creates PlayReady protection whose content key is derived from a key seed (at least
/// 30 bytes) and the key ID (16 bytes, UUID text order).
///
/// Thread safety: safe from any thread (it creates a new handle or reads static data).
///
/// # Safety
/// `kid` points to 16 readable bytes, `seed` to `seed_len`; `out` is valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_protection_from_key_seed(
    kid: *const u8,
    seed: *const u8,
    seed_len: usize,
    out: *mut *mut ssf_protection,
) -> ssf_status {
    run(|| {
        need(out, "out")?;
        let kid = Kid::from_bytes_be(key16(kid, "kid")?);
        // SAFETY: per the contract.
        let seed = KeySeed::from_bytes(unsafe { bytes(seed, seed_len, "seed") }?)?;
        let protection = Protection::from_key_seed(kid, &seed);
        // SAFETY: checked non-NULL.
        unsafe { write_out(out, into_handle::<ssf_protection>(protection)) };
        Ok(())
    })
}

/// Sets the license acquisition URL (`LA_URL` of the PlayReady header).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `protection` is NULL or a live handle; `url` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_protection_set_la_url(
    protection: *mut ssf_protection,
    url: *const c_char,
) -> ssf_status {
    run(|| {
        // SAFETY: per the contract.
        let mut p = unsafe { handle_mut(protection, "protection") }?;
        // SAFETY: per the contract.
        let url = unsafe { utf8(url, "url") }?;
        *p = p.clone().la_url(url);
        p.validate()?;
        Ok(())
    })
}

/// Sets the license UI URL (`LUI_URL` of the PlayReady header).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `protection` is NULL or a live handle; `url` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_protection_set_lui_url(
    protection: *mut ssf_protection,
    url: *const c_char,
) -> ssf_status {
    run(|| {
        // SAFETY: per the contract.
        let mut p = unsafe { handle_mut(protection, "protection") }?;
        // SAFETY: per the contract.
        let url = unsafe { utf8(url, "url") }?;
        *p = p.clone().lui_url(url);
        p.validate()?;
        Ok(())
    })
}

/// Sets the first 8-byte IV (stream n starts at `iv + (n << 48)`); random otherwise.
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `protection` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_protection_set_first_iv(
    protection: *mut ssf_protection,
    iv: u64,
) -> ssf_status {
    run(|| {
        // SAFETY: per the contract.
        let mut p = unsafe { handle_mut(protection, "protection") }?;
        *p = p.clone().first_iv(iv);
        Ok(())
    })
}

/// Frees protection settings and wipes the key; NULL is a no-op.
///
/// Thread safety: no call may use the handle after this one. If a call on another thread
/// is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
/// so): free it again once that call returned.
///
/// # Safety
/// `protection` is NULL or a live handle, not used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_protection_free(protection: *mut ssf_protection) {
    boundary((), || {
        // SAFETY: per the contract.
        unsafe { free_handle(protection, "protection") };
    })
}

// ---------------------------------------------------------------- stream config

fn new_config(out: *mut *mut ssf_stream_config, config: StreamConfig) {
    // SAFETY: callers check `out` for NULL first.
    unsafe { write_out(out, into_handle::<ssf_stream_config>(config)) };
}

fn nal_format(nal_length_size: u32) -> Result<NalFormat, Failure> {
    match nal_length_size {
        0 => Ok(NalFormat::AnnexB),
        n @ (1 | 2 | 4) => Ok(NalFormat::LengthPrefixed(n as u8)),
        n => Err(Failure::invalid(format!(
            "NAL length size {n}: 0 (Annex B start codes), 1, 2 or 4 expected"
        ))),
    }
}

/// An H.264 stream from an `avcC` record; samples use the avcC's NAL length size.
///
/// Thread safety: safe from any thread (it creates a new handle or reads static data).
///
/// # Safety
/// `avcc` points to `avcc_len` readable bytes; `out` is valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_stream_config_h264(
    avcc: *const u8,
    avcc_len: usize,
    out: *mut *mut ssf_stream_config,
) -> ssf_status {
    run(|| {
        need(out, "out")?;
        // SAFETY: per the contract.
        let avcc = unsafe { bytes(avcc, avcc_len, "avcc") }?;
        new_config(out, StreamConfig::h264(avcc)?);
        Ok(())
    })
}

/// An H.264 stream from one SPS and one PPS NAL unit (no start code or length);
/// samples are framed with `nal_length_size`-byte lengths (1, 2, 4) or start codes (0).
///
/// Thread safety: safe from any thread (it creates a new handle or reads static data).
///
/// # Safety
/// `sps`/`pps` point to their lengths in readable bytes; `out` is valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_stream_config_h264_parameter_sets(
    sps: *const u8,
    sps_len: usize,
    pps: *const u8,
    pps_len: usize,
    nal_length_size: u32,
    out: *mut *mut ssf_stream_config,
) -> ssf_status {
    run(|| {
        need(out, "out")?;
        // SAFETY: per the contract.
        let sps = unsafe { bytes(sps, sps_len, "sps") }?;
        // SAFETY: per the contract.
        let pps = unsafe { bytes(pps, pps_len, "pps") }?;
        let config = StreamConfig::h264_parameter_sets(
            Bytes::copy_from_slice(sps),
            Bytes::copy_from_slice(pps),
            nal_format(nal_length_size)?,
        )?;
        new_config(out, config);
        Ok(())
    })
}

/// An H.264 stream whose SPS and PPS come in band with the first IDR sample; samples are
/// framed with `nal_length_size`-byte lengths (1, 2, 4) or start codes (0).
///
/// Thread safety: safe from any thread (it creates a new handle or reads static data).
///
/// # Safety
/// `out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_stream_config_h264_in_band(
    nal_length_size: u32,
    out: *mut *mut ssf_stream_config,
) -> ssf_status {
    run(|| {
        need(out, "out")?;
        new_config(
            out,
            StreamConfig::h264_in_band(nal_format(nal_length_size)?)?,
        );
        Ok(())
    })
}

/// An AAC stream from its AudioSpecificConfig; samples are raw AAC frames (no ADTS).
///
/// Thread safety: safe from any thread (it creates a new handle or reads static data).
///
/// # Safety
/// `asc` points to `asc_len` readable bytes; `out` is valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_stream_config_aac(
    asc: *const u8,
    asc_len: usize,
    out: *mut *mut ssf_stream_config,
) -> ssf_status {
    run(|| {
        need(out, "out")?;
        // SAFETY: per the contract.
        let asc = unsafe { bytes(asc, asc_len, "asc") }?;
        new_config(out, StreamConfig::aac(asc)?);
        Ok(())
    })
}

/// Applies a `StreamConfig` builder method to the handle.
fn update_config(
    config: *mut ssf_stream_config,
    f: impl FnOnce(StreamConfig) -> Result<StreamConfig, Failure>,
) -> ssf_status {
    run(|| {
        // SAFETY: public callers document a live handle or NULL.
        let mut c = unsafe { handle_mut(config, "config") }?;
        *c = f(c.clone())?;
        Ok(())
    })
}

/// Sets the average bit rate in bits per second (0: measured from the samples).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `config` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_stream_config_set_bitrate(
    config: *mut ssf_stream_config,
    bits_per_second: u32,
) -> ssf_status {
    update_config(config, |c| Ok(c.bitrate(bits_per_second)))
}

/// Sets the ticks per second of this stream's sample times (default 10 000 000).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `config` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_stream_config_set_timescale(
    config: *mut ssf_stream_config,
    ticks_per_second: u32,
) -> ssf_status {
    update_config(config, |c| Ok(c.timescale(ticks_per_second)))
}

/// Sets the ISO 639-2 language code, e.g. "eng".
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `config` is NULL or a live handle; `language` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_stream_config_set_language(
    config: *mut ssf_stream_config,
    language: *const c_char,
) -> ssf_status {
    // SAFETY: per the contract.
    update_config(config, |c| {
        Ok(c.language(unsafe { utf8(language, "language") }?))
    })
}

/// Sets the StreamIndex name in the manifests (default "video" / "audio").
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `config` is NULL or a live handle; `name` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_stream_config_set_track_name(
    config: *mut ssf_stream_config,
    name: *const c_char,
) -> ssf_status {
    // SAFETY: per the contract.
    update_config(config, |c| Ok(c.track_name(unsafe { utf8(name, "name") }?)))
}

/// Sets the file name the server manifest points at (and the VOD writer writes).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `config` is NULL or a live handle; `name` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_stream_config_set_source_file_name(
    config: *mut ssf_stream_config,
    name: *const c_char,
) -> ssf_status {
    // SAFETY: per the contract.
    update_config(config, |c| {
        Ok(c.source_file_name(unsafe { utf8(name, "name") }?))
    })
}

/// Frees a stream description; NULL is a no-op.
///
/// Thread safety: no call may use the handle after this one. If a call on another thread
/// is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
/// so): free it again once that call returned.
///
/// # Safety
/// `config` is NULL or a live handle, not used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_stream_config_free(config: *mut ssf_stream_config) {
    boundary((), || {
        // SAFETY: per the contract.
        unsafe { free_handle(config, "config") };
    })
}

// ---------------------------------------------------------------- muxer

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
    run(|| {
        need(out, "out")?;
        let options = if options.is_null() {
            Options::default()
        } else {
            // SAFETY: per the contract.
            unsafe { handle_ref(options, "options") }?.clone()
        };
        let handle = MuxerHandle {
            mux: Muxer::new(options)?,
            output: Vec::new(),
            error: CString::default(),
        };
        // SAFETY: checked non-NULL.
        unsafe { write_out(out, into_handle::<ssf_muxer>(handle)) };
        Ok(())
    })
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
    boundary((), || {
        // SAFETY: per the contract.
        unsafe { free_handle(muxer, "muxer") };
    })
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
    last_error_of(muxer, "muxer", |h| &h.error)
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
    on_handle(muxer, "muxer", muxer_error, |h| {
        need(out_stream, "out_stream")?;
        // SAFETY: per the contract.
        let config = unsafe { handle_ref(config, "config") }?.clone();
        let id = h.mux.add_stream(config)?;
        // SAFETY: checked non-NULL.
        unsafe { write_out(out_stream, stream_number(id)?) };
        Ok(())
    })
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
    on_handle(muxer, "muxer", muxer_error, |h| {
        need(out_fragment, "out_fragment")?;
        // SAFETY: per the contract.
        let sample = unsafe { sample_from(sample) }?;
        let fragment = h.mux.push(stream_id(stream), sample)?;
        hand_out_fragment(&mut h.output, fragment, out_fragment);
        Ok(())
    })
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
    on_handle(muxer, "muxer", muxer_error, |h| {
        need(out_fragment, "out_fragment")?;
        let fragment = h.mux.flush(stream_id(stream))?;
        hand_out_fragment(&mut h.output, fragment, out_fragment);
        Ok(())
    })
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
    on_handle(muxer, "muxer", muxer_error, |h| {
        need(out_fragment, "out_fragment")?;
        let fragment = h.mux.flush_at(stream_id(stream), end_time)?;
        hand_out_fragment(&mut h.output, fragment, out_fragment);
        Ok(())
    })
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
    on_handle(muxer, "muxer", muxer_error, |h| {
        need(out, "out")?;
        // SAFETY: per the contract.
        let ids = stream_ids(unsafe { items(streams, count, "streams") }?);
        let header = h.mux.header(&ids)?;
        hand_out(&mut h.output, header.to_vec(), 0, 0, out);
        Ok(())
    })
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
    on_handle(muxer, "muxer", muxer_error, |h| {
        need(out, "out")?;
        // SAFETY: per the contract.
        let ids = stream_ids(unsafe { items(streams, count, "streams") }?);
        let index = h.mux.index(&ids)?;
        hand_out(&mut h.output, index.to_vec(), 0, 0, out);
        Ok(())
    })
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
    on_handle(muxer, "muxer", muxer_error, |h| {
        need(out, "out")?;
        let xml = h.mux.client_manifest()?;
        hand_out(&mut h.output, xml.into_bytes(), 0, 0, out);
        Ok(())
    })
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
    on_handle(muxer, "muxer", muxer_error, |h| {
        need(out, "out")?;
        // SAFETY: per the contract.
        let path = unsafe { utf8(client_manifest_path, "client_manifest_path") }?;
        let xml = h.mux.server_manifest(path)?;
        hand_out(&mut h.output, xml.into_bytes(), 0, 0, out);
        Ok(())
    })
}

// ---------------------------------------------------------------- VOD writer

fn open_writer(h: &mut VodHandle) -> Result<&mut VodWriter, Failure> {
    h.vod.as_mut().ok_or_else(|| {
        Failure::new(
            ssf_status::SSF_STATUS_INVALID_STATE,
            "the VOD writer is already finished",
        )
    })
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
    run(|| {
        need(out, "out")?;
        // SAFETY: per the contract.
        let dir = unsafe { utf8(dir, "dir") }?;
        // SAFETY: per the contract.
        let name = unsafe { utf8(name, "name") }?;
        let options = if options.is_null() {
            Options::default()
        } else {
            // SAFETY: per the contract.
            unsafe { handle_ref(options, "options") }?.clone()
        };
        let handle = VodHandle {
            vod: Some(VodWriter::create(dir, name, options)?),
            error: CString::default(),
        };
        // SAFETY: checked non-NULL.
        unsafe { write_out(out, into_handle::<ssf_vod_writer>(handle)) };
        Ok(())
    })
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
    boundary((), || {
        // SAFETY: per the contract.
        unsafe { free_handle(writer, "writer") };
    })
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
    last_error_of(writer, "writer", |h| &h.error)
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
    on_handle(writer, "writer", vod_error, |h| {
        need(out_stream, "out_stream")?;
        // SAFETY: per the contract.
        let config = unsafe { handle_ref(config, "config") }?.clone();
        let id = open_writer(h)?.add_stream(config)?;
        // SAFETY: checked non-NULL.
        unsafe { write_out(out_stream, stream_number(id)?) };
        Ok(())
    })
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
    on_handle(writer, "writer", vod_error, |h| {
        // SAFETY: per the contract.
        let sample = unsafe { sample_from(sample) }?;
        open_writer(h)?.push(stream_id(stream), sample)?;
        Ok(())
    })
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
    on_handle(writer, "writer", vod_error, |h| {
        open_writer(h)?.flush(stream_id(stream))?;
        Ok(())
    })
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
    on_handle(writer, "writer", vod_error, |h| {
        open_writer(h)?.set_bitrate(stream_id(stream), bits_per_second)?;
        Ok(())
    })
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
    on_handle(writer, "writer", vod_error, |h| {
        open_writer(h)?;
        if let Some(vod) = h.vod.take() {
            vod.finish()?;
        }
        Ok(())
    })
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
    on_handle(writer, "writer", vod_error, |h| {
        open_writer(h)?;
        if let Some(vod) = h.vod.take() {
            vod.abort()?;
        }
        Ok(())
    })
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
