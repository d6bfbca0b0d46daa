//! AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3) and Smooth Streaming
//! CodecPrivateData.

use bytes::Bytes;

use super::nal::{NAL_PPS, NAL_SPS, nal_unit_type};
use super::sps::Sps;
use crate::codec::bitstream::{ByteCursor, NalFormat, nal_units};
use crate::error::{Error, Result};

const WHAT: &str = "avcC";

/// Profiles whose avcC carries the chroma format and bit depth fields.
const EXTENDED_PROFILES: [u8; 5] = [100, 110, 122, 144, 244];

/// The chroma and bit depth fields of a high-profile avcC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvcHighProfileExt {
    /// chroma_format_idc.
    pub chroma_format_idc: u8,
    /// Luma bit depth (8..=14).
    pub bit_depth_luma: u8,
    /// Chroma bit depth (8..=14).
    pub bit_depth_chroma: u8,
    /// Sequence parameter set extension NAL units.
    pub sps_ext: Vec<Bytes>,
}

/// An H.264 decoder configuration: profile, level and parameter sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvcDecoderConfig {
    /// AVCProfileIndication (profile_idc of the SPS).
    pub profile_idc: u8,
    /// profile_compatibility (the constraint flags byte of the SPS).
    pub profile_compatibility: u8,
    /// AVCLevelIndication (level_idc of the SPS).
    pub level_idc: u8,
    /// NAL unit length size of the samples this record described on input (1, 2 or 4).
    pub length_size: u8,
    /// Sequence parameter set NAL units (header byte included, emulation prevention
    /// kept).
    pub sps: Vec<Bytes>,
    /// Picture parameter set NAL units.
    pub pps: Vec<Bytes>,
    /// Chroma format and bit depths, for profiles that carry them.
    pub high_profile_ext: Option<AvcHighProfileExt>,
}

/// Reads `count` NAL units, each behind a 16-bit length.
fn read_nals(c: &mut ByteCursor<'_>, count: usize) -> Result<Vec<Bytes>> {
    (0..count)
        .map(|_| {
            let len = usize::from(c.u16()?);
            Ok(Bytes::copy_from_slice(c.bytes(len)?))
        })
        .collect()
}

impl AvcDecoderConfig {
    /// Parses the payload of an `avcC` box.
    ///
    /// At least one SPS and one PPS are required. The high-profile fields are read when
    /// present (many writers leave them out).
    pub fn parse(avcc: &[u8]) -> Result<Self> {
        let c = &mut ByteCursor::at(avcc, 0, WHAT);
        let version = c.u8()?;
        if version != 1 {
            return Err(Error::malformed(
                WHAT,
                0,
                format!("configurationVersion {version}, expected 1"),
            ));
        }
        let profile_idc = c.u8()?;
        let profile_compatibility = c.u8()?;
        let level_idc = c.u8()?;
        let length_size = (c.u8()? & 3) + 1;
        if length_size == 3 {
            return Err(Error::malformed(WHAT, 4, "lengthSizeMinusOne is 2"));
        }
        let sps_count = usize::from(c.u8()? & 0x1f);
        let sps = read_nals(c, sps_count)?;
        let pps_count = usize::from(c.u8()?);
        let pps = read_nals(c, pps_count)?;
        if sps.is_empty() || pps.is_empty() {
            return Err(Error::config(
                WHAT,
                format!(
                    "{} SPS and {} PPS, need at least one of each",
                    sps.len(),
                    pps.len()
                ),
            ));
        }
        let mut high_profile_ext = None;
        if EXTENDED_PROFILES.contains(&profile_idc) && c.remaining() >= 4 {
            let chroma_format_idc = c.u8()? & 3;
            let bit_depth_luma = (c.u8()? & 7) + 8;
            let bit_depth_chroma = (c.u8()? & 7) + 8;
            let ext_count = usize::from(c.u8()?);
            high_profile_ext = Some(AvcHighProfileExt {
                chroma_format_idc,
                bit_depth_luma,
                bit_depth_chroma,
                sps_ext: read_nals(c, ext_count)?,
            });
        }
        Ok(AvcDecoderConfig {
            profile_idc,
            profile_compatibility,
            level_idc,
            length_size,
            sps,
            pps,
            high_profile_ext,
        })
    }

