//! `ssf` packages encoded H.264 and AAC samples into Microsoft Smooth Streaming: PIFF
//! fragmented MP4 (`.ismv` / `.isma`) with the `mfra` index, the server manifest (`.ism`)
//! and the client manifest (`.ismc`). It replaces the IIS Smooth Streaming Format SDK.
//!
//! Layers, each using only those below it:
//! - [`ffi`]: the C ABI (`include/ssf.h` and the `ssfsdkapi.h`-compatible API);
//! - [`vod`]: [`VodWriter`] writes a presentation to files;
//! - `live` (feature `live`, on by default): `LivePublisher` pushes it to publishing points;
//! - [`input`]: readers of the files users hand us (Annex B H.264, ADTS, VC-1, ASF);
//! - `origin` (feature `origin`, on by default): a Smooth origin and live publishing point
//!   that serves presentations IIS-style, takes live ingest and archives it through `vod`;
//! - [`mux`]: the sans-IO [`Muxer`], samples in, byte chunks and manifests out;
//! - [`manifest`]: `.ism` and `.ismc` writers;
//! - [`drm`]: AES-128-CTR sample encryption and the PlayReady header;
//! - [`isobmff`]: box writer, the Smooth boxes, and a box reader;
//! - [`codec`]: codec configuration parsing (including the Windows media-type structs)
//!   and sample preparation.
//!
//! ```no_run
//! # fn main() -> ssf::Result<()> {
//! # let (avcc, asc, frame, audio) = (vec![0u8], vec![0x11, 0x90], vec![0u8], vec![0u8]);
//! let mut vod = ssf::VodWriter::create("out", "movie", ssf::Options::default())?;
//! let v = vod.add_stream(ssf::StreamConfig::h264(&avcc)?.bitrate(2_500_000).timescale(90_000))?;
//! let a = vod.add_stream(ssf::StreamConfig::aac(&asc)?.bitrate(128_000).timescale(48_000))?;
//! vod.push(v, ssf::Sample::new(frame, 0).cts_offset(6000).duration(3600).sync(true))?;
//! vod.push(a, ssf::Sample::new(audio, 0).duration(1024))?;
//! let written = vod.finish()?; // .ism, .ismc, then one .ismv / .isma per stream
//! # Ok(()) }
//! ```

#![deny(missing_docs)]
// Tests may unwrap and index: a panic there is a failed test, not a crashed encoder.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod codec;
pub mod drm;
pub mod error;
pub mod ffi;
pub mod input;
pub mod isobmff;
#[cfg(feature = "live")]
pub mod live;
pub mod manifest;
pub mod mux;
#[cfg(feature = "origin")]
pub mod origin;
pub mod vod;

#[cfg(test)]
mod test_rng;

pub use drm::{ContentKey, KeySeed, Kid, Protection};
pub use error::{Error, Result};
#[cfg(feature = "live")]
pub use live::{LiveOptions, LivePublisher};
pub use mux::{Fragment, Fragmentation, Muxer, Options, Sample, StreamConfig, StreamId};
pub use vod::VodWriter;
