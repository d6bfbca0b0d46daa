//! Typed conversions between opaque C handles and the Rust values behind them, the guard
//! that keeps two threads out of one handle, and the shapes every handle's functions
//! share (written once here, so an exported function is its signature, its docs and a
//! body that says only what is particular to it):
//! - [`create`]: every constructor (`*_new`, `*_create`, `*_connect`);
//! - [`free`]: every native `*_free`;
//! - [`modify`] and [`update`]: every call on a builder handle (options, protection,
//!   stream config, live options);
//! - [`KeepsError`], [`on_handle`], [`call`], [`read`] and [`last_error`]: every call on
//!   a handle that keeps its last failure's message (muxer, VOD writer, live publisher,
//!   input and the compatible API's `SSFMUXHANDLE`), and its `*_last_error`;
//! - [`bytes()`], [`items`], [`utf8`], [`need`] and [`write_out`]: arguments in and out,
//!   and [`Output`], the bytes a call hands out and its handle keeps.
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
use std::ffi::{CStr, CString, c_char};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::mux::Fragment;

use super::status::{
    Failure, boundary, c_message, run, set_thread_error, ssf_status, thread_error,
};

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
    // SAFETY: per the contract.
    unsafe { slice(ptr, len, what, "length") }
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
    // SAFETY: per the contract.
    unsafe { slice(ptr, count, what, "count") }
}

/// [`bytes()`] and [`items`]: `count` is called `noun` in the message refusing it.
///
/// # Safety
/// As [`items`].
unsafe fn slice<'a, T>(
    ptr: *const T,
    count: usize,
    what: &str,
    noun: &str,
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
        return Err(Failure::invalid(format!(
            "{what}: {noun} {count} is absurd"
        )));
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

/// Checks an output pointer before any work, so outputs are written only on success.
pub(crate) fn need<T>(ptr: *const T, what: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        Err(Failure::null(what))
    } else {
        Ok(())
    }
}

/// What a call hands out as bytes its handle keeps (`ssf_output`, `SSF_BUFFER`): the
/// bytes, and a fragment's time and duration (0 for anything else).
pub(crate) struct Output {
    pub(crate) bytes: Vec<u8>,
    pub(crate) time: u64,
    pub(crate) duration: u64,
}

impl From<Vec<u8>> for Output {
    /// Bytes that are not a fragment.
    fn from(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            time: 0,
            duration: 0,
        }
    }
}

impl TryFrom<Fragment> for Output {
    type Error = Failure;

    /// A fragment's bytes (payloads left in files read), time and duration.
    fn try_from(f: Fragment) -> Result<Self, Failure> {
        let bytes = f.to_vec().map_err(|e| {
            Failure::new(
                ssf_status::SSF_STATUS_IO,
                format!("reading a fragment's payload from its file: {e}"),
            )
        })?;
        Ok(Self {
            bytes,
            time: f.time,
            duration: f.duration,
        })
    }
}

impl TryFrom<Option<Fragment>> for Output {
    type Error = Failure;

    /// A fragment, or nothing when none closed.
    fn try_from(fragment: Option<Fragment>) -> Result<Self, Failure> {
        fragment.map_or_else(|| Ok(Vec::new().into()), Output::try_from)
    }
}

// ---------------------------------------------------------------- shapes of calls

/// Makes a handle of type `C` from what `make` returns and writes it to `*out`: the body
/// of every native constructor. `out` is checked before anything is made, so a failed
/// call writes nothing.
///
/// # Safety
/// `out` is NULL or valid for writing a pointer.
pub(crate) unsafe fn create<C: Castable>(
    out: *mut *mut C,
    make: impl FnOnce() -> Result<C::Rust, Failure>,
) -> ssf_status {
    run(|| {
        need(out, "out")?;
        let value = make()?;
        // SAFETY: checked non-NULL above; the contract makes it writable.
        unsafe { write_out(out, into_handle::<C>(value)) };
        Ok(())
    })
}

/// Frees a handle inside the panic boundary: the body of every native `*_free`, which
/// returns nothing (a refusal is explained in the thread's last error, see
/// [`free_handle`]).
///
/// # Safety
/// As [`free_handle`].
pub(crate) unsafe fn free<C: Castable>(ptr: *mut C, what: &str) {
    boundary((), || {
        // SAFETY: per the contract.
        unsafe { free_handle(ptr, what) };
    })
}

/// Runs `body` on the value behind a handle it changes, inside the panic boundary; a
/// failure is the thread's last error. The body of every call on a builder handle.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`.
pub(crate) unsafe fn modify<C: Castable>(
    ptr: *mut C,
    what: &str,
    body: impl FnOnce(&mut C::Rust) -> Result<(), Failure>,
) -> ssf_status
where
    C::Rust: Send,
{
    run(|| {
        // SAFETY: per the contract.
        let mut value = unsafe { handle_mut(ptr, what) }?;
        body(&mut value)
    })
}

