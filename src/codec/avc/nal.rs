//! NAL unit types and length-prefixed framing.

use std::borrow::Cow;

use bytes::Bytes;

use super::annexb::{annexb_to_length_prefixed4, split_annexb};
use super::bits::remove_emulation_prevention;
use crate::error::{Error, Result};

/// Coded slice of a non-IDR picture.
pub const NAL_SLICE: u8 = 1;
/// Coded slice data partition A.
pub const NAL_SLICE_DPA: u8 = 2;
/// Coded slice data partition B.
pub const NAL_SLICE_DPB: u8 = 3;
/// Coded slice data partition C.
pub const NAL_SLICE_DPC: u8 = 4;
/// Coded slice of an IDR picture.
pub const NAL_IDR_SLICE: u8 = 5;
/// Supplemental enhancement information.
pub const NAL_SEI: u8 = 6;
/// Sequence parameter set.
pub const NAL_SPS: u8 = 7;
/// Picture parameter set.
pub const NAL_PPS: u8 = 8;
/// Access unit delimiter.
pub const NAL_AUD: u8 = 9;
/// End of sequence.
pub const NAL_END_OF_SEQUENCE: u8 = 10;
/// End of stream.
pub const NAL_END_OF_STREAM: u8 = 11;

/// How the NAL units of a sample are framed on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NalFormat {
    /// Start codes (`00 00 01` or `00 00 00 01`) before each NAL unit (H.264 Annex B).
    AnnexB,
    /// A big-endian length of 1, 2 or 4 bytes before each NAL unit (ISO/IEC 14496-15).
    LengthPrefixed(u8),
}

/// The nal_unit_type of a NAL unit (its first byte's low 5 bits); `None` when empty.
pub fn nal_unit_type(nal: &[u8]) -> Option<u8> {
    nal.first().map(|b| b & 0x1f)
}

/// The RBSP of a NAL unit of type `expected`: its payload after the header byte, without
/// emulation prevention bytes. Any other type, or an empty unit, is refused as an invalid
/// `what`.
pub(crate) fn rbsp_of<'a>(
    nal: &'a [u8],
    expected: u8,
    what: &'static str,
) -> Result<Cow<'a, [u8]>> {
    match nal_unit_type(nal) {
        Some(t) if t == expected => Ok(remove_emulation_prevention(
            nal.get(1..).unwrap_or_default(),
        )),
        Some(t) => Err(Error::config(
            what,
            format!("NAL unit type {t}, expected {expected}"),
        )),
        None => Err(Error::config(what, "empty NAL unit")),
    }
}

/// The nal_ref_idc of a NAL unit; `None` when empty.
pub fn nal_ref_idc(nal: &[u8]) -> Option<u8> {
    nal.first().map(|b| (b >> 5) & 3)
}

/// Iterates over the NAL units of length-prefixed data; see [`length_prefixed_nals`].
#[derive(Debug, Clone)]
pub struct LengthPrefixedNals<'a> {
    data: &'a [u8],
    pos: usize,
    length_size: u8,
    /// Set after an error so the iterator ends instead of resynchronising on garbage.
    failed: bool,
}

/// Iterates over the NAL units of `data`, each preceded by a `length_size`-byte length.
///
/// Yields an error (then ends) for a length size other than 1, 2 or 4, a truncated
/// length field, or a NAL unit that runs past the end of `data`.
pub fn length_prefixed_nals(data: &[u8], length_size: u8) -> LengthPrefixedNals<'_> {
    LengthPrefixedNals {
        data,
        pos: 0,
        length_size,
        failed: false,
    }
}

impl<'a> LengthPrefixedNals<'a> {
    fn next_nal(&mut self) -> Result<&'a [u8]> {
        const WHAT: &str = "length-prefixed NAL unit";
        if !matches!(self.length_size, 1 | 2 | 4) {
            return Err(Error::malformed(
                WHAT,
                self.pos,
                format!("NAL length size {} is not 1, 2 or 4", self.length_size),
            ));
        }
        let size = usize::from(self.length_size);
        let field = self
            .pos
            .checked_add(size)
            .and_then(|end| self.data.get(self.pos..end))
            .ok_or_else(|| Error::malformed(WHAT, self.pos, "truncated length field"))?;
        let len = field
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let start = self.pos + size;
        let nal = start
            .checked_add(len)
            .and_then(|end| self.data.get(start..end))
            .ok_or_else(|| {
                Error::malformed(
                    WHAT,
                    self.pos,
                    format!(
                        "length {len} runs past the end ({} bytes left)",
                        self.data.len() - start
                    ),
                )
            })?;
        self.pos = start + len;
        Ok(nal)
    }
}

