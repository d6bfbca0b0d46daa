//! The `ssf_stream_config` handle over [`StreamConfig`]: one stream's description, made
//! by a codec's constructor and adjusted by the setters; adding it to a sink copies it.

use std::ffi::c_char;

use bytes::Bytes;

use super::handle::{Castable, bytes, create, free, update, utf8};
use super::status::{Failure, ssf_status};
use crate::codec::avc::NalFormat;
use crate::mux::StreamConfig;

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

/// The NAL framing of a C `nal_length_size`: 0 for Annex B start codes, else the length
/// field's size.
fn nal_format(nal_length_size: u32) -> Result<NalFormat, Failure> {
    match nal_length_size {
        0 => Ok(NalFormat::AnnexB),
        n @ (1 | 2 | 4) => Ok(NalFormat::LengthPrefixed(n as u8)),
        n => Err(Failure::invalid(format!(
            "NAL length size {n}: 0 (Annex B start codes), 1, 2 or 4 expected"
        ))),
    }
}

/// The body of the constructors from one codec configuration record: `make` builds the
/// config from the `(ptr, len)` bytes, called `what`.
///
/// # Safety
/// `ptr` points to `len` readable bytes; `out` is NULL or valid for writing a pointer.
unsafe fn from_record(
    ptr: *const u8,
    len: usize,
    what: &str,
    out: *mut *mut ssf_stream_config,
    make: impl FnOnce(&[u8]) -> crate::error::Result<StreamConfig>,
) -> ssf_status {
    let build = || {
        // SAFETY: per the contract.
        let record = unsafe { bytes(ptr, len, what) }?;
        Ok(make(record)?)
    };
    // SAFETY: per the contract.
    unsafe { create(out, build) }
}

/// Sets a text field of the handle's config with `set`.
///
/// # Safety
/// `config` is NULL or a live handle; `text` NULL or a NUL-terminated string.
unsafe fn set_text(
    config: *mut ssf_stream_config,
    text: *const c_char,
    what: &str,
    set: impl FnOnce(StreamConfig, &str) -> StreamConfig,
) -> ssf_status {
    let body = |c: StreamConfig| {
        // SAFETY: per the contract.
        Ok(set(c, unsafe { utf8(text, what) }?))
    };
    // SAFETY: per the contract.
    unsafe { update(config, "config", body) }
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
    // SAFETY: per the contract.
    unsafe { from_record(avcc, avcc_len, "avcc", out, StreamConfig::h264) }
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
    let make = || {
        // SAFETY: per the contract.
        let sps = unsafe { bytes(sps, sps_len, "sps") }?;
        // SAFETY: per the contract.
        let pps = unsafe { bytes(pps, pps_len, "pps") }?;
        Ok(StreamConfig::h264_parameter_sets(
            Bytes::copy_from_slice(sps),
            Bytes::copy_from_slice(pps),
            nal_format(nal_length_size)?,
        )?)
    };
    // SAFETY: per the contract.
    unsafe { create(out, make) }
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
    // SAFETY: per the contract.
    unsafe {
        create(out, || {
            Ok(StreamConfig::h264_in_band(nal_format(nal_length_size)?)?)
        })
    }
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
    // SAFETY: per the contract.
    unsafe { from_record(asc, asc_len, "asc", out, StreamConfig::aac) }
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
    // SAFETY: per the contract.
    unsafe { update(config, "config", |c| Ok(c.bitrate(bits_per_second))) }
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
    // SAFETY: per the contract.
    unsafe { update(config, "config", |c| Ok(c.timescale(ticks_per_second))) }
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
    unsafe { set_text(config, language, "language", |c, l| c.language(l)) }
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
    unsafe { set_text(config, name, "name", |c, n| c.track_name(n)) }
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
    unsafe { set_text(config, name, "name", |c, n| c.source_file_name(n)) }
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
    // SAFETY: per the contract.
    unsafe { free(config, "config") }
}
