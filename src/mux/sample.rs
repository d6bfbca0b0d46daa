//! One encoded sample as a caller hands it over.

use bytes::Bytes;

/// An encoded sample (an access unit or an audio frame) with its timing, in the stream's
/// input timescale. The payload is shared, never copied, unless its framing must change.
#[derive(Debug, Clone)]
pub struct Sample {
    pub(crate) data: Bytes,
    pub(crate) dts: u64,
    pub(crate) cts_offset: u64,
    pub(crate) duration: Option<u64>,
    pub(crate) sync: bool,
    pub(crate) protected_ranges: Option<Vec<(u32, u32)>>,
}

impl Sample {
    /// A sample with payload `data` and decode time `dts`. It is a sync sample by
    /// default (every audio frame is); set [`Sample::sync`] to false for P/B frames.
    pub fn new(data: impl Into<Bytes>, dts: u64) -> Self {
        Self {
            data: data.into(),
            dts,
            cts_offset: 0,
            duration: None,
            sync: true,
            protected_ranges: None,
        }
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

    /// The payload.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// The decode time.
    pub fn dts(&self) -> u64 {
        self.dts
    }
}
