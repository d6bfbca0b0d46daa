//! How the compatible API reports: HRESULT codes for the library's statuses (every call
//! goes through [`run_as`](crate::ffi::status::run_as) with them), and the message of the last failure.

use std::ffi::c_char;

use super::muxer::SsfMux;
use super::types::{HRESULT, SSFMUXHANDLE};
use crate::ffi::handle::last_error;
use crate::ffi::status::{Outcome, boundary, ssf_status, thread_error};

// HRESULT values (the header defines the same names for C callers).
/// Success.
pub(super) const S_OK: HRESULT = 0;
/// Success with nothing to give (no fragment pending, an option never set).
pub(super) const S_FALSE: HRESULT = 1;
const E_NOTIMPL: HRESULT = 0x8000_4001_u32 as i32;
const E_POINTER: HRESULT = 0x8000_4003_u32 as i32;
const E_FAIL: HRESULT = 0x8000_4005_u32 as i32;
const E_UNEXPECTED: HRESULT = 0x8000_FFFF_u32 as i32;
const E_OUTOFMEMORY: HRESULT = 0x8007_000E_u32 as i32;
const E_INVALIDARG: HRESULT = 0x8007_0057_u32 as i32;
/// HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER).
pub(super) const E_NOT_SUFFICIENT_BUFFER: HRESULT = 0x8007_007A_u32 as i32;

/// The HRESULT of a status.
pub(super) fn hresult(status: ssf_status) -> HRESULT {
    use ssf_status::*;
    match status {
        SSF_STATUS_OK => S_OK,
        SSF_STATUS_NULL_PARAMETER => E_POINTER,
        SSF_STATUS_INVALID_ARGUMENT
        | SSF_STATUS_INVALID_CONFIG
        | SSF_STATUS_MALFORMED
        | SSF_STATUS_UNKNOWN_STREAM
        | SSF_STATUS_INVALID_SAMPLE
        | SSF_STATUS_INVALID_STRING
        | SSF_STATUS_INVALID_URL => E_INVALIDARG,
        SSF_STATUS_INVALID_STATE
        | SSF_STATUS_IO
        | SSF_STATUS_LIVE_FAILED
        | SSF_STATUS_LIVE_SETUP => E_FAIL,
        SSF_STATUS_UNSUPPORTED => E_NOTIMPL,
        SSF_STATUS_OUTPUT_TOO_LARGE => E_OUTOFMEMORY,
        // The original has no busy code; E_UNEXPECTED is its answer to a call that
        // should not have happened now.
        SSF_STATUS_BUSY | SSF_STATUS_PANIC => E_UNEXPECTED,
    }
}

impl Outcome for HRESULT {
    const PANIC: Self = E_UNEXPECTED;
    fn failed(status: ssf_status) -> Self {
        hresult(status)
    }
}

/// Extension (not in the original SDK): the message of the last failed call on
/// `hSSFMux`, or of the calling thread's last failure when `hSSFMux` is NULL ("" if
/// none). Owned by the library; valid until the next call on the handle (or the next
/// failing call on the thread).
///
/// Thread safety: may overlap other calls that only read the handle (none of the
/// original's do); while another thread's call is inside it, this returns the busy
/// message instead.
///
/// # Safety
/// `hSSFMux` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxGetLastErrorMessage(hSSFMux: SSFMUXHANDLE) -> *const c_char {
    if hSSFMux.is_null() {
        return boundary(c"".as_ptr(), thread_error);
    }
    // SAFETY: per the contract.
    unsafe { last_error(hSSFMux.cast_const().cast::<SsfMux>(), "hSSFMux") }
}
