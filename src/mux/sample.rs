//! One encoded sample as a caller hands it over.

use bytes::Bytes;

use super::encrypt::Sealed;
use super::payload::{Chunk, FileRange};

/// An encoded sample (an access unit or an audio frame) with its timing, in the stream's
/// input timescale. The payload is shared, never copied, unless its framing must change.
#[derive(Debug, Clone)]
pub struct Sample {
    pub(crate) data: Bytes,
    /// The payload left in source files instead of `data` ([`Sample::from_file`],
    /// [`Sample::from_pieces`]); empty when `data` holds it.
    pub(crate) pieces: Vec<Chunk>,
    pub(crate) dts: u64,
    pub(crate) cts_offset: u64,
    pub(crate) duration: Option<u64>,
    pub(crate) sync: bool,
    pub(crate) protected_ranges: Option<Vec<(u32, u32)>>,
    pub(crate) sealed: Option<Sealed>,
}

impl Sample {
    /// A sample with payload `data` and decode time `dts`. It is a sync sample by
    /// default (every audio frame is); set [`Sample::sync`] to false for P/B frames.
    pub fn new(data: impl Into<Bytes>, dts: u64) -> Self {
        Self {
            data: data.into(),
            pieces: Vec::new(),
            dts,
            cts_offset: 0,
            duration: None,
            sync: true,
            protected_ranges: None,
            sealed: None,
        }
    }

    /// A sample whose payload is `range` of a source file, left there: a file-to-file
    /// writer moves it without reading it (`copy_file_range`), other sinks read it when
    /// they need the bytes. Only for streams whose payloads pass through unchanged
    /// ([`crate::Muxer::takes_file_payloads`]): raw AAC and WMA, H.264 with 4-byte NAL
    /// lengths and a configuration given up front, never encrypted.
    pub fn from_file(range: FileRange, dts: u64) -> Self {
        Self::from_pieces(vec![Chunk::File(range)], dts)
    }

    /// A sample whose payload is `pieces` in order: stretches of source files left there
    /// and bytes in memory between them (an Annex B access unit's NAL units, each behind
    /// its 4-byte length). The same streams take it as [`Sample::from_file`].
    pub fn from_pieces(pieces: Vec<Chunk>, dts: u64) -> Self {
        Self {
            pieces,
            ..Self::new(Bytes::new(), dts)
        }
    }

    /// The payload's length in bytes.
    pub fn len(&self) -> u64 {
        payload_len(&self.data, &self.pieces)
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Presentation time minus decode time (B-frames).
    pub fn cts_offset(mut self, offset: u64) -> Self {
        self.cts_offset = offset;
        self
    }

    /// Duration. Only the last sample of a fragment needs it: the others take the
    /// distance to the next decode time, which cannot drift.
    pub fn duration(mut self, duration: u64) -> Self {
        self.duration = Some(duration);
        self
    }

    /// Whether this is a random access point (IDR / keyframe).
    pub fn sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    /// The byte ranges `(offset, length)` to encrypt when the muxer encrypts, instead of
    /// the codec's own choice (the SDK's `SSF_RANGE` list). The bytes outside them stay
    /// clear. Offsets refer to the payload as given, so the framing must not need
    /// rewriting (4-byte NAL lengths or 4-byte start codes for H.264).
    pub fn protected_ranges(mut self, ranges: impl Into<Vec<(u32, u32)>>) -> Self {
        self.protected_ranges = Some(ranges.into());
        self
    }

    /// Marks the payload as encrypted ahead by the stream's
    /// [`SampleSealer`](super::SampleSealer) (`sealed` is what it returned): the muxer
    /// records its IV and subsample map and does not encrypt it again.
    pub fn sealed(mut self, sealed: Sealed) -> Self {
        self.sealed = Some(sealed);
        self
    }

    /// The payload.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// The decode time.
    pub fn dts(&self) -> u64 {
        self.dts
    }
}

/// The length of a payload held in `data` or, when not empty, in `pieces`.
pub(crate) fn payload_len(data: &Bytes, pieces: &[Chunk]) -> u64 {
    if pieces.is_empty() {
        data.len() as u64
    } else {
        pieces.iter().map(Chunk::len).sum()
    }
}
