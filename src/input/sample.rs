//! Samples as the input layer hands them out: the payload as shared bytes, its times,
//! and, where the payload is a stretch of a source file left unchanged, where it lies.
//!
//! The origin lets a file-to-file writer move unchanged payloads without passing them
//! through user space (`copy_file_range`): the origin is a promise that the payload equals
//! `len` bytes of `file` at `offset`. The bytes are present too unless the source was
//! asked to leave them in the file ([`super::InputSet::leave_payloads_in_files`]); then
//! [`InputSample::to_sample`] gives a [`Sample::from_file`].

use bytes::Bytes;

pub use crate::mux::{Chunk, FileRange};
use crate::mux::{Sample, Sealed, payload_len};

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
    /// The payload when the source left it in its file and it is not one stretch of it
    /// (an Annex B access unit: each NAL unit's 4-byte length in memory, then its range
    /// of the file); `data` is then empty. Empty otherwise.
    pub pieces: Vec<Chunk>,
    /// Set when the payload was encrypted ahead for its stream
    /// ([`super::InputSet::read_in_background`] with a sealer): its IV and map.
    pub sealed: Option<Sealed>,
}

impl InputSample {
    /// The payload's length in bytes, wherever it is.
    pub fn len(&self) -> u64 {
        match &self.origin {
            Some(range) if self.data.is_empty() && self.pieces.is_empty() => range.len,
            _ => payload_len(&self.data, &self.pieces),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The muxer's sample: the payload (shared, not copied, or left in its file when
    /// the source left it there) and its times.
    pub fn to_sample(&self) -> Sample {
        self.clone().into_sample()
    }

    /// Like [`Self::to_sample`], consuming the sample.
    pub fn into_sample(self) -> Sample {
        let sample = match self.origin {
            _ if !self.pieces.is_empty() => Sample::from_pieces(self.pieces, self.dts),
            Some(range) if self.data.is_empty() && range.len > 0 => {
                Sample::from_file(range, self.dts)
            }
            _ => Sample::new(self.data, self.dts),
        };
        let sample = sample
            .cts_offset(self.cts_offset)
            .duration(self.duration)
            .sync(self.sync);
        match self.sealed {
            Some(sealed) => sample.sealed(sealed),
            None => sample,
        }
    }
}