/// Replaces the value behind a builder handle with what `f` makes of a copy of it (the
/// Rust builders take `self`): the body of the setters that call one builder method. A
/// failure leaves the handle as it was.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`.
pub(crate) unsafe fn update<C: Castable>(
    ptr: *mut C,
    what: &str,
    f: impl FnOnce(C::Rust) -> Result<C::Rust, Failure>,
) -> ssf_status
where
    C::Rust: Clone + Send,
{
    // SAFETY: per the contract.
    unsafe {
        modify(ptr, what, |value| {
            *value = f(value.clone())?;
            Ok(())
        })
    }
}

/// The value behind a handle whose calls keep their failure's message in it, for
/// `*_last_error(handle)`: the muxer, the VOD writer, the live publisher and the
/// compatible API's `SSFMUXHANDLE`. Calls reach the value through [`on_handle`] (or
/// [`call`]) and the message through [`last_error`].
pub(crate) struct KeepsError<T> {
    value: T,
    /// The message of the last failed call on the handle ("" if none).
    error: CString,
}

impl<T> KeepsError<T> {
    /// A handle's value with no failure yet.
    pub(crate) fn new(value: T) -> Self {
        Self {
            value,
            error: CString::default(),
        }
    }
}

/// Runs `body` on the value behind a handle that keeps its errors, borrowed for a call
/// that changes it; a failure of `body` is kept in the handle. Not a panic boundary:
/// each API wraps it in its own [`run_as`](super::status::run_as) ([`call`] for the native
/// one), which also keeps the failure as the thread's last error.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`.
pub(crate) unsafe fn on_handle<C, T, R>(
    ptr: *mut C,
    what: &str,
    body: impl FnOnce(&mut T) -> Result<R, Failure>,
) -> Result<R, Failure>
where
    C: Castable<Rust = KeepsError<T>>,
    T: Send,
{
    // SAFETY: per the contract.
    let mut guard = unsafe { handle_mut(ptr, what) }?;
    let handle = &mut *guard;
    body(&mut handle.value).inspect_err(|f| handle.error = c_message(&f.message))
}

/// [`on_handle`] inside the panic boundary, returning an `ssf_status`: the body of every
/// native call on a muxer, VOD writer or live publisher.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`.
pub(crate) unsafe fn call<C, T>(
    ptr: *mut C,
    what: &str,
    body: impl FnOnce(&mut T) -> Result<(), Failure>,
) -> ssf_status
where
    C: Castable<Rust = KeepsError<T>>,
    T: Send,
{
    // SAFETY: per the contract.
    run(|| unsafe { on_handle(ptr, what, body) })
}

/// Runs `body` on the value behind a handle that keeps its errors, borrowed for a call
/// that only reads it (calls like it may overlap), inside the panic boundary. A failure
/// is the thread's last error only: a reader cannot write to the handle.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`.
pub(crate) unsafe fn read<C, T>(
    ptr: *const C,
    what: &str,
    body: impl FnOnce(&T) -> Result<(), Failure>,
) -> ssf_status
where
    C: Castable<Rust = KeepsError<T>>,
    T: Send + Sync,
{
    run(|| {
        // SAFETY: per the contract.
        let handle = unsafe { handle_ref(ptr, what) }?;
        body(&handle.value)
    })
}

/// The message a `*_last_error(handle)` call returns: the one kept in the handle, or,
/// when the handle is NULL or in use by another thread, why not (kept as the thread's
/// last error, which owns the string).
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`.
pub(crate) unsafe fn last_error<C, T>(ptr: *const C, what: &str) -> *const c_char
where
    C: Castable<Rust = KeepsError<T>>,
    T: Send + Sync,
{
    boundary(c"".as_ptr(), || {
        // SAFETY: per the contract.
        match unsafe { handle_ref(ptr, what) } {
            // The pointer outlives the guard: it stays valid until the next call on the
            // handle, as documented.
            Ok(h) => h.error.as_ptr(),
            Err(f) => {
                set_thread_error(&f.message);
                thread_error()
            }
        }
    })
}

/// What a call on a finished `what` (a VOD writer, a live publisher: handles whose Rust
/// value is gone once finished) fails with.
fn finished(what: &str) -> Failure {
    Failure::new(
        ssf_status::SSF_STATUS_INVALID_STATE,
        format!("the {what} is already finished"),
    )
}

/// The Rust value of a handle that is gone once finished, for a call that uses it.
pub(crate) fn unfinished<'a, T>(slot: &'a mut Option<T>, what: &str) -> Result<&'a mut T, Failure> {
    slot.as_mut().ok_or_else(|| finished(what))
}

/// The Rust value of a handle that is gone once finished, taken by the call that
/// finishes it (finish, abort).
pub(crate) fn take_unfinished<T>(slot: &mut Option<T>, what: &str) -> Result<T, Failure> {
    slot.take().ok_or_else(|| finished(what))
}
