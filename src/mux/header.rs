//! The headers a stream's bytes start with: `ftyp` + `moov` for an on-demand file, and
//! for a live POST `ftyp`, the Live Server Manifest box, then `moov` (format.md §4).

use bytes::Bytes;

use super::{Muxer, StreamId, handler_kind};
use crate::drm::PLAYREADY_SYSTEM_ID;
use crate::error::{Error, Result};
use crate::isobmff::boxes::{
    HandlerKind, MovieTrack, TrackProtection, pack_language, write_ftyp, write_moov, write_pssh,
};
use crate::isobmff::uuids::LIVE_SERVER_MANIFEST_UUID;
use crate::isobmff::writer::BoxWriter;
use crate::manifest::{Presentation, live_server_manifest};

/// The end-of-stream index of a live push: an `mfra` box with no children (8 bytes).
pub const LIVE_END_OF_STREAM: [u8; 8] = [0, 0, 0, 8, b'm', b'f', b'r', b'a'];

impl Muxer {
    /// `ftyp` + `moov` for a file holding `streams`. Its size is the same on every call,
    /// so a caller can write it first and overwrite it in place at the end (with the
    /// final duration).
    pub fn header(&self, streams: &[StreamId]) -> Result<Bytes> {
        self.write_header(streams, None)
    }

    /// Writes `ftyp`, then for a live POST the Live Server Manifest box holding
    /// `live_manifest`, then `moov` (whose durations a live push leaves 0: unknown).
    fn write_header(&self, streams: &[StreamId], live_manifest: Option<&str>) -> Result<Bytes> {
        self.check_subset(streams)?;
        let live = live_manifest.is_some();
        let mut entries = Vec::with_capacity(streams.len());
        for &id in streams {
            entries.push(self.sample_entry(id)?);
        }
        let protection = self.options.protection.as_ref().map(|p| TrackProtection {
            kid: p.kid().to_bytes_be(),
            cenc: p.is_cenc_compatible(),
        });
        let mut tracks: Vec<MovieTrack<'_>> = Vec::with_capacity(streams.len());
        for (&id, entry) in streams.iter().zip(&entries) {
            let state = self.stream(id)?;
            let kind = handler_kind(&state.config.codec);
            let (width, height) = match state.config.codec.video_format() {
                Some(v) => (v.display_width, v.display_height),
                None => (0, 0),
            };
            tracks.push(MovieTrack {
                track_id: id.track_id(),
                kind,
                language: pack_language(state.config.language.as_deref().unwrap_or("und")),
                width,
                height,
                duration: if live { 0 } else { self.duration_of(&[id]) },
                entry,
                // Sparse text stays clear: players read it from the manifest or as
                // captions, and PIFF has no text protection.
                protection: protection
                    .as_ref()
                    .filter(|_| kind != HandlerKind::Subtitle && kind != HandlerKind::Metadata),
            });
        }
        let capacity = 1024 + live_manifest.map_or(0, |m| m.len() + 32);
        let mut w = BoxWriter::with_capacity(capacity);
        write_ftyp(&mut w);
        if let Some(smil) = live_manifest {
            w.uuid_full_box(&LIVE_SERVER_MANIFEST_UUID, 0, 0, |w| {
                w.bytes(smil.as_bytes())
            });
        }
        write_moov(
            &mut w,
            self.options.timescale,
            if live { 0 } else { self.duration_of(streams) },
            &tracks,
            |w| {
                if let Some(p) = &self.options.protection {
                    let pro = p.playready_header().to_pro();
                    write_pssh(w, &PLAYREADY_SYSTEM_ID, &pro, p.is_cenc_compatible());
                }
            },
        );
        Ok(Bytes::from(w.into_vec()))
    }

    /// The header of a live POST carrying `streams`: `ftyp`, the LiveServerManifestBox
    /// listing exactly those tracks, then `moov`.
    ///
    /// Available as soon as each stream's codec configuration and bit rate are known,
    /// which for a stream configured with both (parameter sets or a sequence header, and a
    /// non-zero bit rate) is right after it is added, before any sample: a live encoder
    /// sends the header before its first fragment. A stream whose configuration comes
    /// in-band waits for its first keyframe, and one whose bit rate is 0 (measured) waits
    /// for its first fragment; the error says which.
    ///
    /// Durations are 0 (a live stream has none). Built from configured values the bytes
    /// never change; a measured bit rate can, so a sink builds the header once and resends
    /// the same bytes on every reconnect.
    pub fn live_header(&self, streams: &[StreamId]) -> Result<Bytes> {
        self.check_subset(streams)?;
        let mut tracks = Vec::with_capacity(streams.len());
        for &id in streams {
            self.live_ready(id)?;
            tracks.push(self.manifest_track(id)?);
        }
        let smil = live_server_manifest(&Presentation {
            timescale: u64::from(self.options.timescale),
            tracks,
            protection: Vec::new(),
            fragment_elements: false,
        })?;
        self.write_header(streams, Some(&smil))
    }

    /// Whether the live header of `stream` can be built now, and if not, what it waits
    /// for: what truly needs media.
    fn live_ready(&self, stream: StreamId) -> Result<()> {
        let state = self.stream(stream)?;
        if !state.config.codec.is_configured() {
            return Err(Error::InvalidState(format!(
                "stream {}: the live header waits for the codec configuration, which this \
                 stream takes in-band from its first keyframe (give the parameter sets or \
                 sequence header when adding it to have the header at once)",
                stream.0
            )));
        }
        if state.config.bitrate == 0 && state.fragments.is_empty() {
            return Err(Error::InvalidState(format!(
                "stream {}: the live header waits for the stream's first fragment, because \
                 its bit rate is 0 and is measured from the media (give a bit rate when \
                 adding it to have the header at once)",
                stream.0
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::avc::NalFormat;
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
        // Configured (AudioSpecificConfig and a bit rate): the header is there at once.
        let early = mux.live_header(&[a]).unwrap();
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
        // Same bytes when asked again (a reconnect resends them), before or after media.
        assert_eq!(mux.live_header(&[b]).unwrap(), header);
        assert_eq!(mux.live_header(&[a]).unwrap(), early);
        let mvhd = reader::Mvhd::parse(&boxes[2].find("mvhd").unwrap().unwrap()).unwrap();
        let tkhd = reader::Tkhd::parse(&boxes[2].find("trak/tkhd").unwrap().unwrap()).unwrap();
        assert_eq!(
            (mvhd.duration, tkhd.duration),
            (0, 0),
            "live durations are unknown"
        );
    }

    #[test]
    fn only_what_needs_media_waits_and_says_so() {
        let mut mux = Muxer::new(Options::default().manual()).unwrap();
        let measured = mux
            .add_stream(StreamConfig::aac(&[0x11, 0x90]).unwrap())
            .unwrap();
        let in_band = mux
            .add_stream(
                StreamConfig::h264_in_band(NalFormat::AnnexB)
                    .unwrap()
                    .bitrate(1_000_000),
            )
            .unwrap();
        let err = mux.live_header(&[measured]).unwrap_err().to_string();
        assert!(
            err.contains("stream 0") && err.contains("bit rate is 0"),
            "{err}"
        );
        let err = mux.live_header(&[in_band]).unwrap_err().to_string();
        assert!(err.contains("stream 1") && err.contains("in-band"), "{err}");
        // Once the measured stream has a fragment, its header is there.
        mux.push(measured, Sample::new(vec![1u8; 10], 0).duration(213_333))
            .unwrap();
        mux.flush(measured).unwrap();
        mux.live_header(&[measured]).unwrap();
    }
}
