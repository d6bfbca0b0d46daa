//! Windows media-type structures as the original SDK took them in `SSF_STREAM_INFO`:
//! WAVEFORMATEX for audio, VIDEOINFOHEADER2 or MPEG2VIDEOINFO for video. All are
//! little-endian and read here from raw bytes with every offset bounds-checked, so a C
//! caller's wrong size or truncated struct becomes an error, never an out-of-bounds read.

use bytes::Bytes;

use crate::codec::avc::{NalFormat, first_parameter_sets};
use crate::codec::bitstream::{ByteCursor, length_prefixed_nals};
use crate::codec::wma::{
    WAVE_FORMAT_WMAUDIO_LOSSLESS, WAVE_FORMAT_WMAUDIO2, WAVE_FORMAT_WMAUDIO3, WaveFormatEx,
};
use crate::error::{Error, Result};

/// Size of WAVEFORMATEX without its extra bytes.
pub const WAVEFORMATEX_SIZE: usize = 18;
/// Size of VIDEOINFOHEADER2, its BITMAPINFOHEADER included.
pub const VIDEOINFOHEADER2_SIZE: usize = 112;
/// Offset of `dwSequenceHeader` in MPEG2VIDEOINFO: the smallest MPEG2VIDEOINFO is this
/// long (with an empty sequence header).
pub const MPEG2VIDEOINFO_HEADER_SIZE: usize = 132;

/// WAVEFORMATEX format tags of AAC the SDK callers use (WMA's are [`crate::codec::wma`]'s).
const WAVE_FORMAT_RAW_AAC1: u16 = 0x00FF;
const WAVE_FORMAT_MPEG_HEAAC: u16 = 0x1610;
/// HEAACWAVEINFO, between WAVEFORMATEX and the AudioSpecificConfig for 0x1610.
const HEAACWAVEINFO_SIZE: usize = 12;

/// Offset of bmiHeader.biCompression in VIDEOINFOHEADER2 (72 + 16).
const BI_COMPRESSION: usize = 88;
/// Offsets in MPEG2VIDEOINFO.
const CB_SEQUENCE_HEADER: usize = 116;
const DW_FLAGS: usize = 128;

/// What a media-type structure describes, in the terms the muxer's stream constructors take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaType {
    /// AAC with its AudioSpecificConfig.
    Aac {
        /// The AudioSpecificConfig bytes.
        asc: Vec<u8>,
    },
    /// WMA (v2, Pro or Lossless): the whole WAVEFORMATEX, extra bytes included.
    Wma {
        /// WAVEFORMATEX as given, cut to 18 + cbSize bytes.
        wave_format_ex: Vec<u8>,
    },
    /// H.264 with parameter sets given up front.
    H264ParameterSets {
        /// The first SPS NAL unit.
        sps: Bytes,
        /// The first PPS NAL unit.
        pps: Bytes,
        /// How samples are framed.
        input: NalFormat,
    },
    /// H.264 whose parameter sets come in band with the first IDR.
    H264InBand {
        /// How samples are framed.
        input: NalFormat,
    },
    /// VC-1 Advanced Profile: the codec extra data after the BITMAPINFOHEADER (empty when
    /// the sequence header comes in band with the first keyframe).
    Vc1 {
        /// Sequence header and entry point (with the leading byte, as given).
        codec_private_data: Vec<u8>,
    },
}

