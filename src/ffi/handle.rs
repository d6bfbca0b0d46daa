//! Typed conversions between opaque C handles and the Rust values behind them, and the
//! guard that keeps two threads out of one handle.
//!
//! Every handle is a `Box<Guarded<T>>`: the Rust value plus an atomic use counter. The C
//! side only ever sees a pointer to an empty struct, and these helpers are the only places
//! that cast between the two. Every call borrows its handle through [`handle_mut`] (the
//! call changes it) or [`handle_ref`] (the call only reads it); the borrow is a guard
//! that marks the handle in use until the call returns. A call that finds its handle in
//! use by another thread gets `SSF_STATUS_BUSY` instead of a second reference to the
//! same memory, so a caller that breaks the one-thread-at-a-time rule gets an error code
//! rather than a corrupted heap. Calls that only read may overlap each other.

use std::cell::UnsafeCell;
use std::ffi::{CStr, c_char};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::status::{Failure, set_thread_error, ssf_status};

/// Ties an opaque C type to the Rust type its pointer really points to.
pub(crate) trait Castable {
    /// The Rust value behind the handle.
    type Rust;
}

/// The use counter's value while one call changes the handle.
const EXCLUSIVE: usize = usize::MAX;

/// What a handle's pointer points to: the value and how it is in use right now (0: not
/// at all, [`EXCLUSIVE`]: by one call that changes it, n: by n calls that only read it).
pub(crate) struct Guarded<T> {
    users: AtomicUsize,
    value: UnsafeCell<T>,
}

/// A call's exclusive borrow of a handle; the handle is free again when it drops.
pub(crate) struct Exclusive<'a, T> {
    cell: &'a Guarded<T>,
}

/// A call's shared (read-only) borrow of a handle; other readers may hold one too.
pub(crate) struct Shared<'a, T> {
    cell: &'a Guarded<T>,
}

impl<T> Deref for Exclusive<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the counter is EXCLUSIVE while this guard lives: no other reference to
        // the value exists.
        unsafe { &*self.cell.value.get() }
    }
}

impl<T> DerefMut for Exclusive<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in deref; `&mut self` makes the borrow unique within this thread too.
        unsafe { &mut *self.cell.value.get() }
    }
}

impl<T> Drop for Exclusive<'_, T> {
    fn drop(&mut self) {
        self.cell.users.store(0, Ordering::Release);
    }
}

impl<T> Deref for Shared<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: while any Shared guard lives the counter is neither 0 nor EXCLUSIVE, so
        // no exclusive borrow can be taken: every reference to the value is shared.
        unsafe { &*self.cell.value.get() }
    }
}

impl<T> Drop for Shared<'_, T> {
    fn drop(&mut self) {
        self.cell.users.fetch_sub(1, Ordering::Release);
    }
}

/// The failure of a call that finds its handle in use by another thread.
pub(crate) fn busy(what: &str) -> Failure {
    Failure::new(
        ssf_status::SSF_STATUS_BUSY,
        format!(
            "{what} is in use by another thread: calls on one handle must not overlap \
             (SSF_STATUS_BUSY; nothing was done, try again once the other call returned)"
        ),
    )
}

impl<T> Guarded<T> {
    fn new(value: T) -> Self {
        Self {
            users: AtomicUsize::new(0),
            value: UnsafeCell::new(value),
        }
    }

    fn exclusive(&self, what: &str) -> Result<Exclusive<'_, T>, Failure> {
        self.users
            .compare_exchange(0, EXCLUSIVE, Ordering::Acquire, Ordering::Relaxed)
            .map(|_| Exclusive { cell: self })
            .map_err(|_| busy(what))
    }

    fn shared(&self, what: &str) -> Result<Shared<'_, T>, Failure> {
        // EXCLUSIVE - 1 readers would make the next one look exclusive: refuse it too
        // (unreachable in practice, but the counter must never wrap).
        self.users
            .fetch_update(Ordering::Acquire, Ordering::Relaxed, |n| {
                (n < EXCLUSIVE - 1).then(|| n + 1)
            })
            .map(|_| Shared { cell: self })
            .map_err(|_| busy(what))
    }
}

/// Moves `value` to the heap and returns it as the C handle type.
pub(crate) fn into_handle<C: Castable>(value: C::Rust) -> *mut C {
    Box::into_raw(Box::new(Guarded::new(value))).cast::<C>()
}

/// Frees a handle made by [`into_handle`]; NULL is a no-op (`SSF_STATUS_OK`).
///
/// A handle in use by a call on another thread is not freed: freeing it would pull the
/// memory from under that call. The thread's last error says so and `SSF_STATUS_BUSY` is
/// returned; the handle stays valid and can be freed once the other call returned (a
/// caller that never does so leaks it, which is the safe outcome of that race). A call
/// that starts on another thread after the handle is freed uses freed memory: that is
/// the caller's bug, and no flag inside the freed memory can catch it.
///
/// # Safety
/// `ptr` is NULL or came from [`into_handle`] for the same `C` and was not freed before.
pub(crate) unsafe fn free_handle<C: Castable>(ptr: *mut C, what: &str) -> ssf_status {
    let cell = ptr.cast::<Guarded<C::Rust>>();
    // SAFETY: per the contract, NULL or a live Guarded; only its atomic is touched here.
    let Some(guarded) = (unsafe { cell.as_ref() }) else {
        return ssf_status::SSF_STATUS_OK;
    };
    // Taken and never released: nobody may use the handle from here on.
    if guarded
        .users
        .compare_exchange(0, EXCLUSIVE, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        let failure = busy(what);
        set_thread_error(&format!("not freed: {}", failure.message));
        return failure.status;
    }
    // SAFETY: per the contract, a live Box made by into_handle, now ours alone.
    drop(unsafe { Box::from_raw(cell) });
    ssf_status::SSF_STATUS_OK
}

/// Borrows the value behind a handle for a call that changes it.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C` (not freed).
pub(crate) unsafe fn handle_mut<'a, C: Castable>(
    ptr: *mut C,
    what: &str,
) -> Result<Exclusive<'a, C::Rust>, Failure>
where
    C::Rust: Send,
{
    // SAFETY: per the contract; only a shared reference to the Guarded is made, whose
    // value sits in an UnsafeCell, so it may coexist with another thread's guard.
    let cell =
        unsafe { ptr.cast::<Guarded<C::Rust>>().as_ref() }.ok_or_else(|| Failure::null(what))?;
    cell.exclusive(what)
}

/// Borrows the value behind a handle for a call that only reads it.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C` (not freed).
pub(crate) unsafe fn handle_ref<'a, C: Castable>(
    ptr: *const C,
    what: &str,
) -> Result<Shared<'a, C::Rust>, Failure>
where
    C::Rust: Send + Sync,
{
    // SAFETY: as in handle_mut.
    let cell =
        unsafe { ptr.cast::<Guarded<C::Rust>>().as_ref() }.ok_or_else(|| Failure::null(what))?;
    cell.shared(what)
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
