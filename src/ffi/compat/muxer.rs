//! The compatible API's handle: what an `SSFMUXHANDLE` points to, how every call reaches
//! it ([`on_mux`]), and `SSFMuxCreate` / `SSFMuxDestroy`.

use std::ffi::c_void;

use super::errors::{S_FALSE, S_OK, hresult};
use super::options::Settings;
use super::types::{BYTE, DWORD, HRESULT, SSF_BUFFER, SSFMUXHANDLE};
use crate::ffi::handle::{
    Castable, KeepsError, Output, free_handle, into_handle, need, on_handle, write_out,
};
use crate::ffi::status::{Failure, run_as, ssf_status};
use crate::mux::{Muxer, Options, ReorderBuffer, StreamId};

/// The type an SSFMUXHANDLE (a `void *` in C) really points to, for the handle helpers.
pub(crate) struct SsfMux {
    _private: [u8; 0],
}

impl Castable for SsfMux {
    /// The muxer state, with the message of its last failure.
    type Rust = KeepsError<CompatMux>;
}

/// What an SSFMUXHANDLE points to (inside the busy guard every handle has).
pub(crate) struct CompatMux {
    pub(super) settings: Settings,
    /// Created with the settings when the first stream is added.
    pub(super) mux: Option<Muxer>,
    /// Per stream, in the order added: the current fragment's samples, checked as they
    /// come and timed by presentation time until SSFMuxProcessOutput derives their decode
    /// times and hands them to the muxer, and the end SSFMuxAdjustDuration set for it.
    pub(super) streams: Vec<ReorderBuffer>,
    /// Live mode: each live header handed out, by the streams it was asked for. A live
    /// stream keeps its header (the server compares it on every reconnect), so later
    /// calls return these bytes even when a measured bit rate has moved since.
    pub(super) live_headers: Vec<(Vec<StreamId>, Vec<u8>)>,
    output: Vec<u8>,
}

/// Every call but the options needs the muxer, which the first SSFMuxAddStream makes.
fn no_stream_yet() -> Failure {
    Failure::new(
        ssf_status::SSF_STATUS_INVALID_STATE,
        "no stream has been added yet (call SSFMuxAddStream first)",
    )
}

impl CompatMux {
    fn new() -> Self {
        Self {
            settings: Settings::new(),
            mux: None,
            streams: Vec::new(),
            live_headers: Vec::new(),
            output: Vec::new(),
        }
    }

    /// The muxer, once a stream has been added.
    pub(super) fn muxer(&mut self) -> Result<&mut Muxer, Failure> {
        self.mux.as_mut().ok_or_else(no_stream_yet)
    }

    /// The muxer and the collector of stream `id`'s current fragment, once a stream has
    /// been added.
    pub(super) fn stream(
        &mut self,
        id: StreamId,
    ) -> Result<(&mut Muxer, &mut ReorderBuffer), Failure> {
        let mux = self.mux.as_mut().ok_or_else(no_stream_yet)?;
        let timed = self
            .streams
            .get_mut(id.index())
            .ok_or_else(|| Failure::from(crate::error::Error::UnknownStream(id.index())))?;
        Ok((mux, timed))
    }

    /// The muxer, created from the options on first use.
    pub(super) fn muxer_or_create(&mut self) -> Result<&mut Muxer, Failure> {
        if self.mux.is_none() {
            let mut options = Options::default()
                .manual()
                .fragment_elements(self.settings.fragment_elements());
            if let Some(p) = self.settings.protection()? {
                options = options.protection(p);
            }
            self.mux = Some(Muxer::new(options)?);
        }
        self.muxer()
    }

    /// Keeps `output`'s bytes in the handle and points `*out` at them.
    ///
    /// # Safety
    /// `out` is NULL or writable.
    unsafe fn hand_out(&mut self, output: Output, out: *mut SSF_BUFFER) -> Result<(), Failure> {
        let Output {
            bytes,
            time,
            duration,
        } = output;
        let len = DWORD::try_from(bytes.len()).map_err(|_| {
            Failure::new(
                ssf_status::SSF_STATUS_OUTPUT_TOO_LARGE,
                format!("{} bytes do not fit SSF_BUFFER::cbBuffer", bytes.len()),
            )
        })?;
        self.output = bytes;
        let value = SSF_BUFFER {
            pbBuffer: if len == 0 {
                std::ptr::null_mut::<BYTE>()
            } else {
                self.output.as_mut_ptr()
            },
            cbBuffer: len,
            qwTime: time,
            qwDuration: duration,
        };
        // SAFETY: per the contract.
        unsafe { write_out(out, value) };
        Ok(())
    }
}