    /// Builds a configuration from one SPS and one PPS NAL unit (header bytes included);
    /// the SPS must parse, and profile and level are taken from it.
    pub fn from_parameter_sets(sps: Bytes, pps: Bytes) -> Result<Self> {
        let info = Sps::parse(&sps)?;
        if nal_unit_type(&pps) != Some(NAL_PPS) {
            return Err(Error::config("PPS", "not a PPS NAL unit"));
        }
        for (name, nal) in [("SPS", &sps), ("PPS", &pps)] {
            if nal.len() > usize::from(u16::MAX) {
                return Err(Error::config(
                    WHAT,
                    format!("{name} of {} bytes does not fit a 16-bit length", nal.len()),
                ));
            }
        }
        let high_profile_ext =
            EXTENDED_PROFILES
                .contains(&info.profile_idc)
                .then(|| AvcHighProfileExt {
                    chroma_format_idc: info.chroma_format_idc,
                    bit_depth_luma: info.bit_depth_luma,
                    bit_depth_chroma: info.bit_depth_chroma,
                    sps_ext: Vec::new(),
                });
        Ok(AvcDecoderConfig {
            profile_idc: info.profile_idc,
            profile_compatibility: info.constraint_flags,
            level_idc: info.level_idc,
            length_size: 4,
            sps: vec![sps],
            pps: vec![pps],
            high_profile_ext,
        })
    }

    /// Builds a configuration from the first SPS and first PPS in one sample (normally
    /// an IDR access unit with in-band parameter sets); `None` when either is missing.
    pub fn from_access_unit(sample: &[u8], format: NalFormat) -> Result<Option<Self>> {
        match first_parameter_sets(nal_units(sample, format))? {
            (Some(sps), Some(pps)) => Self::from_parameter_sets(sps, pps).map(Some),
            _ => Ok(None),
        }
    }

    /// The `avcC` box payload. lengthSizeMinusOne is always 3: output samples always
    /// carry 4-byte NAL unit lengths whatever the input used.
    pub fn to_avcc(&self) -> Vec<u8> {
        let mut out = vec![
            1,
            self.profile_idc,
            self.profile_compatibility,
            self.level_idc,
            0xfc | 3,
        ];
        // The counts and lengths were bounded when the record was built; clamping keeps
        // a hand-edited record well-formed rather than wrong.
        push_nals(&mut out, &self.sps, 0x1f, 0xe0);
        push_nals(&mut out, &self.pps, 0xff, 0);
        if EXTENDED_PROFILES.contains(&self.profile_idc) {
            let ext = self.high_profile_ext.clone().unwrap_or(AvcHighProfileExt {
                chroma_format_idc: 1,
                bit_depth_luma: 8,
                bit_depth_chroma: 8,
                sps_ext: Vec::new(),
            });
            out.push(0xfc | (ext.chroma_format_idc & 3));
            out.push(0xf8 | (ext.bit_depth_luma.saturating_sub(8) & 7));
            out.push(0xf8 | (ext.bit_depth_chroma.saturating_sub(8) & 7));
            push_nals(&mut out, &ext.sps_ext, 0xff, 0);
        }
        out
    }

    /// Smooth Streaming CodecPrivateData bytes: each SPS then each PPS behind a
    /// `00 00 00 01` start code, emulation prevention kept.
    pub fn codec_private_data(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for nal in self.sps.iter().chain(&self.pps) {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(nal);
        }
        out
    }

    /// Parses the first SPS.
    pub fn sps_info(&self) -> Result<Sps> {
        let sps = self
            .sps
            .first()
            .ok_or_else(|| Error::config(WHAT, "no SPS"))?;
        Sps::parse(sps)
    }
}

/// The first SPS and the first PPS among `nals` (copied), stopping at the first error.
pub(crate) fn first_parameter_sets<'a>(
    nals: impl Iterator<Item = Result<&'a [u8]>>,
) -> Result<(Option<Bytes>, Option<Bytes>)> {
    let (mut sps, mut pps) = (None, None);
    for nal in nals {
        let nal = nal?;
        match nal_unit_type(nal) {
            Some(NAL_SPS) if sps.is_none() => sps = Some(Bytes::copy_from_slice(nal)),
            Some(NAL_PPS) if pps.is_none() => pps = Some(Bytes::copy_from_slice(nal)),
            _ => {}
        }
    }
    Ok((sps, pps))
}

/// Appends a count (at most `max_count`, or-ed with `reserved`) and that many NAL units
/// behind 16-bit lengths; longer NAL units are left out.
fn push_nals(out: &mut Vec<u8>, nals: &[Bytes], max_count: u8, reserved: u8) {
    let fitting: Vec<&Bytes> = nals
        .iter()
        .filter(|n| n.len() <= usize::from(u16::MAX))
        .take(usize::from(max_count))
        .collect();
    // take() bounded the count by max_count, a u8.
    out.push(reserved | fitting.len() as u8);
    for nal in fitting {
        out.extend_from_slice(&(nal.len() as u16).to_be_bytes());
        out.extend_from_slice(nal);
    }
}
