//! ADTS framing (ISO 14496-3 §1.A.2): raw AAC frames out of an ADTS stream, and the
//! AudioSpecificConfig its headers stand for. Callers often have ADTS streams, while
//! Smooth Streaming carries raw AAC frames and the ASC (see [`crate::codec::aac`]).

use std::io::Read;
use std::ops::Range;
use std::path::PathBuf;

use bytes::{Bytes, BytesMut};

use crate::codec::aac::{AudioSpecificConfig, SAMPLING_RATES};
use crate::error::{Error, Result};

/// What the ADTS errors are reported as.
const ADTS: &str = "ADTS header";

/// Length of an ADTS header without CRC.
const ADTS_HEADER_LEN: usize = 7;
/// Length of an ADTS header with CRC.
const ADTS_HEADER_CRC_LEN: usize = 9;

/// A parsed ADTS frame header (ISO 14496-3 §1.A.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdtsHeader {
    /// 4 for MPEG-4 (ID = 0) or 2 for MPEG-2 (ID = 1).
    pub mpeg_version: u8,
    /// True when there is no CRC (7-byte header), false when a 16-bit CRC follows (9 bytes).
    pub protection_absent: bool,
    /// MPEG-4 audio object type (the header's 2-bit profile + 1): 1 Main, 2 LC, 3 SSR, 4 LTP.
    pub profile: u8,
    /// `sampling_frequency_index` (0–12).
    pub sampling_frequency_index: u8,
    /// `channel_configuration` (0–7; 0 means an in-band PCE).
    pub channel_config: u8,
    /// Length of the whole frame in bytes, header included.
    pub frame_length: usize,
    /// Header length in bytes: 7, or 9 with CRC.
    pub header_length: usize,
    /// `number_of_raw_data_blocks_in_frame`: the frame holds this + 1 raw data blocks.
    pub raw_data_blocks: u8,
}

impl AdtsHeader {
    /// Parses the header at the start of `data` (which needs only the header bytes, 7 or 9).
    /// Errors give offsets from the start of `data`.
    pub fn parse(data: &[u8]) -> Result<Self> {
        let Some(h) = data.first_chunk::<ADTS_HEADER_LEN>() else {
            return Err(Error::malformed(
                ADTS,
                data.len(),
                format!("truncated: {} of {ADTS_HEADER_LEN} bytes", data.len()),
            ));
        };
        if h[0] != 0xFF || h[1] & 0xF0 != 0xF0 {
            return Err(Error::malformed(
                ADTS,
                0,
                format!("no sync word (found {:02X}{:02X})", h[0], h[1]),
            ));
        }
        let layer = (h[1] >> 1) & 0x3;
        if layer != 0 {
            return Err(Error::malformed(
                ADTS,
                1,
                format!("layer {layer}, must be 0"),
            ));
        }
        let protection_absent = h[1] & 1 == 1;
        let header_length = if protection_absent {
            ADTS_HEADER_LEN
        } else {
            ADTS_HEADER_CRC_LEN
        };
        if data.len() < header_length {
            return Err(Error::malformed(
                ADTS,
                data.len(),
                format!("truncated: {} of {header_length} bytes", data.len()),
            ));
        }
        let sampling_frequency_index = (h[2] >> 2) & 0xF;
        if usize::from(sampling_frequency_index) >= SAMPLING_RATES.len() {
            return Err(Error::malformed(
                ADTS,
                2,
                format!("sampling_frequency_index {sampling_frequency_index} is reserved"),
            ));
        }
        let frame_length =
            (usize::from(h[3] & 0x3) << 11) | (usize::from(h[4]) << 3) | usize::from(h[5] >> 5);
        if frame_length <= header_length {
            return Err(Error::malformed(
                ADTS,
                3,
                format!(
                    "frame length {frame_length} leaves no room after the {header_length}-byte header"
                ),
            ));
        }
        Ok(AdtsHeader {
            mpeg_version: if h[1] & 0x08 != 0 { 2 } else { 4 },
            protection_absent,
            profile: (h[2] >> 6) + 1,
            sampling_frequency_index,
            channel_config: ((h[2] & 0x1) << 2) | (h[3] >> 6),
            frame_length,
            header_length,
            raw_data_blocks: h[6] & 0x3,
        })
    }

    /// The sampling rate in Hz given by the index.
    pub fn sampling_rate(&self) -> u32 {
        SAMPLING_RATES
            .get(usize::from(self.sampling_frequency_index))
            .copied()
            .unwrap_or(0)
    }

