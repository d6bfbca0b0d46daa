//! The input layer: readers of what users hand the packager (container files and
//! elementary streams), turning them into codec configurations and samples in decode
//! order. It sits below the CLI and above [`crate::mux`]; the muxer never sees a file.
//! Codec configuration and sample preparation stay in [`crate::codec`]; containers and
//! elementary-stream framing are this layer's.
//!
//! - [`mp4`]: MP4 / ISO BMFF files, plain or fragmented, read with bounded memory.
//! - [`h264`]: raw H.264 (Annex B) access units, timed from their picture order counts.
//! - [`adts`]: ADTS AAC frames.
//! - [`vc1`]: VC-1 Advanced Profile elementary streams.
//! - [`asf`]: WMA in ASF.

pub mod adts;
pub mod asf;
pub mod h264;
pub mod mp4;
pub mod vc1;