impl<'a> Iterator for LengthPrefixedNals<'a> {
    type Item = Result<&'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let item = self.next_nal();
        self.failed = item.is_err();
        Some(item)
    }
}

/// Returns `sample` with every NAL unit preceded by a 4-byte big-endian length.
///
/// A sample that is already 4-byte length-prefixed is checked (the lengths must walk
/// exactly to its end) and returned as a zero-copy clone; other framings are rewritten
/// into a new buffer.
pub fn to_length_prefixed4(sample: &Bytes, format: NalFormat) -> Result<Bytes> {
    match format {
        NalFormat::LengthPrefixed(4) => {
            for nal in length_prefixed_nals(sample, 4) {
                nal?;
            }
            Ok(sample.clone())
        }
        NalFormat::LengthPrefixed(size) => {
            let mut out = Vec::with_capacity(sample.len() + sample.len() / 16 + 16);
            for nal in length_prefixed_nals(sample, size) {
                push_length_prefixed4(&mut out, nal?)?;
            }
            Ok(Bytes::from(out))
        }
        NalFormat::AnnexB => {
            let mut out = Vec::with_capacity(sample.len() + 16);
            annexb_to_length_prefixed4(sample, &mut out)?;
            if out.is_empty() && !sample.is_empty() {
                return Err(Error::malformed(
                    "Annex B sample",
                    0,
                    "no NAL unit after a start code",
                ));
            }
            Ok(Bytes::from(out))
        }
    }
}

/// Appends `nal` to `out` behind its 4-byte big-endian length.
pub(crate) fn push_length_prefixed4(out: &mut Vec<u8>, nal: &[u8]) -> Result<()> {
    let len = u32::try_from(nal.len()).map_err(|_| {
        Error::malformed(
            "NAL unit",
            0,
            format!("{} bytes do not fit a 4-byte length", nal.len()),
        )
    })?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(nal);
    Ok(())
}

/// Iterates over the NAL units of one sample whatever its framing.
pub(crate) fn for_each_nal(
    sample: &[u8],
    format: NalFormat,
    mut f: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    match format {
        NalFormat::AnnexB => split_annexb(sample).try_for_each(f),
        NalFormat::LengthPrefixed(size) => {
            for nal in length_prefixed_nals(sample, size) {
                f(nal?)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_length_prefixed() {
        let data = [0, 2, 0x65, 1, 0, 1, 0x06];
        let nals: Vec<_> = length_prefixed_nals(&data, 2)
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(nals, vec![&[0x65, 1][..], &[0x06][..]]);
        let errs: Vec<_> = length_prefixed_nals(&data[..6], 2).collect();
        assert_eq!(errs.len(), 2);
        assert!(errs[1].is_err());
        assert!(length_prefixed_nals(&data, 3).next().unwrap().is_err());
        assert!(length_prefixed_nals(&[0, 0, 1], 4).next().unwrap().is_err());
    }

    #[test]
    fn converts_to_length_prefixed4() {
        let four = Bytes::from_static(&[0, 0, 0, 2, 0x65, 1, 0, 0, 0, 1, 6]);
        let same = to_length_prefixed4(&four, NalFormat::LengthPrefixed(4)).unwrap();
        assert_eq!(same.as_ptr(), four.as_ptr());
        let bad = Bytes::from_static(&[0, 0, 0, 2, 0x65, 1, 0, 0, 0, 2, 6]);
        assert!(to_length_prefixed4(&bad, NalFormat::LengthPrefixed(4)).is_err());
        let one = Bytes::from_static(&[2, 0x65, 1, 1, 6]);
        assert_eq!(
            to_length_prefixed4(&one, NalFormat::LengthPrefixed(1)).unwrap(),
            four
        );
        let annexb = Bytes::from_static(&[0, 0, 0, 1, 0x65, 1, 0, 0, 1, 6, 0]);
        assert_eq!(
            to_length_prefixed4(&annexb, NalFormat::AnnexB).unwrap(),
            four
        );
        assert!(to_length_prefixed4(&Bytes::from_static(&[1, 2, 3]), NalFormat::AnnexB).is_err());
    }

    #[test]
    fn reads_header_fields() {
        assert_eq!(nal_unit_type(&[0x67]), Some(NAL_SPS));
        assert_eq!(nal_ref_idc(&[0x67]), Some(3));
        assert_eq!(nal_unit_type(&[]), None);
    }
}
