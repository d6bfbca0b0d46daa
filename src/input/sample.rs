//! Samples as the input layer hands them out: the payload as shared bytes, its times,
//! and, where the payload is a stretch of a source file left unchanged, where it lies.
//!
//! The origin is there so that a file-to-file writer can later move unchanged payloads
//! without passing them through user space (`copy_file_range`; the performance issue's
//! item 1) while the sans-IO muxer keeps taking [`Bytes`]: the bytes are always present,
//! the origin is a promise that they equal `len` bytes of `file` at `offset`.

use std::fs::File;
use std::sync::Arc;

use bytes::Bytes;

use crate::mux::Sample;

/// A stretch of a source file: `len` bytes at `offset` of `file`.
#[derive(Debug, Clone)]
pub struct FileRange {
    /// The source file, shared by every sample that comes from it. Reads through it
    /// must use explicit offsets (`pread`, `copy_file_range`): its position is shared.
    pub file: Arc<File>,
    /// Offset of the first byte in the file.
    pub offset: u64,
    /// Number of bytes.
    pub len: u64,
}

/// One sample of an input stream, in the stream's timescale.
#[derive(Debug, Clone)]
pub struct InputSample {
    /// The payload as the muxer takes it (raw AAC frame, H.264 access unit with 4-byte
    /// NAL lengths, VC-1 frame with its start codes, WMA block, TTML document).
    pub data: Bytes,
    /// Decode time. From a single input it counts from the stream's first sample; from
    /// an [`InputSet`](super::InputSet) it includes the shift that starts every stream
    /// presenting together.
    pub dts: u64,
    /// Presentation time minus decode time.
    pub cts_offset: u64,
    /// Duration.
    pub duration: u64,
    /// Whether the sample is a random access point (an IDR picture, every audio frame).
    pub sync: bool,
    /// Where `data` lies in a source file when it is that file's bytes unchanged (MP4
    /// samples, ADTS payloads, VC-1 frames read from regular files); `None` when the
    /// reader rewrote them (Annex B to NAL lengths, reassembled ASF objects, captions)
    /// or read them from a pipe.
    pub origin: Option<FileRange>,
}

impl InputSample {
    /// The muxer's sample: the payload (shared, not copied) and its times.
    pub fn to_sample(&self) -> Sample {
        Sample::new(self.data.clone(), self.dts)
            .cts_offset(self.cts_offset)
            .duration(self.duration)
            .sync(self.sync)
    }

    /// Like [`Self::to_sample`], giving up the origin.
    pub fn into_sample(self) -> Sample {
        Sample::new(self.data, self.dts)
            .cts_offset(self.cts_offset)
            .duration(self.duration)
            .sync(self.sync)
    }
}