/// Reads a WAVEFORMATEX (18 bytes + `cbSize` extra bytes; trailing bytes past those are
/// ignored, as callers often pass a rounded-up size).
pub fn parse_wave_format_ex(data: &[u8]) -> Result<MediaType> {
    const WHAT: &str = "WAVEFORMATEX";
    let wfx = WaveFormatEx::parse(data)?;
    match wfx.format_tag {
        WAVE_FORMAT_RAW_AAC1 => Ok(MediaType::Aac { asc: wfx.extra }),
        WAVE_FORMAT_MPEG_HEAAC => {
            let mut c = ByteCursor::at(&wfx.extra, 0, "HEAACWAVEINFO");
            let payload_type = c.u16_le()?;
            c.skip(2)?; // wAudioProfileLevelIndication
            let struct_type = c.u16_le()?;
            if payload_type != 0 || struct_type != 0 {
                return Err(Error::config(
                    WHAT,
                    format!(
                        "HE-AAC payload type {payload_type} / struct type {struct_type}: only raw AAC with an AudioSpecificConfig (0 / 0) is supported"
                    ),
                ));
            }
            Ok(MediaType::Aac {
                asc: wfx
                    .extra
                    .get(HEAACWAVEINFO_SIZE..)
                    .unwrap_or_default()
                    .to_vec(),
            })
        }
        WAVE_FORMAT_WMAUDIO2 | WAVE_FORMAT_WMAUDIO3 | WAVE_FORMAT_WMAUDIO_LOSSLESS => {
            Ok(MediaType::Wma {
                wave_format_ex: data
                    .get(..WAVEFORMATEX_SIZE + wfx.extra.len())
                    .unwrap_or_default()
                    .to_vec(),
            })
        }
        other => Err(Error::config(
            WHAT,
            format!(
                "format tag 0x{other:04X} is not AAC (0x00FF, 0x1610) or WMA (0x0161 to 0x0163)"
            ),
        )),
    }
}

/// Reads a VIDEOINFOHEADER2 or an MPEG2VIDEOINFO, told apart by the FourCC in the
/// BITMAPINFOHEADER and the size: 'AVC1' (length-prefixed H.264) must come as
/// MPEG2VIDEOINFO, whose dwFlags gives the NAL length size; 'H264' (Annex B) as either,
/// with parameter sets in band when there is no sequence header; 'WVC1' (VC-1) as
/// VIDEOINFOHEADER2 followed by its sequence header, if any.
pub fn parse_video_info(data: &[u8]) -> Result<MediaType> {
    const WHAT: &str = "VIDEOINFOHEADER2";
    if data.len() < VIDEOINFOHEADER2_SIZE {
        return Err(Error::malformed(
            WHAT,
            0,
            format!(
                "{} bytes, at least {VIDEOINFOHEADER2_SIZE} expected",
                data.len()
            ),
        ));
    }
    let mut c = ByteCursor::at(data, 0, WHAT);
    c.seek(BI_COMPRESSION)?;
    let fourcc: [u8; 4] = c.array()?;
    let mut upper = fourcc;
    upper.make_ascii_uppercase();
    match &upper {
        // Annex B needs no NAL length size, so a bare VIDEOINFOHEADER2 is enough for it.
        b"H264" if data.len() < MPEG2VIDEOINFO_HEADER_SIZE => Ok(MediaType::H264InBand {
            input: NalFormat::AnnexB,
        }),
        b"AVC1" | b"H264" => parse_mpeg2_video_info(data, &fourcc),
        b"WVC1" => Ok(MediaType::Vc1 {
            codec_private_data: data
                .get(VIDEOINFOHEADER2_SIZE..)
                .unwrap_or_default()
                .to_vec(),
        }),
        _ => Err(Error::config(
            WHAT,
            format!(
                "biCompression {:?} is not H.264 ('AVC1', 'H264') or VC-1 ('WVC1')",
                String::from_utf8_lossy(&fourcc)
            ),
        )),
    }
}

