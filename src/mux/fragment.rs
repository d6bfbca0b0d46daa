//! A finished fragment as the muxer hands it out.

use bytes::Bytes;

use super::config::StreamId;

/// One `moof` + `mdat` of one stream. `chunks[0]` is the moof and the mdat header; the
/// rest are the sample payloads, shared with the caller's buffers (never copied), so a
/// sink can write the fragment with one vectored write.
#[derive(Debug, Clone)]
pub struct Fragment {
    /// The stream it belongs to.
    pub stream: StreamId,
    /// Its mfhd sequence number (1, 2, 3, … per stream).
    pub sequence_number: u32,
    /// Decode time of its first sample, in presentation ticks (= tfxd time = `c@t`).
    pub time: u64,
    /// Sum of its sample durations (= tfxd duration = `c@d`).
    pub duration: u64,
    /// The header, then the payloads.
    pub chunks: Vec<Bytes>,
}

impl Fragment {
    /// Total size in bytes.
    pub fn size(&self) -> u64 {
        self.chunks.iter().map(|c| c.len() as u64).sum()
    }

    /// The moof and mdat header.
    pub fn header(&self) -> &[u8] {
        self.chunks.first().map_or(&[], |c| c.as_ref())
    }

    /// The whole fragment in one buffer (copies; for callers without vectored output).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(usize::try_from(self.size()).unwrap_or(0));
        for chunk in &self.chunks {
            out.extend_from_slice(chunk);
        }
        out
    }
}
