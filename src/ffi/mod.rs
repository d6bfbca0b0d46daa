//! The C ABI. Two APIs over the same Rust types, each mapping one to one onto them:
//! - the native `ssf_*` API of `include/ssf.h`, for new code: one module per handle type
//!   ([`options`], [`protection`], [`stream_config`], [`muxer`], [`vod_writer`], and with
//!   the `live` feature [`live_options`] and [`live_publisher`]), with [`streams`] (the C
//!   sample and what the sinks share), [`live_state`] (the live publisher's C structs),
//!   [`status`] (status codes, the panic boundary), and [`input`] (`ssf_input_*`: files
//!   read for packaging, their streams' configurations and their samples in decode order,
//!   in the native API's types);
//! - [`compat`]: the `SSFMux*` API of `include/ssfsdkapi.h`, source-compatible with
//!   Microsoft's `ssfsdkapi.h` so existing encoders compile and run unchanged.
//!
//! Conventions of the native API (also in the README's "C and C++" section):
//! - every function returns an [`ssf_status`](status::ssf_status) (or a pointer/string
//!   where noted);
//! - inputs are borrowed `(pointer, length)` pairs or NUL-terminated UTF-8 strings, read
//!   only during the call;
//! - outputs are written only on success; byte outputs
//!   ([`ssf_output`](muxer::ssf_output)) point into memory owned by the handle that stays
//!   valid until the next call on that handle;
//! - `*_free(NULL)` does nothing; a handle must be freed exactly once;
//! - a handle may move between threads but calls on it must not overlap; a call that
//!   finds a handle it is given in use by another thread returns `SSF_STATUS_BUSY` and
//!   does nothing (calls that only read a handle, passed `const`, may overlap each other);
//!   `*_free` on a handle in use frees nothing and says so in `ssf_last_error`;
//! - a failed call keeps its message in the handle (`ssf_muxer_last_error`,
//!   `ssf_vod_writer_last_error`, `ssf_live_publisher_last_error`,
//!   `ssf_input_last_error`) and in the thread (`ssf_last_error`).
//!
//! Every exported function runs inside a panic boundary, checks every pointer it is
//! given, and reports failures as a stable status code plus a message. Its body says
//! only what is particular to it: the shapes every handle shares (constructor, free,
//! setter, a call that keeps its failure in the handle, last error, add_stream / push /
//! flush) are written once in `handle` and [`streams`].
//!
//! The headers are generated from these files by cbindgen in `build.rs`, which lists them
//! in the order their declarations appear in the headers.

#![allow(non_camel_case_types, non_snake_case)]

pub mod compat;
mod handle;
pub mod input;
#[cfg(feature = "live")]
pub mod live_options;
#[cfg(feature = "live")]
pub mod live_publisher;
#[cfg(feature = "live")]
pub mod live_state;
pub mod muxer;
pub mod options;
pub mod protection;
pub mod status;
pub mod stream_config;
pub mod streams;
pub mod vod_writer;

#[cfg(test)]
mod tests;
