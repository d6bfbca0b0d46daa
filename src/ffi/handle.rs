//! Typed conversions between opaque C handles and the Rust values behind them. Every
//! handle is a `Box` of its Rust type; the C side only ever sees a pointer to an empty
//! struct, and these helpers are the only places that cast between the two.

use std::ffi::{CStr, c_char};

use super::status::{Failure, ssf_status};

/// Ties an opaque C type to the Rust type its pointer really points to.
pub(crate) trait Castable {
    /// The boxed Rust value behind the handle.
    type Rust;
}

/// Moves `value` to the heap and returns it as the C handle type.
pub(crate) fn into_handle<C: Castable>(value: C::Rust) -> *mut C {
    Box::into_raw(Box::new(value)).cast::<C>()
}

/// Frees a handle made by [`into_handle`]; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or came from [`into_handle`] for the same `C` and was not freed before.
pub(crate) unsafe fn free_handle<C: Castable>(ptr: *mut C) {
    if !ptr.is_null() {
        // SAFETY: per the contract, ptr is a live Box<C::Rust>.
        drop(unsafe { Box::from_raw(ptr.cast::<C::Rust>()) });
    }
}

/// Borrows the value behind a handle mutably.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`, not used by another thread meanwhile.
pub(crate) unsafe fn handle_mut<'a, C: Castable>(
    ptr: *mut C,
    what: &str,
) -> Result<&'a mut C::Rust, Failure> {
    // SAFETY: per the contract.
    unsafe { ptr.cast::<C::Rust>().as_mut() }.ok_or_else(|| Failure::null(what))
}

/// Borrows the value behind a handle.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`.
pub(crate) unsafe fn handle_ref<'a, C: Castable>(
    ptr: *const C,
    what: &str,
) -> Result<&'a C::Rust, Failure> {
    // SAFETY: per the contract.
    unsafe { ptr.cast::<C::Rust>().as_ref() }.ok_or_else(|| Failure::null(what))
}

/// Borrows `(ptr, len)` bytes; NULL with length 0 is the empty slice.
///
/// # Safety
/// When `len > 0`, `ptr` points to `len` readable bytes that stay valid for the call.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    if len > isize::MAX as usize {
        return Err(Failure::invalid(format!("{what}: length {len} is absurd")));
    }
    // SAFETY: per the contract; len is checked against isize::MAX above.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows `count` items of `T`; NULL with count 0 is the empty slice.
///
/// # Safety
/// When `count > 0`, `ptr` points to `count` initialised items that stay valid for the call.
pub(crate) unsafe fn items<'a, T>(
    ptr: *const T,
    count: usize,
    what: &str,
) -> Result<&'a [T], Failure> {
    if count == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    if count
        .checked_mul(size_of::<T>())
        .is_none_or(|n| n > isize::MAX as usize)
    {
        return Err(Failure::invalid(format!("{what}: count {count} is absurd")));
    }
    // SAFETY: per the contract; the total size is checked above.
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

/// Reads a NUL-terminated UTF-8 string.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for the call.
pub(crate) unsafe fn utf8<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: per the contract.
    unsafe { CStr::from_ptr(ptr) }.to_str().map_err(|_| {
        Failure::new(
            ssf_status::SSF_STATUS_INVALID_STRING,
            format!("{what} is not valid UTF-8"),
        )
    })
}

/// Writes `value` through an output pointer checked for NULL.
///
/// # Safety
/// `out` is NULL or valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: per the contract; NULL is skipped (callers check before doing any work).
    if let Some(slot) = unsafe { out.as_mut() } {
        *slot = value;
    }
}