/// The handle behind an SSFMUXHANDLE; NULL is E_INVALIDARG in the original, not E_POINTER.
fn non_null(handle: SSFMUXHANDLE) -> Result<*mut SsfMux, Failure> {
    if handle.is_null() {
        return Err(Failure::invalid("hSSFMux must not be NULL"));
    }
    Ok(handle.cast::<SsfMux>())
}

/// Runs a call on a compat handle inside the panic boundary, returning its HRESULT. The
/// handle is borrowed through the busy guard of every handle (`crate::ffi::handle`): a call
/// while another thread is inside one on the same handle returns E_UNEXPECTED. A failure
/// is kept in the handle and as the thread's last error.
///
/// # Safety
/// `handle` is NULL or a live handle from SSFMuxCreate.
pub(super) unsafe fn on_mux(
    handle: SSFMUXHANDLE,
    body: impl FnOnce(&mut CompatMux) -> Result<HRESULT, Failure>,
) -> HRESULT {
    // SAFETY: per the contract.
    run_as(|| unsafe { on_handle(non_null(handle)?, "hSSFMux", body) })
}

/// The body of every call that hands out an `SSF_BUFFER` in `*out` (the argument
/// `what`): runs `body` on the handle and hands out what it returns with S_OK, or, when it
/// has nothing to give, an empty buffer with S_FALSE.
///
/// # Safety
/// `handle` is NULL or a live handle from SSFMuxCreate; `out` NULL or writable.
pub(super) unsafe fn buffer_out(
    handle: SSFMUXHANDLE,
    out: *mut SSF_BUFFER,
    what: &str,
    body: impl FnOnce(&mut CompatMux) -> Result<Option<Output>, Failure>,
) -> HRESULT {
    let run = |m: &mut CompatMux| {
        need(out, what)?;
        let (output, hr) = match body(m)? {
            Some(output) => (output, S_OK),
            None => (Output::from(Vec::new()), S_FALSE),
        };
        // SAFETY: out is checked non-NULL; the contract makes it writable.
        unsafe { m.hand_out(output, out) }?;
        Ok(hr)
    };
    // SAFETY: per the contract.
    unsafe { on_mux(handle, run) }
}

/// Creates a muxer. Destroy it with SSFMuxDestroy.
///
/// Thread safety: safe from any thread (it creates a new handle or reads static data).
///
/// # Safety
/// `phSSFMux` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxCreate(phSSFMux: *mut SSFMUXHANDLE) -> HRESULT {
    run_as(|| {
        need(phSSFMux, "phSSFMux")?;
        let handle = into_handle::<SsfMux>(KeepsError::new(CompatMux::new())).cast::<c_void>();
        // SAFETY: checked non-NULL.
        unsafe { write_out(phSSFMux, handle) };
        Ok(S_OK)
    })
}

/// Destroys a muxer and every buffer it handed out. NULL returns E_INVALIDARG.
///
/// Thread safety: no call may use the handle after this one. If a call on another thread
/// is still inside the handle, nothing is destroyed and E_UNEXPECTED is returned
/// (`SSFMuxGetLastErrorMessage(NULL)` says why): destroying it then would pull the memory
/// from under that call. Destroy it again once that call returned.
///
/// # Safety
/// `hSSFMux` is NULL or a handle from SSFMuxCreate, not used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxDestroy(hSSFMux: SSFMUXHANDLE) -> HRESULT {
    run_as(|| {
        let handle = non_null(hSSFMux)?;
        // SAFETY: per the contract, a live handle from SSFMuxCreate. A refusal (the
        // handle is in use) is not a Failure: free_handle explains it in the thread's
        // last error itself.
        Ok(hresult(unsafe { free_handle(handle, "hSSFMux") }))
    })
}
