//! A finished fragment as the muxer hands it out.

use std::io;

use super::config::StreamId;
use super::payload::Chunk;

/// One `moof` + `mdat` of one stream. `chunks[0]` is the moof and the mdat header; the
/// rest are the sample payloads, shared with the caller's buffers (never copied) or left
/// in their source files, so a sink can write the fragment with one vectored write (and
/// file-to-file copies).
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
    pub chunks: Vec<Chunk>,
}

impl Fragment {
    /// Total size in bytes.
    pub fn size(&self) -> u64 {
        self.chunks.iter().map(Chunk::len).sum()
    }

    /// The moof and mdat header.
    pub fn header(&self) -> &[u8] {
        self.chunks
            .first()
            .and_then(Chunk::memory)
            .map_or(&[], |c| c.as_ref())
    }

    /// The whole fragment in one buffer (copies, and reads payloads left in files; for
    /// callers without vectored output).
    pub fn to_vec(&self) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(usize::try_from(self.size()).unwrap_or(0));
        for chunk in &self.chunks {
            match chunk {
                Chunk::Memory(bytes) => out.extend_from_slice(bytes),
                Chunk::File(range) => out.extend_from_slice(&range.read()?),
            }
        }
        Ok(out)
    }

    /// The fragment with every payload in memory (those left in files are read), for
    /// sinks that send bytes rather than copy files.
    pub fn into_memory(self) -> io::Result<Vec<bytes::Bytes>> {
        self.chunks.iter().map(Chunk::to_bytes).collect()
    }
}