    /// The AudioSpecificConfig equivalent to this header (for `esds` and the manifest).
    /// ADTS cannot signal SBR, so HE-AAC in ADTS yields the core config (implicit
    /// signalling). Channel configuration 0 is refused, as in [`AudioSpecificConfig::parse`].
    pub fn audio_specific_config(&self) -> Result<AudioSpecificConfig> {
        AudioSpecificConfig::from_indexes(
            self.profile,
            self.sampling_frequency_index,
            self.channel_config,
        )
    }

    /// Whether `other` decodes with the same configuration: the same object type,
    /// sampling rate and channel configuration. The MPEG version bit and the CRC do not
    /// change how a frame decodes, so they may differ.
    fn same_configuration(&self, other: &AdtsHeader) -> bool {
        (
            self.profile,
            self.sampling_frequency_index,
            self.channel_config,
        ) == (
            other.profile,
            other.sampling_frequency_index,
            other.channel_config,
        )
    }

    /// The configuration in words, e.g. "AAC-LC 48000 Hz stereo (2 ch)", for messages.
    pub fn describe(&self) -> String {
        let profile = match self.profile {
            1 => "AAC Main",
            2 => "AAC-LC",
            3 => "AAC SSR",
            _ => "AAC LTP",
        };
        let layout = match self.channel_config {
            0 => "channels from an in-band program_config_element (0)",
            1 => "mono (1 ch)",
            2 => "stereo (2 ch)",
            3 => "3.0 (3 ch)",
            4 => "4.0 (4 ch)",
            5 => "5.0 (5 ch)",
            6 => "5.1 (6 ch)",
            _ => "7.1 (8 ch)",
        };
        format!("{profile} {} Hz {layout}", self.sampling_rate())
    }

    /// Refuses frames with more than one raw data block: their block boundaries (and
    /// per-block CRCs) would have to be parsed out of the AAC bitstream. `offset` is the
    /// frame's position, for the error.
    fn check_single_block(&self, offset: usize) -> Result<()> {
        if self.raw_data_blocks > 0 {
            return Err(Error::malformed(
                ADTS,
                offset,
                format!(
                    "{} raw data blocks in one frame are not supported (only 1)",
                    u32::from(self.raw_data_blocks) + 1
                ),
            ));
        }
        Ok(())
    }
}

/// Holds an ADTS stream to the configuration of its first frame.
///
/// A Smooth audio stream has one AudioSpecificConfig (in `esds` and the manifest), taken
/// from the first frame; a later frame with another rate or channel layout would be
/// labelled wrongly and play at the wrong speed or with the wrong channels.
#[derive(Debug, Clone, Default)]
struct ConfigurationCheck {
    first: Option<AdtsHeader>,
}

impl ConfigurationCheck {
    /// Refuses `header` (of the frame at byte `offset`) when its configuration differs
    /// from the first frame's.
    fn check(&mut self, header: &AdtsHeader, offset: usize) -> Result<()> {
        let first = self.first.get_or_insert(*header);
        if first.same_configuration(header) {
            return Ok(());
        }
        Err(Error::config(
            "ADTS stream",
            format!(
                "the frame at byte {offset} changes the configuration from {} to {}; a Smooth \
                 audio stream has one configuration: split the file or re-encode",
                first.describe(),
                header.describe()
            ),
        ))
    }
}

/// One ADTS frame found by [`AdtsFrames`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdtsFrame {
    /// The frame's header.
    pub header: AdtsHeader,
    /// Where the raw AAC frame (without ADTS header and CRC) lies in the scanned buffer.
    pub payload: Range<usize>,
}

/// Iterates over the ADTS frames of an in-memory buffer.
///
/// Yields an error (with the byte offset in the buffer) for a bad header, a truncated last
/// frame, a multi-block frame or a frame whose configuration (object type, sampling rate,
/// channels) differs from the first frame's, and then stops.
#[derive(Debug, Clone)]
pub struct AdtsFrames<'a> {
    data: &'a [u8],
    /// Offset of the next frame.
    pos: usize,
    /// The first frame's configuration, which every frame must keep.
    configuration: ConfigurationCheck,
    /// Set after an error, so that the iterator ends instead of repeating it.
    failed: bool,
}

impl<'a> AdtsFrames<'a> {
    /// Starts scanning `data` at its first byte, which must be the start of a frame.
    pub fn new(data: &'a [u8]) -> Self {
        AdtsFrames {
            data,
            pos: 0,
            configuration: ConfigurationCheck::default(),
            failed: false,
        }
    }

