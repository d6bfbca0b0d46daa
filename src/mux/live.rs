//! The live-mode header: `ftyp`, the Live Server Manifest box, then `moov` (format.md §4).

use bytes::Bytes;

use super::{Muxer, StreamId};
use crate::error::{Error, Result};
use crate::isobmff::uuids::LIVE_SERVER_MANIFEST_UUID;
use crate::isobmff::writer::BoxWriter;
use crate::manifest::{Presentation, live_server_manifest};

/// The end-of-stream index of a live push: an `mfra` box with no children (8 bytes).
pub const LIVE_END_OF_STREAM: [u8; 8] = [0, 0, 0, 8, b'm', b'f', b'r', b'a'];

impl Muxer {
    /// The header of a live POST carrying `streams`: `ftyp`, the LiveServerManifestBox
    /// listing exactly those tracks, then `moov`.
    ///
    /// Every stream must have closed at least one fragment, so that its codec
    /// configuration and bit rate are known. The bytes depend on what the muxer has seen
    /// (measured bit rates, durations), so a sink builds them once and resends the same
    /// bytes on every reconnect.
    pub fn live_header(&self, streams: &[StreamId]) -> Result<Bytes> {
        let header = self.header(streams)?;
        let ftyp_len = header
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n >= 8 && n <= header.len())
            .ok_or_else(|| Error::InvalidState("header does not start with a ftyp box".into()))?;
        let presentation = self.presentation()?;
        let mut tracks = Vec::with_capacity(streams.len());
        for id in streams {
            let track = presentation
                .tracks
                .iter()
                .find(|t| t.track_id == id.track_id())
                .ok_or_else(|| {
                    Error::InvalidState(format!(
                        "stream {}: no fragment closed yet, so its live header is not known",
                        id.0
                    ))
                })?;
            tracks.push(track.clone());
        }
        let smil = live_server_manifest(&Presentation {
            timescale: presentation.timescale,
            tracks,
            protection: Vec::new(),
        })?;
        let mut w = BoxWriter::with_capacity(header.len() + smil.len() + 32);
        w.bytes(&header[..ftyp_len]);
        w.uuid_full_box(&LIVE_SERVER_MANIFEST_UUID, 0, 0, |w| {
            w.bytes(smil.as_bytes())
        });
        w.bytes(&header[ftyp_len..]);
        Ok(Bytes::from(w.into_vec()))
    }
}
