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
    /// configuration and bit rate are known. Durations are 0 (a live stream has none);
    /// a measured bit rate can still change, so a sink builds the header once and resends
    /// the same bytes on every reconnect.
    pub fn live_header(&self, streams: &[StreamId]) -> Result<Bytes> {
        let header = self.header_with(streams, true)?;
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
            fragment_elements: false,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isobmff::reader;
    use crate::mux::{Options, Sample, StreamConfig};

    #[test]
    fn live_header_is_ftyp_manifest_box_moov_for_the_streams_asked() {
        let mut mux = Muxer::new(Options::default().manual()).unwrap();
        let a = mux
            .add_stream(StreamConfig::aac(&[0x11, 0x90]).unwrap().bitrate(96_000))
            .unwrap();
        let b = mux
            .add_stream(
                StreamConfig::aac(&[0x11, 0x90])
                    .unwrap()
                    .bitrate(64_000)
                    .language("fra")
                    .track_name("audio_fra"),
            )
            .unwrap();
        assert!(mux.live_header(&[a]).is_err(), "no fragment yet");
        for stream in [a, b] {
            mux.push(stream, Sample::new(vec![1u8; 10], 0).duration(213_333))
                .unwrap();
            mux.flush(stream).unwrap();
        }
        let header = mux.live_header(&[b]).unwrap();
        let boxes: Vec<_> = reader::boxes(&header).map(|b| b.unwrap()).collect();
        assert_eq!(boxes.len(), 3);
        assert!(boxes[0].is(b"ftyp"));
        assert!(boxes[1].is_uuid(&LIVE_SERVER_MANIFEST_UUID));
        assert!(boxes[2].is(b"moov"));
        let (version, flags, xml) = boxes[1].full_box().unwrap();
        assert_eq!((version, flags), (0, 0));
        let xml = std::str::from_utf8(xml).unwrap();
        assert!(xml.starts_with("<?xml"));
        assert!(xml.contains("<audio systemBitrate=\"64000\">"));
        assert!(xml.contains("name=\"trackID\" value=\"2\""));
        assert!(xml.contains("name=\"trackName\" value=\"audio_fra\""));
        assert!(xml.contains("name=\"systemLanguage\" value=\"fra\""));
        assert!(xml.contains("name=\"FourCC\" value=\"AACL\""));
        assert!(xml.contains("name=\"CodecPrivateData\" value=\"1190\""));
        assert!(xml.contains("name=\"AudioTag\" value=\"255\""));
        assert!(
            !xml.contains("value=\"1\" valuetype"),
            "only this POST's track"
        );
        // Same bytes when asked again (a reconnect resends them).
        assert_eq!(mux.live_header(&[b]).unwrap(), header);
        let mvhd = reader::Mvhd::parse(&boxes[2].find("mvhd").unwrap().unwrap()).unwrap();
        let tkhd = reader::Tkhd::parse(&boxes[2].find("trak/tkhd").unwrap().unwrap()).unwrap();
        assert_eq!(
            (mvhd.duration, tkhd.duration),
            (0, 0),
            "live durations are unknown"
        );
    }
}
