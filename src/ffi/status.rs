//! Status codes, error messages and the panic boundary shared by both C APIs.

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::Error;

/// The result of every native `ssf_*` call. Values are stable: a code is never
/// renumbered or reused, and retired codes stay listed here as comments.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ssf_status {
    /// Success.
    SSF_STATUS_OK = 0,
    /// A required pointer argument was NULL.
    SSF_STATUS_NULL_PARAMETER = 1,
    /// An argument or option is out of range (including absurd sizes and struct sizes
    /// that do not match this library's).
    SSF_STATUS_INVALID_ARGUMENT = 2,
    /// A codec configuration (avcC, SPS/PPS, AudioSpecificConfig, media type) was refused.
    SSF_STATUS_INVALID_CONFIG = 3,
    /// Bytes that do not follow their format.
    SSF_STATUS_MALFORMED = 4,
    /// A stream number this handle never returned.
    SSF_STATUS_UNKNOWN_STREAM = 5,
    /// A sample was refused (timing, size, keyframe rules).
    SSF_STATUS_INVALID_SAMPLE = 6,
    /// The call does not fit the handle's state (e.g. after finish).
    SSF_STATUS_INVALID_STATE = 7,
    /// A file could not be read or written.
    SSF_STATUS_IO = 8,
    /// The input asks for something this library does not implement yet.
    SSF_STATUS_UNSUPPORTED = 9,
    /// A string was not valid UTF-8 (native API) or UTF-16 (compatible API).
    SSF_STATUS_INVALID_STRING = 10,
    /// An output is too large for the interface that has to carry it.
    SSF_STATUS_OUTPUT_TOO_LARGE = 11,
    /// A publishing point URL was refused.
    SSF_STATUS_INVALID_URL = 12,
    /// A live push failed for good (the publishing point refused it, or retries ran out).
    SSF_STATUS_LIVE_FAILED = 13,
    /// The live publisher could not start (runtime or HTTP client setup).
    SSF_STATUS_LIVE_SETUP = 14,
    /// The handle is in use by a call on another thread. Nothing was done: calls on one
    /// handle must not overlap, and the library refuses the second one instead of letting
    /// two threads change the same memory.
    SSF_STATUS_BUSY = 15,
    /// The library hit an internal bug; the handle should be freed and not used again.
    SSF_STATUS_PANIC = 100,
}

impl ssf_status {
    /// The static text of a status.
    pub(crate) fn text(self) -> &'static std::ffi::CStr {
        use ssf_status::*;
        match self {
            SSF_STATUS_OK => c"ok",
            SSF_STATUS_NULL_PARAMETER => c"a required pointer argument was NULL",
            SSF_STATUS_INVALID_ARGUMENT => c"invalid argument",
            SSF_STATUS_INVALID_CONFIG => c"invalid codec configuration",
            SSF_STATUS_MALFORMED => c"malformed input",
            SSF_STATUS_UNKNOWN_STREAM => c"unknown stream",
            SSF_STATUS_INVALID_SAMPLE => c"invalid sample",
            SSF_STATUS_INVALID_STATE => c"call not valid in the current state",
            SSF_STATUS_IO => c"file input/output failed",
            SSF_STATUS_UNSUPPORTED => c"not supported",
            SSF_STATUS_INVALID_STRING => c"invalid string encoding",
            SSF_STATUS_OUTPUT_TOO_LARGE => c"output too large",
            SSF_STATUS_INVALID_URL => c"invalid publishing point URL",
            SSF_STATUS_LIVE_FAILED => c"live push failed",
            SSF_STATUS_LIVE_SETUP => c"live publisher setup failed",
            SSF_STATUS_BUSY => c"the handle is in use by another thread",
            SSF_STATUS_PANIC => c"internal error (panic)",
        }
    }

    /// The status for a raw value from C, or None for a value no status has.
    pub(crate) fn from_raw(value: u32) -> Option<Self> {
        use ssf_status::*;
        [
            SSF_STATUS_OK,
            SSF_STATUS_NULL_PARAMETER,
            SSF_STATUS_INVALID_ARGUMENT,
            SSF_STATUS_INVALID_CONFIG,
            SSF_STATUS_MALFORMED,
            SSF_STATUS_UNKNOWN_STREAM,
            SSF_STATUS_INVALID_SAMPLE,
            SSF_STATUS_INVALID_STATE,
            SSF_STATUS_IO,
            SSF_STATUS_UNSUPPORTED,
            SSF_STATUS_INVALID_STRING,
            SSF_STATUS_OUTPUT_TOO_LARGE,
            SSF_STATUS_INVALID_URL,
            SSF_STATUS_LIVE_FAILED,
            SSF_STATUS_LIVE_SETUP,
            SSF_STATUS_BUSY,
            SSF_STATUS_PANIC,
        ]
        .into_iter()
        .find(|s| *s as u32 == value)
    }
}

