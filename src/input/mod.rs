//! The input layer: readers of what users hand the packager (container files and
//! elementary streams), turning them into codec configurations and samples in decode
//! order. It sits below the CLI and above [`crate::mux`]; the muxer never sees a file.
//!
//! - [`mp4`]: MP4 / ISO BMFF files, plain or fragmented, read with bounded memory.

pub mod mp4;
