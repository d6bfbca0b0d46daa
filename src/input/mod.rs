//! The input layer: readers of what users hand the packager (container files and
//! elementary streams), and the source model that turns files into a presentation's
//! streams and samples in decode order. It sits below the CLI and above [`crate::mux`];
//! the muxer never sees a file.
//!
//! - Readers: [`mp4`] (MP4 / ISO BMFF, plain or fragmented, with bounded memory),
//!   [`h264`] (raw Annex B: access units, the open-GOP check, presentation times from
//!   picture order counts), [`adts`], [`vc1`] (elementary streams) and [`asf`] (WMA);
//!   TTML is split by [`crate::codec::ttml::split_cues`].
//! - [`open`] / [`open_with`]: one file → an [`Input`]: its [`InputKind`] (from the
//!   extension, else its first bytes) and its [`InputStream`]s, each with its codec
//!   configuration, timescale, role (media or captions) and what its bit rate is
//!   measured from ([`BitrateBasis`]).
//! - [`InputSet`]: many inputs → the streams in presentation order (video, audio,
//!   captions), grouped into StreamIndexes the way players switch, started together,
//!   merged in decode order, their bit rates measured at the end.
//! - [`InputSample`]: a sample with its payload, and where that payload is a source
//!   file's bytes unchanged, its [`FileRange`] (for copies that bypass user space).
//!
//! Raw H.264 and ADTS are read once, front to back, so they may be pipes: their bit
//! rate is measured from the bytes read when they end. VC-1 and WMA are pre-scanned.
//! Nothing here writes to stdout or stderr: what is worth telling comes back as notes.

pub mod adts;
pub mod asf;
mod frame_rate;
mod grouping;
pub mod h264;
mod kind;
mod merge;
pub mod mp4;
mod open;
mod read_ahead;
mod sample;
mod set;
mod source;
mod sources;
mod spec;
mod stream;
pub mod vc1;

pub use frame_rate::FrameRate;
pub use kind::InputKind;
pub use open::{Input, OpenOptions, open, open_with};
pub use sample::{FileRange, InputSample};
pub use set::InputSet;
pub use source::SampleSource;
pub use spec::{InputOptions, InputSpec, parse_bitrate};
pub use stream::{BitrateBasis, InputStream, StreamRole, Totals};
