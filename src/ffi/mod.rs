//! The C ABI. Two APIs over the same Rust types, each mapping one to one onto them:
//! - [`native`]: the `ssf_*` API of `include/ssf.h`, for new code;
//! - [`compat`]: the `SSFMux*` API of `include/ssfsdkapi.h`, source-compatible with
//!   Microsoft's `ssfsdkapi.h` so existing encoders compile and run unchanged.
//!
//! Every exported function runs inside a panic boundary, checks every pointer it is
//! given, and reports failures as a stable status code plus a message. The headers are
//! generated from these files by cbindgen in `build.rs`.
//!
//! [`input`] adds `ssf_input_*`: files read for packaging (an `InputSet`), their streams'
//! configurations and their samples in decode order, in the native API's types.
//!
//! With the `live` feature, [`live`] adds the live publisher to the native API in the
//! same shape: `ssf_live_options` and `ssf_live_publisher` handles over `LiveOptions` and
//! `LivePublisher`, `ssf_live_*` calls returning `ssf_status`, its own last error, and
//! the same `ssf_stream_config` / `ssf_sample` inputs as the VOD writer.

#![allow(non_camel_case_types, non_snake_case)]

pub mod compat;
mod handle;
pub mod input;
#[cfg(feature = "live")]
pub mod live;
pub mod native;
pub mod status;

#[cfg(test)]
mod tests;