/// A failed call: the status to return and the message to keep for the caller.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: ssf_status,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: ssf_status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// A NULL pointer where `what` was required.
    pub(crate) fn null(what: &str) -> Self {
        Self::new(
            ssf_status::SSF_STATUS_NULL_PARAMETER,
            format!("{what} must not be NULL"),
        )
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(ssf_status::SSF_STATUS_INVALID_ARGUMENT, message)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::new(status_of(&e), e.to_string())
    }
}

/// The status code of an error.
fn status_of(e: &Error) -> ssf_status {
    use ssf_status::*;
    match e {
        Error::InvalidConfig { .. } => SSF_STATUS_INVALID_CONFIG,
        Error::Malformed { .. } => SSF_STATUS_MALFORMED,
        Error::UnknownStream(_) => SSF_STATUS_UNKNOWN_STREAM,
        Error::DecreasingTime { .. }
        | Error::NonSyncFragmentStart { .. }
        | Error::EmptySample { .. }
        | Error::SampleTooLarge { .. }
        | Error::TimestampOverflow { .. }
        | Error::InvalidSample { .. }
        | Error::MissingDuration { .. }
        | Error::MisalignedFragments { .. }
        | Error::MisalignedBitrates { .. } => SSF_STATUS_INVALID_SAMPLE,
        Error::InvalidState(_) | Error::Interrupted { .. } => SSF_STATUS_INVALID_STATE,
        Error::Unrecoverable { .. } => SSF_STATUS_MALFORMED,
        Error::InvalidArgument(_) => SSF_STATUS_INVALID_ARGUMENT,
        Error::Io { .. } => SSF_STATUS_IO,
        Error::LiveUrl { .. } => SSF_STATUS_INVALID_URL,
        Error::LiveFailed { .. } => SSF_STATUS_LIVE_FAILED,
        Error::LiveSetup(_) => SSF_STATUS_LIVE_SETUP,
        // An input that cannot be packaged as it is (no pictures, an unsupported track).
        Error::Input { .. } => SSF_STATUS_UNSUPPORTED,
        // Naming the input changes nothing about what went wrong.
        Error::InInput { source, .. } => status_of(source),
    }
}

/// A C string from a message, with any NUL byte (which C cannot carry) replaced.
pub(crate) fn c_message(message: &str) -> CString {
    CString::new(message.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

thread_local! {
    /// The message of the last failed call on this thread, for calls that have no handle
    /// to keep it in (constructors) and as a second place to look.
    static THREAD_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Keeps `message` as this thread's last error.
pub(crate) fn set_thread_error(message: &str) {
    THREAD_ERROR.with(|e| *e.borrow_mut() = c_message(message));
}

/// This thread's last error message; the pointer stays valid until the next failing call
/// on the thread.
pub(crate) fn thread_error() -> *const c_char {
    THREAD_ERROR.with(|e| e.borrow().as_ptr())
}

/// Runs `body`, turning a panic into `on_panic` so no unwind crosses the C boundary.
pub(crate) fn boundary<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(_) => {
            set_thread_error("internal error: the library panicked");
            on_panic
        }
    }
}

/// What a C API returns: `ssf_status` for the native API, `HRESULT` for the compatible
/// one. Both APIs run every call through [`run_as`], so the panic boundary and the
/// thread's last error work the same way in each.
pub(crate) trait Outcome: Sized {
    /// The result of a call that panicked.
    const PANIC: Self;
    /// The result of a call that failed with `status`.
    fn failed(status: ssf_status) -> Self;
}

impl Outcome for ssf_status {
    const PANIC: Self = ssf_status::SSF_STATUS_PANIC;
    fn failed(status: ssf_status) -> Self {
        status
    }
}

/// Runs a call inside the panic boundary; a failure is kept as the thread's last error
/// and returned as `R`'s code for its status.
pub(crate) fn run_as<R: Outcome>(body: impl FnOnce() -> Result<R, Failure>) -> R {
    boundary(R::PANIC, || {
        body().unwrap_or_else(|f| {
            set_thread_error(&f.message);
            R::failed(f.status)
        })
    })
}

/// Runs a native call inside the panic boundary ([`run_as`]): `SSF_STATUS_OK` when
/// `body` succeeds, its failure's status otherwise.
pub(crate) fn run(body: impl FnOnce() -> Result<(), Failure>) -> ssf_status {
    run_as(|| body().map(|()| ssf_status::SSF_STATUS_OK))
}

/// Returns the static text of a status code (also for values this version does not know).
///
/// The string is static: never free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn ssf_status_str(status: u32) -> *const c_char {
    boundary(c"internal error (panic)".as_ptr(), || {
        ssf_status::from_raw(status)
            .map_or(c"unknown status code", ssf_status::text)
            .as_ptr()
    })
}

/// Returns the message of the last failed `ssf_*` call on the calling thread ("" if none).
/// Handle-less calls (constructors, builders) report only here; calls on a muxer or VOD
/// writer also keep the message in the handle.
///
/// The string is owned by the library and stays valid until the next failing call on
/// this thread. Thread-safe (each thread has its own message).
#[unsafe(no_mangle)]
pub extern "C" fn ssf_last_error() -> *const c_char {
    boundary(c"".as_ptr(), thread_error)
}
