//! The compatible API's strings: NUL-terminated UTF-16 (`LPCWSTR`), as on Windows.

use super::types::LPCWSTR;
use crate::ffi::status::{Failure, ssf_status};

/// Longest wide string read (in code units) before a missing terminator is assumed.
pub(super) const MAX_WIDE_STRING: usize = 1 << 16;

/// The text of UTF-16 code units.
pub(super) fn utf16_text(units: &[u16], what: &str) -> Result<String, Failure> {
    String::from_utf16(units).map_err(|_| {
        Failure::new(
            ssf_status::SSF_STATUS_INVALID_STRING,
            format!("{what} is not valid UTF-16"),
        )
    })
}

/// Reads a NUL-terminated wide string; None for NULL.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated UTF-16 string.
pub(super) unsafe fn wide(ptr: LPCWSTR, what: &str) -> Result<Option<String>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    let mut len = 0;
    // SAFETY: per the contract, every unit up to the terminator is readable.
    while unsafe { *ptr.add(len) } != 0 {
        len += 1;
        if len > MAX_WIDE_STRING {
            return Err(Failure::invalid(format!(
                "{what} has no terminator within {MAX_WIDE_STRING} characters"
            )));
        }
    }
    // SAFETY: the `len` units before the terminator were just read.
    let units = unsafe { std::slice::from_raw_parts(ptr, len) };
    utf16_text(units, what).map(Some)
}
