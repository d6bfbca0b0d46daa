//! The `SSFMux*` API of `include/ssfsdkapi.h`, source-compatible with Microsoft's
//! `ssfsdkapi.h`: same function names and parameters, same struct layouts and constant
//! values, HRESULT results. Windows types get portable typedefs in the header (DWORD is
//! `uint32_t`, wide strings are UTF-16 code units as on Windows).
//!
//! Each call maps onto the Rust [`Muxer`](crate::mux::Muxer) in manual-fragmenting
//! mode: a fragment closes exactly when the caller calls `SSFMuxProcessOutput` (after an
//! optional `SSFMuxAdjustDuration`, which makes it
//! [`Muxer::flush_at`](crate::mux::Muxer::flush_at)). Samples carry presentation times
//! and go through [`ReorderBuffer`](crate::mux::ReorderBuffer) one fragment at a time,
//! which checks each as it comes against everything the muxer could later fail on: a bad
//! sample is refused by `SSFMuxProcessInput` alone, and `SSFMuxProcessOutput` never fails
//! because of one.
//! Options are collected until the first stream is added, when the muxer is created
//! with them.
//!
//! Thread safety: like the original, a handle must not be used by two threads at once.
//! Unlike the original, breaking that rule does no harm: a call that finds its handle in
//! use by another thread returns E_UNEXPECTED, does nothing and says why (the busy guard
//! every handle has, `super::handle`). Output buffers (`SSF_BUFFER::pbBuffer`) are owned by
//! the handle and stay valid until the next call on it. Every failure leaves a message for `SSFMuxGetLastErrorMessage`.
//!
//! One file per concern: [`types`] (the C mirrors: Windows types, constants, structs),
//! `muxer` (the handle, create and destroy), `streams` (`SSF_STREAM_INFO` to a
//! stream), `samples` (samples in, fragments out), `output` (header, index,
//! manifests), `options` (set and query), `errors` (HRESULT codes and the last
//! message), with the UTF-16 strings in `wide`. `build.rs` hands them to cbindgen in
//! this order, which is the order of `include/ssfsdkapi.h`.

mod errors;
mod muxer;
mod options;
mod output;
mod samples;
mod streams;
pub mod types;
mod wide;

pub use errors::SSFMuxGetLastErrorMessage;
pub use muxer::{SSFMuxCreate, SSFMuxDestroy};
pub use options::{SSFMuxQueryOption, SSFMuxSetOption};
pub use output::{
    SSFMuxGetClientManifest, SSFMuxGetHeader, SSFMuxGetIndex, SSFMuxGetServerManifest,
};
pub use samples::{SSFMuxAdjustDuration, SSFMuxProcessInput, SSFMuxProcessOutput};
pub use streams::{SSFMuxAddSparseStream, SSFMuxAddStream};
pub use types::*;

#[cfg(test)]
pub(crate) use muxer::SsfMux;