fn parse_mpeg2_video_info(data: &[u8], fourcc: &[u8; 4]) -> Result<MediaType> {
    const WHAT: &str = "MPEG2VIDEOINFO";
    if data.len() < MPEG2VIDEOINFO_HEADER_SIZE {
        return Err(Error::malformed(
            WHAT,
            0,
            format!(
                "{} bytes, at least {MPEG2VIDEOINFO_HEADER_SIZE} expected for H.264",
                data.len()
            ),
        ));
    }
    let mut c = ByteCursor::at(data, 0, WHAT);
    c.seek(CB_SEQUENCE_HEADER)?;
    let header_len = usize::try_from(c.u32_le()?).unwrap_or(usize::MAX);
    c.seek(DW_FLAGS)?;
    let flags = c.u32_le()?;
    let input = if fourcc.eq_ignore_ascii_case(b"H264") {
        NalFormat::AnnexB
    } else {
        NalFormat::length_prefixed(flags).ok_or_else(|| {
            Error::malformed(
                WHAT,
                DW_FLAGS,
                format!("dwFlags {flags}: the NAL length size must be 1, 2 or 4"),
            )
        })?
    };
    if header_len == 0 {
        return Ok(MediaType::H264InBand { input });
    }
    let header = MPEG2VIDEOINFO_HEADER_SIZE
        .checked_add(header_len)
        .and_then(|end| data.get(MPEG2VIDEOINFO_HEADER_SIZE..end))
        .ok_or_else(|| {
            Error::malformed(
                WHAT,
                CB_SEQUENCE_HEADER,
                format!(
                    "cbSequenceHeader {header_len} runs past the {} bytes given",
                    data.len()
                ),
            )
        })?;
    // The parameter sets stand behind 2-byte lengths, as in an avcC.
    let nals = length_prefixed_nals(header, 2)
        .named(WHAT)
        .map(|nal| nal.map_err(|e| e.offset_by(MPEG2VIDEOINFO_HEADER_SIZE)));
    let (sps, pps) = first_parameter_sets(nals)?;
    match (sps, pps) {
        (Some(sps), Some(pps)) => Ok(MediaType::H264ParameterSets { sps, pps, input }),
        _ => Err(Error::config(
            WHAT,
            "dwSequenceHeader must hold an SPS and a PPS (or be empty for in-band parameter sets)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wave(tag: u16, extra: &[u8]) -> Vec<u8> {
        let mut w = Vec::new();
        w.extend_from_slice(&tag.to_le_bytes());
        w.extend_from_slice(&2u16.to_le_bytes());
        w.extend_from_slice(&48_000u32.to_le_bytes());
        w.extend_from_slice(&12_000u32.to_le_bytes());
        w.extend_from_slice(&4u16.to_le_bytes());
        w.extend_from_slice(&16u16.to_le_bytes());
        w.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        w.extend_from_slice(extra);
        w
    }

    fn video(fourcc: &[u8; 4], flags: u32, seq: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; MPEG2VIDEOINFO_HEADER_SIZE];
        v[BI_COMPRESSION..BI_COMPRESSION + 4].copy_from_slice(fourcc);
        v[CB_SEQUENCE_HEADER..CB_SEQUENCE_HEADER + 4]
            .copy_from_slice(&(seq.len() as u32).to_le_bytes());
        v[DW_FLAGS..DW_FLAGS + 4].copy_from_slice(&flags.to_le_bytes());
        v.extend_from_slice(seq);
        v
    }

    #[test]
    fn raw_aac_extra_bytes_are_the_asc() {
        let w = wave(0x00FF, &[0x11, 0x90]);
        assert_eq!(
            parse_wave_format_ex(&w).unwrap(),
            MediaType::Aac {
                asc: vec![0x11, 0x90]
            }
        );
        // A rounded-up size with padding after cbSize bytes is accepted.
        let mut padded = w.clone();
        padded.extend_from_slice(&[0, 0]);
        assert!(parse_wave_format_ex(&padded).is_ok());
    }

    #[test]
    fn heaac_skips_heaacwaveinfo() {
        let mut extra = vec![0u8; 12];
        extra.extend_from_slice(&[0x12, 0x10]);
        assert_eq!(
            parse_wave_format_ex(&wave(0x1610, &extra)).unwrap(),
            MediaType::Aac {
                asc: vec![0x12, 0x10]
            }
        );
        extra[0] = 1; // ADTS payload: refused
        assert!(parse_wave_format_ex(&wave(0x1610, &extra)).is_err());
        assert!(parse_wave_format_ex(&wave(0x1610, &[0, 0])).is_err());
    }

    #[test]
    fn wma_keeps_the_whole_structure() {
        let w = wave(0x0161, &[0, 0x88, 0, 0, 0x1f, 0, 0, 0, 0, 0]);
        assert_eq!(
            parse_wave_format_ex(&w).unwrap(),
            MediaType::Wma {
                wave_format_ex: w.clone()
            }
        );
    }

    #[test]
    fn bad_wave_formats_are_errors() {
        assert!(parse_wave_format_ex(&[]).is_err());
        assert!(parse_wave_format_ex(&[0xFF; 17]).is_err());
        let mut w = wave(0x00FF, &[0x11, 0x90]);
        w[16] = 200; // cbSize past the end
        assert!(parse_wave_format_ex(&w).is_err());
        assert!(parse_wave_format_ex(&wave(0x0001, &[])).is_err());
    }

    #[test]
    fn mpeg2videoinfo_in_band_and_parameter_sets() {
        assert_eq!(
            parse_video_info(&video(b"AVC1", 4, &[])).unwrap(),
            MediaType::H264InBand {
                input: NalFormat::LengthPrefixed(4)
            }
        );
        assert_eq!(
            parse_video_info(&video(b"H264", 0, &[])).unwrap(),
            MediaType::H264InBand {
                input: NalFormat::AnnexB
            }
        );
        let seq = [0, 3, 0x67, 0x64, 0x00, 0, 2, 0x68, 0xEE];
        assert_eq!(
            parse_video_info(&video(b"avc1", 2, &seq)).unwrap(),
            MediaType::H264ParameterSets {
                sps: Bytes::from_static(&[0x67, 0x64, 0x00]),
                pps: Bytes::from_static(&[0x68, 0xEE]),
                input: NalFormat::LengthPrefixed(2)
            }
        );
    }

    #[test]
    fn bad_video_infos_are_errors() {
        assert!(parse_video_info(&[0; 10]).is_err());
        assert!(parse_video_info(&video(b"AVC1", 3, &[])).is_err());
        assert!(parse_video_info(&video(b"MP4V", 4, &[])).is_err());
        // 'AVC1' in a bare VIDEOINFOHEADER2 has no NAL length size; 'H264' needs none.
        assert!(parse_video_info(&video(b"AVC1", 4, &[])[..112]).is_err());
        assert_eq!(
            parse_video_info(&video(b"H264", 0, &[])[..112]).unwrap(),
            MediaType::H264InBand {
                input: NalFormat::AnnexB
            }
        );
        // Sequence header length past the end, truncated NAL length, no PPS.
        let mut v = video(b"AVC1", 4, &[0, 3, 0x67]);
        assert!(parse_video_info(&v).is_err());
        v = video(b"AVC1", 4, &[0]);
        assert!(parse_video_info(&v).is_err());
        v = video(b"AVC1", 4, &[0, 1, 0x67]);
        assert!(parse_video_info(&v).is_err());
        v = video(b"AVC1", 4, &[]);
        v[CB_SEQUENCE_HEADER..CB_SEQUENCE_HEADER + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse_video_info(&v).is_err());
    }

    #[test]
    fn vc1_takes_the_extra_data() {
        let mut v = vec![0u8; VIDEOINFOHEADER2_SIZE];
        v[BI_COMPRESSION..BI_COMPRESSION + 4].copy_from_slice(b"WVC1");
        v.extend_from_slice(&[0x25, 0, 0, 1, 0x0F]);
        assert_eq!(
            parse_video_info(&v).unwrap(),
            MediaType::Vc1 {
                codec_private_data: vec![0x25, 0, 0, 1, 0x0F]
            }
        );
    }
}