    fn next_frame(&mut self) -> Result<AdtsFrame> {
        let start = self.pos;
        let rest = self.data.get(start..).unwrap_or_default();
        let header = AdtsHeader::parse(rest).map_err(|e| e.offset_by(start))?;
        header.check_single_block(start)?;
        self.configuration.check(&header, start)?;
        if rest.len() < header.frame_length {
            return Err(Error::malformed(
                ADTS,
                start,
                format!(
                    "truncated frame: {} of {} bytes",
                    rest.len(),
                    header.frame_length
                ),
            ));
        }
        self.pos = start + header.frame_length;
        Ok(AdtsFrame {
            header,
            payload: start + header.header_length..self.pos,
        })
    }
}

impl Iterator for AdtsFrames<'_> {
    type Item = Result<AdtsFrame>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let frame = self.next_frame();
        self.failed = frame.is_err();
        Some(frame)
    }
}

/// Reads ADTS frames from a byte stream, one frame at a time, so that large files are never
/// held in memory (one frame is at most 8191 bytes).
///
/// Yields `(header, raw payload)`. Ends cleanly at end of input on a frame boundary; a
/// partial frame, a bad header, a change of configuration (as in [`AdtsFrames`]) or a read
/// error yields one error and then ends. Read errors
/// come as [`Error::Io`] with op "read" and an empty path (the reader has no name).
#[derive(Debug)]
pub struct AdtsReader<R: Read> {
    inner: R,
    /// Byte offset of the next frame in the stream, for error messages.
    pos: usize,
    /// The first frame's configuration, which every frame must keep.
    configuration: ConfigurationCheck,
    /// Set after an error or at the end, so that the iterator ends.
    done: bool,
}

impl<R: Read> AdtsReader<R> {
    /// Reads frames from `inner`, which should be buffered if it is a file.
    pub fn new(inner: R) -> Self {
        AdtsReader {
            inner,
            pos: 0,
            configuration: ConfigurationCheck::default(),
            done: false,
        }
    }

    /// Stream offset of the next frame: the end of the frame returned last. (Accessor
    /// for the source model: where a payload lies in its file.)
    pub fn position(&self) -> u64 {
        self.pos as u64
    }

    /// Fills `buf` as far as the input goes; returns the number of bytes read (short only at
    /// end of input).
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut filled = 0;
        while let Some(dest) = buf.get_mut(filled..).filter(|d| !d.is_empty()) {
            match self.inner.read(dest) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(Error::Io {
                        op: "read",
                        path: PathBuf::new(),
                        source,
                    });
                }
            }
        }
        Ok(filled)
    }

    /// Reads the next frame; Ok(None) at a clean end of input.
    fn read_frame(&mut self) -> Result<Option<(AdtsHeader, Bytes)>> {
        let start = self.pos;
        let mut head = [0u8; ADTS_HEADER_CRC_LEN];
        let got = self.fill(head.get_mut(..ADTS_HEADER_LEN).unwrap_or_default())?;
        if got == 0 {
            return Ok(None);
        }
        let short = |got: usize, want: usize| {
            Error::malformed(
                ADTS,
                start.saturating_add(got),
                format!("truncated frame: {got} of {want} bytes"),
            )
        };
        if got < ADTS_HEADER_LEN {
            return Err(short(got, ADTS_HEADER_LEN));
        }
        // Bit 0 of byte 1 is protection_absent; with a CRC the header has 2 more bytes.
        let header_length = if head[1] & 1 == 1 {
            ADTS_HEADER_LEN
        } else {
            let got = self.fill(head.get_mut(ADTS_HEADER_LEN..).unwrap_or_default())?;
            if got < ADTS_HEADER_CRC_LEN - ADTS_HEADER_LEN {
                return Err(short(ADTS_HEADER_LEN + got, ADTS_HEADER_CRC_LEN));
            }
            ADTS_HEADER_CRC_LEN
        };
        let header = AdtsHeader::parse(head.get(..header_length).unwrap_or_default())
            .map_err(|e| e.offset_by(start))?;
        header.check_single_block(start)?;
        self.configuration.check(&header, start)?;
        let mut payload = BytesMut::zeroed(header.frame_length - header.header_length);
        let got = self.fill(&mut payload)?;
        if got < payload.len() {
            return Err(short(header.header_length + got, header.frame_length));
        }
        // Saturating: a stream over 4 GiB on a 32-bit target only blurs error offsets.
        self.pos = start.saturating_add(header.frame_length);
        Ok(Some((header, payload.freeze())))
    }
}

