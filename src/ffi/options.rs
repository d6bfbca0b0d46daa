//! The `ssf_options` handle over [`Options`]: the muxer-wide options every native sink
//! (`ssf_muxer`, `ssf_vod_writer`, `ssf_live_publisher`) is created with.

use super::handle::{Castable, create, free, handle_ref, update};
use super::protection::ssf_protection;
use super::status::{Failure, ssf_status};
use crate::mux::Options;

/// Muxer-wide options (Rust `Options`). Create with `ssf_options_new`, free with
/// `ssf_options_free`. Calls on one handle must not
/// overlap: one that does gets `SSF_STATUS_BUSY`.
pub struct ssf_options {
    _private: [u8; 0],
}

impl Castable for ssf_options {
    type Rust = Options;
}

/// A copy of the options behind `options`, or the defaults for NULL: what every sink's
/// constructor takes.
///
/// # Safety
/// `options` is NULL or a live handle.
pub(crate) unsafe fn options_or_default(options: *const ssf_options) -> Result<Options, Failure> {
    if options.is_null() {
        return Ok(Options::default());
    }
    // SAFETY: per the contract.
    Ok(unsafe { handle_ref(options, "options") }?.clone())
}

/// Creates default options (timescale 10 000 000, automatic 2 s fragments, no
/// encryption) in `*out`. Free with `ssf_options_free`.
///
/// Thread safety: safe from any thread (it creates a new handle or reads static data).
///
/// # Safety
/// `out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_options_new(out: *mut *mut ssf_options) -> ssf_status {
    // SAFETY: per the contract.
    unsafe { create(out, || Ok(Options::default())) }
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
    // SAFETY: per the contract.
    unsafe { free(options, "options") }
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
    // SAFETY: per the contract.
    unsafe { update(options, "options", |o| Ok(o.fragment_seconds(seconds)?)) }
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
    // SAFETY: per the contract.
    unsafe { update(options, "options", |o| Ok(o.manual())) }
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
    // SAFETY: per the contract.
    unsafe { update(options, "options", |o| Ok(o.fragment_elements(on))) }
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
    let set = |o: Options| {
        // SAFETY: per the contract.
        let p = unsafe { handle_ref(protection, "protection") }?;
        Ok(o.protection(p.clone()))
    };
    // SAFETY: per the contract.
    unsafe { update(options, "options", set) }
}