impl<R: Read> Iterator for AdtsReader<R> {
    type Item = Result<(AdtsHeader, Bytes)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = self.read_frame().transpose();
        self.done = !matches!(result, Some(Ok(_)));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::codec::aac::BitWriter;
    use crate::test_rng::XorShift;

    const SINE_ADTS: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/aac/sine_48k_mono.aac"
    ));

    /// Builds an ADTS header by hand (ISO 14496-3 §1.A.2.2 bit layout).
    fn adts_header(crc: bool, aot: u8, sfi: u8, ch: u8, frame_len: usize, blocks: u8) -> Vec<u8> {
        let mut w = BitWriter::default();
        w.write(12, 0xFFF);
        w.write(1, 0); // MPEG-4
        w.write(2, 0); // layer
        w.write(1, u32::from(!crc));
        w.write(2, u32::from(aot - 1));
        w.write(4, u32::from(sfi));
        w.write(1, 0);
        w.write(3, u32::from(ch));
        w.write(4, 0);
        w.write(13, frame_len as u32);
        w.write(11, 0x7FF);
        w.write(2, u32::from(blocks));
        if crc {
            w.write(16, 0xBEEF);
        }
        w.finish()
    }

    #[test]
    fn adts_file_without_crc() {
        let frames: Vec<_> = AdtsFrames::new(SINE_ADTS).collect::<Result<_>>().unwrap();
        // 1 s at 48 kHz = 46.875 frames of 1024; FFmpeg adds priming and flushes the tail.
        assert!(frames.len() >= 47, "{} frames", frames.len());
        let first = &frames[0];
        assert!(first.header.protection_absent);
        assert_eq!(first.header.header_length, 7);
        assert_eq!(first.header.mpeg_version, 4);
        assert_eq!(first.header.profile, 2);
        assert_eq!(first.header.sampling_rate(), 48000);
        assert_eq!(first.payload.start, 7);
        let asc = first.header.audio_specific_config().unwrap();
        assert_eq!(asc.to_bytes(), [0x11, 0x88]); // LC, 48 kHz, mono
        let total: usize = frames.iter().map(|f| f.header.frame_length).sum();
        assert_eq!(total, SINE_ADTS.len());

        // The streaming reader sees the same frames and payloads.
        let streamed: Vec<_> = AdtsReader::new(SINE_ADTS).collect::<Result<_>>().unwrap();
        assert_eq!(streamed.len(), frames.len());
        for (f, (h, payload)) in frames.iter().zip(&streamed) {
            assert_eq!(&f.header, h);
            assert_eq!(&SINE_ADTS[f.payload.clone()], &payload[..]);
        }
    }

    #[test]
    fn adts_with_crc() {
        let mut data = Vec::new();
        for i in 0..3u8 {
            let mut frame = adts_header(true, 2, 4, 2, 9 + 5, 0);
            frame.extend_from_slice(&[i; 5]);
            data.extend_from_slice(&frame);
        }
        let frames: Vec<_> = AdtsFrames::new(&data).collect::<Result<_>>().unwrap();
        assert_eq!(frames.len(), 3);
        for (i, f) in frames.iter().enumerate() {
            assert!(!f.header.protection_absent);
            assert_eq!(f.header.header_length, 9);
            assert_eq!(f.payload, i * 14 + 9..i * 14 + 14);
            assert_eq!(data[f.payload.clone()], [i as u8; 5]);
        }
        assert_eq!(
            frames[0].header.audio_specific_config().unwrap().to_bytes(),
            [0x12, 0x10]
        );
        let streamed: Vec<_> = AdtsReader::new(&data[..]).collect::<Result<_>>().unwrap();
        assert_eq!(streamed.len(), 3);
        assert_eq!(&streamed[2].1[..], &[2u8; 5]);
    }

    #[test]
    fn adts_errors() {
        // Multiple raw data blocks are refused with the frame's offset.
        let mut data = adts_header(false, 2, 3, 2, 7 + 4, 0);
        data.extend_from_slice(&[0; 4]);
        data.extend_from_slice(&adts_header(false, 2, 3, 2, 7 + 4, 2));
        data.extend_from_slice(&[0; 4]);
        let results: Vec<_> = AdtsFrames::new(&data).collect();
        assert_eq!(results.len(), 2);
        let err = results[1].as_ref().unwrap_err().to_string();
        assert!(
            err.contains("at byte 11") && err.contains("3 raw data blocks"),
            "{err}"
        );
        let err = AdtsReader::new(&data[..])
            .nth(1)
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(err.contains("at byte 11"), "{err}");

        // Truncated last frame.
        let mut data = adts_header(false, 2, 3, 2, 7 + 4, 0);
        data.extend_from_slice(&[0; 3]);
        let err = AdtsFrames::new(&data)
            .next()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated"), "{err}");
        let err = AdtsReader::new(&data[..])
            .next()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated frame: 10 of 11"), "{err}");

        // Garbage.
        let err = AdtsHeader::parse(&[0x00; 9]).unwrap_err().to_string();
        assert!(err.contains("sync word"), "{err}");
        assert!(AdtsFrames::new(&[]).next().is_none());
        assert!(AdtsReader::new(&[][..]).next().is_none());
    }

    /// Frames of 4 zero payload bytes with the given (sampling frequency index, channel
    /// configuration) each, and the CRC on every other frame.
    fn frames_with(configs: &[(u8, u8)]) -> Vec<u8> {
        let mut data = Vec::new();
        for (i, &(sfi, ch)) in configs.iter().enumerate() {
            let crc = i % 2 == 1;
            let header = adts_header(crc, 2, sfi, ch, if crc { 9 } else { 7 } + 4, 0);
            data.extend_from_slice(&header);
            data.extend_from_slice(&[0; 4]);
        }
        data
    }

    /// The error of the first failing frame, from both readers (which must agree).
    fn first_error(data: &[u8]) -> String {
        let frames = AdtsFrames::new(data).find_map(Result::err).unwrap();
        let read = AdtsReader::new(data).find_map(Result::err).unwrap();
        assert_eq!(frames.to_string(), read.to_string());
        frames.to_string()
    }

    #[test]
    fn sampling_rate_change_is_refused_with_offset_and_both_configurations() {
        // 48 kHz, 48 kHz (with CRC: 13 bytes), then 16 kHz at byte 11 + 13 = 24.
        let err = first_error(&frames_with(&[(3, 2), (3, 2), (8, 2)]));
        assert_eq!(
            err,
            "invalid ADTS stream: the frame at byte 24 changes the configuration from AAC-LC \
             48000 Hz stereo (2 ch) to AAC-LC 16000 Hz stereo (2 ch); a Smooth audio stream \
             has one configuration: split the file or re-encode"
        );
    }

    #[test]
    fn channel_change_is_refused_with_offset_and_both_configurations() {
        let err = first_error(&frames_with(&[(3, 2), (3, 6)]));
        assert!(
            err.contains("frame at byte 11")
                && err.contains("from AAC-LC 48000 Hz stereo (2 ch) to AAC-LC 48000 Hz 5.1 (6 ch)"),
            "{err}"
        );
    }

    #[test]
    fn object_type_change_is_refused() {
        let mut data = frames_with(&[(3, 2)]);
        data.extend_from_slice(&adts_header(false, 1, 3, 2, 7 + 4, 0));
        data.extend_from_slice(&[0; 4]);
        let err = first_error(&data);
        assert!(
            err.contains("from AAC-LC 48000 Hz stereo (2 ch) to AAC Main 48000 Hz stereo"),
            "{err}"
        );
    }

    #[test]
    fn crc_and_mpeg_version_may_change() {
        let mut data = frames_with(&[(3, 2), (3, 2), (3, 2)]);
        // The ID bit (MPEG-2 rather than MPEG-4) of the last frame.
        data[24 + 1] |= 0x08;
        assert_eq!(AdtsFrames::new(&data).filter(Result::is_ok).count(), 3);
        assert_eq!(AdtsReader::new(&data[..]).filter(Result::is_ok).count(), 3);
    }

    #[test]
    fn random_input_never_panics() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let len = rng.below(13);
            let data = rng.bytes(len);
            if let Ok(h) = AdtsHeader::parse(&data) {
                let _ = h.audio_specific_config();
            }
            let _ = AdtsFrames::new(&data).count();
            let _ = AdtsReader::new(&data[..]).count();
        }
        // Random data behind a valid sync word reaches the deeper checks more often.
        for _ in 0..20_000 {
            let mut data = vec![0xFF, 0xF1];
            let len = rng.below(41);
            data.extend(rng.bytes(len));
            let _ = AdtsFrames::new(&data).count();
            let _ = AdtsReader::new(&data[..]).count();
        }
    }

    #[test]
    fn truncations_never_panic() {
        for cut in 0..SINE_ADTS.len().min(2000) {
            let data = &SINE_ADTS[..cut];
            let _ = AdtsFrames::new(data).count();
            let _ = AdtsReader::new(data).count();
        }
    }
}
